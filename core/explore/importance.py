"""How much each searched parameter mattered, from the search's first round.

Round 1 is a space-filling design over the whole ranges, so it is the fair
sample to read importance from (later rounds only look near the best run).
A numeric parameter gets Spearman's rank correlation with the objective (the
sign says which way is better); a choice (COMBO, on/off) gets the share of
the objective's rank variance its values explain (eta squared on ranks, the
effect size behind Kruskal-Wallis). Both are 0..1 in ``strength``; the table
is sorted by it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import rankdata, spearmanr

from .space import Axis
from .winners import Row

MIN_RUNS = 4


def _numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    if len(set(x)) < 2 or len(set(y)) < 2:
        return None
    rho = float(spearmanr(x, y).statistic)
    return rho if math.isfinite(rho) else None


def _eta_squared(groups: Sequence[Any], y: Sequence[float]) -> float | None:
    ranks = rankdata(y)
    total = float(np.sum((ranks - ranks.mean()) ** 2))
    labels = [str(g) for g in groups]
    if total <= 0 or len(set(labels)) < 2:
        return None
    between = 0.0
    for label in set(labels):
        member = ranks[[i for i, g in enumerate(labels) if g == label]]
        between += len(member) * float(member.mean() - ranks.mean()) ** 2
    return between / total


def importance(
    rows: Sequence[Row], axes: Sequence[Axis], goal: str = "maximize"
) -> list[dict[str, Any]]:
    """One entry per varied axis: {name, measure, value, strength, n, hint}, strongest first.
    ``rows`` carry the objective (or the person's stars) in ``score``."""
    judged = [r for r in rows if r.score is not None]
    out: list[dict[str, Any]] = []
    if len(judged) < MIN_RUNS:
        return out
    y = [float(r.score or 0.0) for r in judged]
    for axis in axes:
        xs = [r.values.get(axis.name) for r in judged]
        if axis.numeric and _numeric(xs):
            rho = _spearman([float(x or 0.0) for x in xs], y)
            if rho is None:
                continue
            better = (rho > 0) == (goal == "maximize")
            hint = f"higher {axis.name} is better" if better else f"lower {axis.name} is better"
            out.append(_entry(axis.name, "spearman", rho, abs(rho), len(judged), hint))
        else:
            eta = _eta_squared(xs, y)
            if eta is not None:
                out.append(_entry(axis.name, "eta2", eta, eta, len(judged), "which value matters"))
    return sorted(out, key=lambda e: -float(e["strength"]))


def _entry(
    name: str, measure: str, value: float, strength: float, n: int, hint: str
) -> dict[str, Any]:
    return {"name": name, "measure": measure, "value": round(value, 4),
            "strength": round(strength, 4), "n": n, "hint": hint}  # fmt: skip
