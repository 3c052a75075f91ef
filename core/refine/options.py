"""What a batch can be refined by: the panel's choices for "Refine from this sweep".

``refine_options`` lists every score column the batch's done runs hold (and the
config's metrics not scored yet), then ``rating``, each with how many done runs
have a value and its direction; ``default`` is the config's objective, else
the first score with values, else ``rating`` (``None`` when nothing is ranked:
no scores and no stars yet).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

from ..config.model import SweepConfig
from ..errors import ConfigError
from ..store.format import SCORE_PREFIX, RunRecord
from .rank import RATING, goal_of, value_of


class Choice(TypedDict):
    by: str  # "score_<name>" | "rating"
    runs: int  # done runs with a value
    goal: str | None  # the metric's direction; None: the caller must give one


def _direction(cfg: SweepConfig, name: str) -> str | None:
    """The metric's own goal; None for one with no direction (``motion``)."""
    try:
        return goal_of(cfg, name, None)
    except ConfigError:
        return None


def _columns(cfg: SweepConfig, records: Sequence[RunRecord]) -> list[str]:
    """Score names (without ``score_``): the config's metrics first, in order,
    then columns only the records hold (``cr-score`` added them later)."""
    names = [spec.name for spec in cfg.metrics]
    for rec in records:
        names.extend(n for n in rec.scores if n not in names)
    return list(dict.fromkeys(names))


def refine_options(cfg: SweepConfig, records: Sequence[RunRecord]) -> dict[str, Any]:
    """``{"choices": [{"by", "runs", "goal"}...], "default", "objective"}``."""
    choices: list[Choice] = []
    for name in [*_columns(cfg, records), RATING]:
        runs = sum(1 for r in records if value_of(r, name) is not None)
        by = name if name == RATING else SCORE_PREFIX + name
        choices.append({"by": by, "runs": runs, "goal": _direction(cfg, name)})
    ranked = [c["by"] for c in choices if c["runs"] > 0]
    objective = cfg.objective.column if cfg.objective is not None else None
    default = objective if objective in ranked else (ranked[0] if ranked else None)
    return {
        "choices": choices,
        "default": default,
        "objective": cfg.objective.to_dict() if cfg.objective is not None else None,
    }
