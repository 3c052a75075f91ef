"""Numbers out of what a scorer answered: a program's stdout, an HTTP JSON
answer, a ComfyUI node's UI result. Pure; the scorers live in media/ and client/.

A scorer answers one number (column ``score_<name>``) or an object of numbers
(columns ``score_<name>_<key>``)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

Answer = float | dict[str, float]
_KEY = re.compile(r"[^A-Za-z0-9_]+")


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def answer_from_json(data: Any) -> Answer:
    """A number, or an object's finite numeric entries (a ``scores`` object wins)."""
    number = _finite(data)
    if number is not None:
        return number
    if not isinstance(data, Mapping):
        raise ValueError(f"expected a number or an object of numbers, got {str(data)[:80]!r}")
    source = data["scores"] if isinstance(data.get("scores"), Mapping) else data
    out = {}
    for key, value in source.items():
        number = _finite(value)
        if number is not None:
            out[_KEY.sub("_", str(key).removeprefix("score_")).strip("_") or "value"] = number
    if not out:
        raise ValueError("the answer holds no finite numbers")
    return out


def answer_from_text(text: str) -> Answer:
    """A program's stdout: the whole of it, else its last non-empty line (logs may precede)."""
    stripped = text.strip()
    if not stripped:
        raise ValueError("printed nothing (expected a number or a JSON object of numbers)")
    for candidate in (stripped, stripped.splitlines()[-1].strip()):
        try:
            return answer_from_json(json.loads(candidate))
        except ValueError:
            continue
    raise ValueError(f"expected a number or a JSON object of numbers, got {_tail(stripped)!r}")


def answer_from_ui(ui: Mapping[str, Any]) -> Answer:
    """An output node's UI result (``{"text": ["0.73"]}`` from Preview Any): the
    first entry that reads as a number or an object of numbers."""
    for value in ui.values():
        for item in value if isinstance(value, list) else [value]:
            try:
                if isinstance(item, str):
                    return answer_from_text(item)
                return answer_from_json(item)
            except ValueError:
                continue
    raise ValueError(f"no number in the node's UI result {_tail(json.dumps(ui, default=str))!r}")


def columns(name: str, answer: Answer) -> dict[str, float]:
    """Score names (without the score_ prefix) for one answer."""
    if isinstance(answer, dict):
        return {f"{name}_{key}": value for key, value in answer.items()}
    return {name: answer}


def mean_answers(answers: Iterable[Answer]) -> Answer:
    """Several outputs of one run: the mean per key (keys some outputs lack skip them)."""
    items = list(answers)
    if not items:
        raise ValueError("nothing to average")
    if all(not isinstance(a, dict) for a in items):
        return sum(float(a) for a in items if not isinstance(a, dict)) / len(items)
    sums: dict[str, list[float]] = {}
    for a in items:
        for key, value in (a if isinstance(a, dict) else {"value": a}).items():
            sums.setdefault(key, []).append(value)
    return {key: sum(v) / len(v) for key, v in sums.items()}


def _tail(text: str) -> str:
    return text if len(text) <= 80 else "..." + text[-77:]
