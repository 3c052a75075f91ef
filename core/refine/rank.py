"""The runs a refinement narrows around: the top K of a batch by a score or rating.

``by`` is a metric name (``sharpness`` or ``score_sharpness``) or ``rating``.
The goal is the metric's own (docs/metrics.md; a config's ``goal:`` wins),
``rating`` is maximised, a score column no config names is maximised, and
``goal`` given by the caller overrides them all. Only done runs with a value
count. Ties at the K-th place are all kept: which of two equal runs is "better"
would otherwise be decided by run order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..config.model import SweepConfig
from ..config.objective import Goal
from ..errors import ConfigError
from ..store.format import SCORE_PREFIX, RunRecord

RATING = "rating"


@dataclass(frozen=True)
class Ranking:
    label: str  # "score_sharpness" | "rating"
    goal: Goal
    top: list[RunRecord]  # best first
    values: dict[int, float]  # run_id -> its value, for every ranked run
    ties: int  # runs kept beyond K because they tie the K-th

    @property
    def count(self) -> int:
        return len(self.values)


def goal_of(cfg: SweepConfig, by: str, goal: Goal | None) -> Goal:
    if goal is not None:
        return goal
    if by == RATING:
        return "maximize"
    for spec in cfg.metrics:
        if by == spec.name or by.startswith(spec.name + "_"):  # an object scorer's key
            found = spec.effective_goal
            if found is None:
                raise ConfigError(
                    f"--by {by}: metric {spec.name} ({spec.type}) has no direction; "
                    "give --goal maximize or --goal minimize",
                    field="goal",
                )
            return found
    return "maximize"


def value_of(rec: RunRecord, by: str) -> float | None:
    if rec.status != "done":
        return None
    if by == RATING:
        text = rec.extra.get(RATING, "")
        try:
            value = float(text)
        except ValueError:
            return None
    else:
        found = rec.scores.get(by)
        if found is None:
            return None
        value = found
    return value if math.isfinite(value) else None


def rank(
    cfg: SweepConfig, records: Sequence[RunRecord], by: str, k: int, goal: Goal | None = None
) -> Ranking:
    """The top ``k`` runs by ``by`` (ties at the K-th place kept)."""
    name = by.removeprefix(SCORE_PREFIX)
    label = RATING if name == RATING else SCORE_PREFIX + name
    direction = goal_of(cfg, name, goal)
    values = {r.run_id: v for r in records if (v := value_of(r, name)) is not None}
    if not values:
        known = sorted({SCORE_PREFIX + s for r in records for s in r.scores})
        have = f" (it has {', '.join(known)})" if known else " (run cr-score first)"
        raise ConfigError(f"--by {by}: no done run of the batch has {label}{have}", field="by")
    sign = -1.0 if direction == "maximize" else 1.0
    ranked = sorted(
        (r for r in records if r.run_id in values),
        key=lambda r: (sign * values[r.run_id], r.run_id),
    )
    k = max(1, min(k, len(ranked)))
    cut = values[ranked[k - 1].run_id]
    top = ranked[:k] + [r for r in ranked[k:] if values[r.run_id] == cut]
    return Ranking(label, direction, top, values, len(top) - k)
