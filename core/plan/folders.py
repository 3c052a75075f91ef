"""Run folder names: ``run_name_pattern`` applied, safe on every file system."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)}
# In UTF-8 bytes: Linux and macOS cap a name at 255 bytes, so a cap in characters
# let 100 CJK characters (300 bytes) fail mkdir. 150 bytes also leaves room for
# unique_folder's suffix and for file names under Windows' 260-character paths.
_MAX_FOLDER_BYTES = 150


def cap_bytes(name: str, limit: int = _MAX_FOLDER_BYTES) -> str:
    """``name`` cut to at most ``limit`` UTF-8 bytes, on a character boundary."""
    data = name.encode("utf-8")
    if len(data) <= limit:
        return name
    return data[:limit].decode("utf-8", errors="ignore")  # drops a cut last character


def sanitize_folder(name: str, fallback: str) -> str:
    """A folder name valid on Windows, macOS and Linux."""
    name = cap_bytes(_FORBIDDEN.sub("_", name)).rstrip(" .")
    if not name or name in (".", ".."):
        return fallback
    if name.split(".")[0].upper().rstrip(" ") in _RESERVED:
        name = "_" + name
    return name


def format_run_folder(pattern: str, run_id: int, values: Mapping[str, Any]) -> str:
    """``run_name_pattern`` applied (``{run_id}`` plus parameter names), sanitised."""
    try:
        raw = pattern.format(**{**values, "run_id": run_id})
    except (KeyError, ValueError, IndexError, AttributeError, TypeError):
        raw = f"{run_id:04d}"  # validate_config rejects bad patterns; never fail a run on it
    return sanitize_folder(raw, f"{run_id:04d}")


def unique_folder(folder: str, run_id: int, taken: set[str]) -> str:
    """Append ``_<run_id>`` when a pattern gives two runs the same folder."""
    candidate = folder
    while candidate.lower() in taken:  # case-insensitive file systems
        candidate = f"{candidate}_{run_id}"
    taken.add(candidate.lower())
    return candidate


__all__ = ["format_run_folder", "sanitize_folder", "unique_folder"]
