"""The exploration folder on disk: found again by a rerun, its state saved atomically.

A rerun of the same command continues the newest ``explore_*`` folder under
the output folder made from the same workflow file (same content) and the
same settings (objective, metrics, ``--only``); the budget may differ (a
larger one extends the exploration).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..store import atomic
from .model import STATE_FILE, ExploreState

PREFIX = "explore_"


def load_state(root: Path) -> ExploreState:
    path = root / STATE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(f"{root} is not an exploration folder (no {STATE_FILE})") from None
    except (OSError, ValueError) as err:
        raise StoreError(f"{path}: unreadable ({err})") from None
    return ExploreState.from_json(data, str(path))


def save_state(root: Path, state: ExploreState) -> None:
    state.updated_at = now_iso()
    atomic.write_json(root / STATE_FILE, state.to_json())


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def _peek(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def find_exploration(base: Path, workflow: str | None, fingerprint: str) -> Path | None:
    """The newest exploration under ``base`` of this workflow file and settings
    (``workflow`` None: any file; the fingerprint covers the workflow's content)."""
    if not base.is_dir():
        return None
    found: list[tuple[str, str, Path]] = []
    for child in base.iterdir():
        if not child.name.startswith(PREFIX) or not child.is_dir():
            continue
        data = _peek(child)
        same_file = workflow is None or data is not None and data.get("workflow") == workflow
        if data and same_file and data.get("fingerprint") == fingerprint:
            found.append((str(data.get("created_at", "")), child.name, child))
    return max(found)[2] if found else None


def new_folder(base: Path) -> Path:
    """``explore_<time>`` (a suffix when two start in the same second)."""
    base.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
    for n in range(1000):
        path = base / (f"{PREFIX}{stamp}" + (f"_{n}" if n else ""))
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise StoreError(f"{base}: cannot make a new exploration folder")


def is_exploration_batch(batch: Path) -> Path | None:
    """The exploration folder a batch folder belongs to (``explore_*/phaseN_*/batch``)."""
    root = batch.resolve().parent.parent
    return root if (root / STATE_FILE).is_file() else None
