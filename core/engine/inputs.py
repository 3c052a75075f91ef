"""Input sets' media before a run: the backend's optional ``ensure_inputs``.

A run of an input set names content-hashed files in ComfyUI's input folder
(core/plan/inputsets.py); the engine asks its backend to put them there before
submitting the run. ``HttpBackend`` uploads (``POST /upload/image``) what
``HEAD /view`` does not find; the in-process backend copies into ComfyUI's
input folder. Both remember what is present for the session.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import BackendError, MediaError
from ..plan.model import InputFile


async def ensure_inputs(backend: Any, files: Sequence[InputFile]) -> None:
    """Have ``backend`` put ``files`` on the server (a no-op for files already there)."""
    method = getattr(backend, "ensure_inputs", None)
    if method is None:
        raise BackendError(
            f"this sweep's runs need input files ({files[0].name}...) but the backend "
            f"{type(backend).__name__} cannot upload them"
        )
    await method(files)


def read_input_file(f: InputFile) -> bytes:
    """The local file's bytes, refused when it is gone or no longer what was planned."""
    try:
        data = Path(f.source).read_bytes()
    except OSError as err:
        raise MediaError(
            f"{f.source}: input file unreadable ({err.strerror or err}); it is needed as {f.name}",
            details={"path": f.source},
        ) from None
    if hashlib.sha256(data).hexdigest() != f.sha256:
        raise MediaError(
            f"{f.source} changed since the batch was planned (it was uploaded as {f.name}); "
            "start a new batch (--new) to use the new file",
            details={"path": f.source},
        )
    return data
