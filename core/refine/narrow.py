"""Each parameter of the next config, narrowed around the top runs' values.

A numeric range becomes the top runs' span plus a margin of half a design
cell on each side (the old span / samples^(1/dims): the distance between
neighbouring samples along one axis, so the optimum between the best sample
and its unexplored neighbours stays inside). It stays inside the old range,
except where a top run sits on the old edge and object_info says the input
goes further: then it may grow past it, up to the input's bound. The ends are
rounded outward: onto the INT input's step grid, a ``linear`` parameter's own
step grid, or two significant digits of the new span for a float; ``log``
ranges are narrowed in log space. ``values`` keep those the top runs used, in
their order; seeds stay random (``production`` fixes the top runs' seeds).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..config.model import ParameterSpec
from ..plan.sampling import tidy

EDGE = 0.01  # a top value within 1 % of the span from an old end "sits on the edge"


@dataclass(frozen=True)
class Context:
    reason: str  # "around the top 5 by score_sharpness"
    cell: float  # a design cell as a fraction of each axis (1 / samples^(1/dims))
    production: bool = False


@dataclass(frozen=True)
class Bounds:
    """Where a range may go: the old range, the input's own bounds and INT step."""

    old: tuple[float, float]
    outer: tuple[float | None, float | None] = (None, None)
    step: float | None = None  # the grid the ends snap to (None: a float)
    origin: float = 0.0  # the grid's zero point


def fmt(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _to(x: float, log: bool) -> float:
    return math.log(x) if log else x


def _back(x: float, log: bool) -> float:
    return math.exp(x) if log else x


def interval(
    top: Sequence[float], b: Bounds, cell: float, log: bool = False
) -> tuple[float, float, list[str]]:
    """The narrowed (lo, hi) before rounding, and why it grew past an old end."""
    a, z = _to(b.old[0], log), _to(b.old[1], log)
    span = z - a
    lo, hi = _to(min(top), log), _to(max(top), log)
    pad = cell * span / 2
    floor_, ceil_ = a, z
    why: list[str] = []
    out_lo, out_hi = b.outer
    if (
        lo <= a + EDGE * span
        and out_lo is not None
        and out_lo < b.old[0]
        and (out_lo > 0 or not log)
    ):
        floor_ = _to(out_lo, log)
        why.append("the best runs sit on the old min")
    if hi >= z - EDGE * span and out_hi is not None and out_hi > b.old[1]:
        ceil_ = _to(out_hi, log)
        why.append("the best runs sit on the old max")
    new_lo, new_hi = max(lo - pad, floor_), min(hi + pad, ceil_)
    return _back(new_lo, log), _back(new_hi, log), why


def snap(lo: float, hi: float, b: Bounds, log: bool = False) -> tuple[float, float]:
    """The ends rounded outward onto the grid (step) or to tidy digits (float),
    then back inside the allowed bounds."""
    low_ok = min(b.old[0], b.outer[0]) if b.outer[0] is not None else b.old[0]
    high_ok = max(b.old[1], b.outer[1]) if b.outer[1] is not None else b.old[1]
    if b.step:
        s, o = b.step, b.origin
        lo = o + math.floor((lo - o) / s + 1e-9) * s
        hi = o + math.ceil((hi - o) / s - 1e-9) * s
        if lo < low_ok:
            lo += s * math.ceil((low_ok - lo) / s - 1e-9)
        if hi > high_ok:
            hi -= s * math.ceil((hi - high_ok) / s - 1e-9)
        return tidy(lo), tidy(max(hi, lo))
    span = hi - lo if hi > lo else abs(hi) or 1.0
    q = 10.0 ** (math.floor(math.log10(span)) - 1)
    if log:  # two significant digits of each end, not of the span
        q_lo = 10.0 ** (math.floor(math.log10(lo)) - 1)
        q_hi = 10.0 ** (math.floor(math.log10(hi)) - 1)
        lo, hi = math.floor(lo / q_lo) * q_lo, math.ceil(hi / q_hi) * q_hi
    else:
        lo, hi = math.floor(lo / q) * q, math.ceil(hi / q) * q
    return tidy(max(lo, low_ok)), tidy(min(hi, high_ok))


def _as_type(spec: ParameterSpec, x: float) -> float | int:
    whole = spec.integer or all(isinstance(v, int) for v in (spec.min, spec.max, spec.step or 1))
    return int(round(x)) if whole and float(x).is_integer() else x


def narrow_range(
    spec: ParameterSpec, top: Sequence[Any], ctx: Context, b: Bounds
) -> tuple[ParameterSpec, list[str]]:
    """A continuous or linear parameter's range around the top values."""
    nums = [float(v) for v in top]
    lo, hi, why = interval(nums, b, ctx.cell, spec.log)
    lo, hi = snap(lo, hi, b, spec.log)
    old = f"{fmt(spec.min)}–{fmt(spec.max)}"
    new_min, new_max = _as_type(spec, lo), _as_type(spec, hi)
    if (float(new_min), float(new_max)) == (float(b.old[0]), float(b.old[1])):
        return spec, [f"{spec.name}: {old} unchanged: the top runs span the whole range"]
    note = f"{spec.name}: {old} → {fmt(new_min)}–{fmt(new_max)} {ctx.reason}"
    if why:
        note += f" (grown past the old range: {' and '.join(why)})"
    return dataclasses.replace(spec, min=new_min, max=new_max), [note]


def reduce_values(
    spec: ParameterSpec, top: Sequence[Any], ctx: Context
) -> tuple[ParameterSpec, list[str]]:
    """``values`` kept when a top run used them (in the config's order)."""
    old = list(spec.values or [])
    kept = [v for v in old if any(v == t and type(v) is type(t) for t in top)]
    if len(kept) == len(old) or not kept:
        return spec, [f"{spec.name}: all {len(old)} values appear in the top runs: unchanged"]
    shown = ", ".join(fmt(v) if not isinstance(v, str) else repr(v)[:40] for v in kept)
    note = f"{spec.name}: {len(old)} values → {len(kept)} ({shown}) {ctx.reason}"
    return dataclasses.replace(spec, values=kept), [note]


def production_values(
    spec: ParameterSpec, top: Sequence[Any], ctx: Context
) -> tuple[ParameterSpec, list[str]]:
    """Phase 4: the top runs' own values, as a grid axis (seeds fixed likewise)."""
    unique: list[Any] = []
    for v in top:
        if not any(v == u and type(v) is type(u) for u in unique):
            unique.append(v)
    if spec.type != "values" and all(isinstance(v, (int, float)) for v in unique):
        unique.sort()
    what = (
        "seeds of the top runs, fixed" if spec.type == "random_seed" else "values of the top runs"
    )
    shown = ", ".join(fmt(v) for v in unique[:8]) + (" …" if len(unique) > 8 else "")
    new = dataclasses.replace(
        spec, type="values", values=unique, min=None, max=None, step=None, log=False
    )
    return new, [f"{spec.name}: {len(unique)} {what} ({shown}) {ctx.reason}"]
