"""Fill the text of every SweepLabel node with a run's varying values; short labels
of text values (the replaced words, a template's slot values) for the contact
sheet and run folder names.

The engine calls :func:`fill_label_nodes` on each run's prompt before it is
submitted, so every exported image says how it was made, e.g.
``run 0003 · cfg=7.5 · seed=123``. A text that contains ``{label}`` keeps the
user's wording with the label substituted; any other text is replaced. A text
input wired to another node (a link) is left alone.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config.model import SweepConfig
    from .plan.model import PlannedRun

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


# ---- short labels of text values (contact sheet, run folder names) ----------------

LABEL_MAX = 40  # characters of a label before it is cut with an ellipsis
_JINJA_SLOT = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")


def _cut(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= LABEL_MAX else flat[: LABEL_MAX - 1] + "…"


def distinct_words(texts: Sequence[str]) -> list[str]:
    """Each text without the words every text starts and ends with: the part that varies
    (``a cat on a sofa`` / ``a fox on a sofa`` -> ``cat`` / ``fox``)."""
    words = [t.split() for t in texts]
    if len(words) < 2:
        return [_cut(t) for t in texts]
    head = 0
    while all(len(w) > head for w in words) and len({w[head] for w in words}) == 1:
        head += 1
    tail = 0
    while all(len(w) > head + tail for w in words) and len({w[-1 - tail] for w in words}) == 1:
        tail += 1
    return [_cut(" ".join(w[head : len(w) - tail]) or " ".join(w)) for w in words]


def run_labels(cfg: SweepConfig, values: Mapping[str, Any]) -> dict[str, str]:
    """Short labels of one run's text values (only parameters whose value is text)."""
    out: dict[str, str] = {}
    for name, spec in cfg.parameters.items():
        value = values.get(name)
        if spec.replace is not None:
            out[name] = _cut(" / ".join(value) if isinstance(value, list) else str(value))
        elif spec.type == "template" and spec.jinja is not None:
            slots = dict.fromkeys(_JINJA_SLOT.findall(spec.jinja))
            out[name] = _cut(" · ".join(format_value(values.get(s, "")) for s in slots))
        elif spec.type == "values" and isinstance(value, str) and len(value) > LABEL_MAX // 2:
            texts = [str(v) for v in spec.values or []]
            short = dict(zip(texts, distinct_words(texts), strict=True))
            out[name] = short.get(value, _cut(value))
    return out


def value_key(value: Any) -> str:
    """A value as the key of ``Plan.labels`` (texts as they are, lists as JSON)."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def plan_labels(cfg: SweepConfig, runs: Sequence[PlannedRun]) -> dict[str, dict[str, str]]:
    """parameter -> full value text -> label, where the label differs from the text."""
    out: dict[str, dict[str, str]] = {}
    for run in runs:
        for name, label in run_labels(cfg, run.values).items():
            text = value_key(run.values[name])
            if label != text:
                out.setdefault(name, {})[text] = label
    return out
