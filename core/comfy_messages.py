"""ComfyUI's own error shapes in plain words, one wording for every path.

The CLI (ComfyUI's HTTP 400 from /prompt), the in-process backend
(``validate_prompt``'s ``node_errors``) and history's ``execution_error`` all
name a node the same way: ``node 12 "Title" (Class)`` and, where ComfyUI says
which, the input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def node_label(node_id: str, prompt: Mapping[str, Any] | None, class_type: Any = None) -> str:
    """``node 12 "Title" (Class)``; the title only when it says more than the class."""
    node = (prompt or {}).get(node_id)
    node = node if isinstance(node, Mapping) else {}
    cls = str(class_type or node.get("class_type") or "?")
    meta = node.get("_meta")
    title = meta.get("title") if isinstance(meta, Mapping) else None
    return (
        f'node {node_id} "{title}" ({cls})' if title and title != cls else f"node {node_id} ({cls})"
    )


def error_text(err: Mapping[str, Any]) -> str:
    """ComfyUI's ``{"message", "details"}`` as one phrase."""
    msg = str(err.get("message") or err.get("type") or "invalid")
    details = str(err.get("details") or "")
    return f"{msg}: {details}" if details and details not in msg else msg


def node_error_lines(node_errors: Any, prompt: Mapping[str, Any] | None) -> list[str]:
    """One phrase per failing input of ``node_errors`` ({node_id: {"errors": [...]}})."""
    lines: list[str] = []
    if not isinstance(node_errors, Mapping):
        return lines
    for node_id, entry in node_errors.items():
        if not isinstance(entry, Mapping):
            continue
        label = node_label(str(node_id), prompt, entry.get("class_type"))
        for err in entry.get("errors") or []:
            if not isinstance(err, Mapping):
                continue
            extra = err.get("extra_info")
            inp = extra.get("input_name") if isinstance(extra, Mapping) else None
            where = f"{label} input {inp}" if inp else label
            lines.append(f"{where}: {error_text(err)}")
    return lines


def describe_rejection(error: Any, node_errors: Any, prompt: Mapping[str, Any] | None) -> str:
    """A refused prompt in plain words: each failing node (id, title, class) and input."""
    parts = node_error_lines(node_errors, prompt)
    if not parts:
        parts.append(error_text(error) if isinstance(error, Mapping) else str(error or "invalid"))
    return "ComfyUI rejected the prompt: " + "; ".join(parts)


def describe_execution_error(data: Mapping[str, Any], prompt: Mapping[str, Any] | None) -> str:
    """History's ``execution_error`` message: the node that failed and ComfyUI's message."""
    label = node_label(str(data.get("node_id", "?")), prompt, data.get("node_type"))
    msg = str(data.get("exception_message") or data.get("exception_type") or "error").strip()
    return f"{label}: {msg}"
