"""Fill the text of every SweepLabel node with a run's varying values.

The engine calls :func:`fill_label_nodes` on each run's prompt before it is
submitted, so every exported image says how it was made, e.g.
``run 0003 · cfg=7.5 · seed=123``. A text that contains ``{label}`` keeps the
user's wording with the label substituted; any other text is replaced. A text
input wired to another node (a link) is left alone.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

LABEL_CLASS = "SweepLabel"
PLACEHOLDER = "{label}"


def format_value(value: Any) -> str:
    """Short, stable text for one value (floats rounded to 4 decimals)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return repr(round(value, 4))
    return str(value)


def label_text(values: Mapping[str, Any], run_id: int) -> str:
    """``run 0003 · cfg=7.5 · seed=123`` (values in the mapping's order)."""
    parts = [f"run {run_id:04d}"]
    parts += [f"{name}={format_value(value)}" for name, value in values.items()]
    return " · ".join(parts)


def _is_link(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and isinstance(value[1], int)


def fill_label_nodes(
    prompt: Mapping[str, Any], values: Mapping[str, Any], run_id: int
) -> dict[str, Any]:
    """Return a deep copy of ``prompt`` with every SweepLabel's text set."""
    out: dict[str, Any] = copy.deepcopy(dict(prompt))
    label = label_text(values, run_id)
    for node in out.values():
        if not isinstance(node, dict) or node.get("class_type") != LABEL_CLASS:
            continue
        inputs = node.setdefault("inputs", {})
        current = inputs.get("text", "")
        if _is_link(current):
            continue
        if isinstance(current, str) and PLACEHOLDER in current:
            inputs["text"] = current.replace(PLACEHOLDER, label)
        else:
            inputs["text"] = label
    return out
