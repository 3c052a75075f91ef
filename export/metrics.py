"""The numeric columns an exporter can log or optimise: score_* and execution_s."""

from __future__ import annotations

from ..core.errors import ConfigError
from ..core.store.format import SCORE_PREFIX
from .table import BatchTable

TIME_METRIC = "execution_s"


def metric_columns(table: BatchTable) -> list[str]:
    return [*table.scores, TIME_METRIC]


def pick_objective(table: BatchTable, objective: str | None) -> str:
    """The column to optimise: ``--objective`` (``score_x``, ``x`` or ``execution_s``),
    else the batch's only score column. ConfigError naming --objective otherwise."""
    known = metric_columns(table)
    if objective is None:
        if len(table.scores) == 1:
            return table.scores[0]
        if not table.scores:
            msg = "the batch has no score_* column; score it first or pass --objective execution_s"
        else:
            msg = f"the batch has several score columns; choose one of {', '.join(known)}"
        raise ConfigError(msg, field="--objective")
    for name in (objective, SCORE_PREFIX + objective):
        if name in known:
            return name
    raise ConfigError(
        f"{objective!r} is not a column of the batch; choose one of {', '.join(known)}",
        field="--objective",
    )


def default_direction(objective: str) -> str:
    """Scores are higher-is-better by convention; time is lower-is-better."""
    return "minimize" if objective == TIME_METRIC else "maximize"
