"""Axis nodes: each declares one sweep axis in its widgets.

Run normally, a node outputs its current ``value`` (SweepValues: the entry at
``index``). The Sweep panel reads these nodes from the API prompt to prefill
the new-sweep form (docs/frontend.md); at run time the sweep config is the
single source of truth and simply sets the ``value``/``index``/``seed`` input.
"""

from __future__ import annotations

from typing import Any

CATEGORY = "comfy-sweep"
_BIG = 1e9
SEED_MAX = 2**53 - 1  # seeds stay exact in JavaScript numbers


class SweepFloatRange:
    """A FLOAT axis from min to max (step 0 = continuous)."""

    CATEGORY = CATEGORY
    RETURN_TYPES = ("FLOAT",)
    RETURN_NAMES = ("value",)
    FUNCTION = "run"
    DESCRIPTION = "A float sweep axis; outputs its current value."

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        num = {"min": -_BIG, "max": _BIG, "step": 0.01}
        return {
            "required": {
                "value": ("FLOAT", {"default": 1.0, **num}),
                "min": ("FLOAT", {"default": 0.0, **num}),
                "max": ("FLOAT", {"default": 1.0, **num}),
                "step": ("FLOAT", {"default": 0.0, "min": 0.0, "max": _BIG, "step": 0.01}),
            }
        }

    def run(self, value: float, min: float, max: float, step: float) -> tuple[float]:
        return (float(value),)


class SweepIntRange:
    """An INT axis from min to max by step."""

    CATEGORY = CATEGORY
    RETURN_TYPES = ("INT",)
    RETURN_NAMES = ("value",)
    FUNCTION = "run"
    DESCRIPTION = "An integer sweep axis; outputs its current value."

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        num = {"min": -(2**31), "max": 2**31 - 1}
        return {
            "required": {
                "value": ("INT", {"default": 20, **num}),
                "min": ("INT", {"default": 10, **num}),
                "max": ("INT", {"default": 40, **num}),
                "step": ("INT", {"default": 10, "min": 1, "max": 2**31 - 1}),
            }
        }

    def run(self, value: int, min: int, max: int, step: int) -> tuple[int]:
        return (int(value),)


def parse_values(text: str) -> list[str]:
    """Split a values widget: one value per line, or comma-separated."""
    sep = "\n" if "\n" in text.strip() else ","
    return [part.strip() for part in text.split(sep) if part.strip()]


def _as_number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


class SweepValues:
    """A list axis: the sweep varies ``index`` over the listed values."""

    CATEGORY = CATEGORY
    RETURN_TYPES = ("STRING", "FLOAT", "INT")
    RETURN_NAMES = ("text", "float", "int")
    FUNCTION = "run"
    DESCRIPTION = "Outputs the entry at index of a comma- or line-separated list."

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "values": ("STRING", {"default": "euler, dpmpp_2m, uni_pc", "multiline": True}),
                "index": ("INT", {"default": 0, "min": 0, "max": 9999}),
            }
        }

    def run(self, values: str, index: int) -> tuple[str, float, int]:
        items = parse_values(values)
        if not items:
            raise ValueError("SweepValues: the values list is empty")
        if not 0 <= index < len(items):
            raise ValueError(f"SweepValues: index {index} outside 0..{len(items) - 1}")
        text = items[index]
        number = _as_number(text)
        return (text, number, int(number))


class SweepSeed:
    """A seed axis: every run of a sweep gets a fresh seed."""

    CATEGORY = CATEGORY
    RETURN_TYPES = ("INT",)
    RETURN_NAMES = ("seed",)
    FUNCTION = "run"
    DESCRIPTION = "A seed sweep axis; outputs its current seed."

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        spec = {"default": 0, "min": 0, "max": SEED_MAX, "control_after_generate": True}
        return {"required": {"seed": ("INT", spec)}}

    def run(self, seed: int) -> tuple[int]:
        return (int(seed),)
