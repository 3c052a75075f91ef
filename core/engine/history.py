"""What ComfyUI's history says about a finished prompt, as a ``RunOutcome``.

Both backends read the same history entry shape (``GET /history/{id}`` over
HTTP, ``prompt_queue.get_history`` in-process), so the parsing lives here once
and each backend only fetches the entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..comfy_messages import describe_execution_error


@dataclass
class RunOutcome:
    prompt_id: str
    status: str  # "success" | "error" | "interrupted"
    outputs: list[dict[str, str]]  # {"filename", "subfolder", "type", "node_id"}
    error: str
    started_at: float | None
    finished_at: float | None
    cached_nodes: list[str] = field(default_factory=list)

    @property
    def execution_s(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return max(0.0, self.finished_at - self.started_at)


def output_files(outputs: Mapping[str, Any]) -> list[dict[str, str]]:
    """Every file of type "output" in a history entry's outputs (images, gifs,
    videos, audio, 3D...); temp previews are skipped."""
    found: list[dict[str, str]] = []
    for node_id, node_out in outputs.items():
        if not isinstance(node_out, Mapping):
            continue
        for items in node_out.values():
            if not isinstance(items, list):
                continue
            for item in items:
                if (
                    isinstance(item, Mapping)
                    and "filename" in item
                    and item.get("type") == "output"
                ):
                    found.append(
                        {
                            "filename": str(item["filename"]),
                            "subfolder": str(item.get("subfolder") or ""),
                            "type": "output",
                            "node_id": str(node_id),
                        }
                    )
    return found


def outcome_from_history(
    prompt_id: str, entry: Mapping[str, Any], prompt: Mapping[str, Any] | None = None
) -> RunOutcome:
    """A finished history entry (GET /history/{id} or get_history in-process) as a RunOutcome.

    Timings come from the status messages' timestamps (ms since the epoch):
    execution_start -> execution_success/error/interrupted.
    """
    raw_status = entry.get("status")
    status: Mapping[str, Any] = raw_status if isinstance(raw_status, Mapping) else {}
    started = finished = None
    cached: list[str] = []
    error = ""
    result = "success" if status.get("status_str", "success") == "success" else "error"
    for msg in status.get("messages") or []:
        if not (isinstance(msg, (list, tuple)) and len(msg) == 2 and isinstance(msg[1], Mapping)):
            continue
        kind, data = msg
        stamp = data.get("timestamp")
        when = stamp / 1000.0 if isinstance(stamp, (int, float)) else None
        if kind == "execution_start":
            started = when
        elif kind == "execution_cached":
            cached = [str(n) for n in data.get("nodes") or []]
        elif kind in ("execution_success", "execution_error", "execution_interrupted"):
            finished = when
            if kind == "execution_error":
                result, error = "error", describe_execution_error(data, prompt)
            elif kind == "execution_interrupted":
                result, error = "interrupted", "interrupted in ComfyUI"
    if result == "error" and not error:
        error = "ComfyUI reported an error without details"
    outputs = entry.get("outputs")
    files = output_files(outputs) if isinstance(outputs, Mapping) else []
    return RunOutcome(prompt_id, result, files, error, started, finished, cached)


def fully_cached(outcome: RunOutcome, prompt: Mapping[str, Any]) -> bool:
    """Every node of ``prompt`` came from ComfyUI's cache. ComfyUI 0.3.75 answers a
    prompt identical to the one it ran just before that way, and lists no files."""
    return bool(prompt) and set(map(str, prompt)) <= set(outcome.cached_nodes)


__all__ = ["RunOutcome", "fully_cached", "outcome_from_history", "output_files"]


def run_file_name(item: Mapping[str, str], taken: set[str]) -> str:
    """An output's file name in its run folder. Two output nodes may write the
    same name (in different subfolders): the later one gets its node id in front.
    Both backends name collected files with this, so client and server batches match."""
    name = Path(item["filename"]).name
    if name in taken:
        name = f"{item.get('node_id', 'x')}_{name}"
    taken.add(name)
    return name
