"""Optional dependencies: imported where an exporter needs them, named when missing."""

from __future__ import annotations

import importlib
from typing import Any

from ..core.errors import MissingExtraError


def need(module: str, extra: str) -> Any:
    """``import module``, or MissingExtraError telling which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        raise MissingExtraError(
            f"{top} is not installed: install comfy-sweep[{extra}]",
            details={"module": top, "extra": extra},
        ) from None
