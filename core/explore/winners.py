"""Which runs win a step: by the objective, or by the person's stars and picks.

With an objective, surfing compares each sampler x scheduler combination by
the mean score over its seeds (one lucky seed does not make a sampler); the
search and seed mining compare single runs. Without one, a picked run beats
any unpicked one and more stars beat fewer; unrated, unpicked runs never win,
and a step nobody has rated yet has no winner (the exploration waits).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .model import Objective

TOP_HEROES = 3
TABLE_ROWS = 12
SEARCH_ROWS = 1000  # a search round keeps its ranking: the next round narrows on it


@dataclass(frozen=True)
class Row:
    """One finished run as a step's judge sees it."""

    run_id: int
    values: dict[str, Any]
    score: float | None = None
    rating: int | None = None
    picked: bool = False
    batch: str = ""  # relative to the exploration folder
    outputs: tuple[str, ...] = field(default_factory=tuple)  # relative to the batch

    def to_json(self, why: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {
            "run_id": self.run_id, "values": dict(self.values), "score": self.score,
            "rating": self.rating, "picked": self.picked, "batch": self.batch,
            "outputs": list(self.outputs),
        }  # fmt: skip
        if why:
            out["why"] = why
        return out


def human_key(row: Row) -> tuple[int, int] | None:
    """(picked, stars) when the person marked the run; None when they did not."""
    if not row.picked and not row.rating:
        return None
    return (1 if row.picked else 0, row.rating or 0)


def ranked(rows: Sequence[Row], objective: Objective | None) -> list[Row]:
    """The judged runs, best first (run order breaks ties); unjudged runs left out."""
    if objective is None:
        marked = [r for r in rows if human_key(r) is not None]
        return sorted(marked, key=lambda r: (_neg(human_key(r)), r.run_id))
    scored = [r for r in rows if r.score is not None]
    return sorted(scored, key=lambda r: (objective.sort_key(r.score or 0.0), r.run_id))


def _neg(key: tuple[int, int] | None) -> tuple[int, int]:
    assert key is not None
    return (-key[0], -key[1])


def _label(row: Row, names: Sequence[str]) -> str:
    return " / ".join(str(row.values.get(n)) for n in names)


def group_scores(
    rows: Sequence[Row], names: Sequence[str], objective: Objective | None
) -> list[tuple[str, float, int, Row]]:
    """(label, group score, runs, best run) per combination of ``names``, best first.
    Objective: the mean over the group's scored runs; person: the best mark."""
    groups: dict[str, list[Row]] = {}
    for row in ranked(rows, objective):
        groups.setdefault(_label(row, names), []).append(row)
    out: list[tuple[str, float, int, Row]] = []
    for label, members in groups.items():
        if objective is None:
            key = human_key(members[0])
            assert key is not None
            value = float(key[0] * 10 + key[1])
        else:
            value = sum(r.score or 0.0 for r in members) / len(members)
        out.append((label, value, len(members), members[0]))
    sign = -1.0 if objective is None or objective.goal == "maximize" else 1.0
    out.sort(key=lambda g: (sign * g[1], g[3].run_id))
    return out


def surf_winner(
    rows: Sequence[Row], names: Sequence[str], objective: Objective | None
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The winning combination's best run (None: nothing judged) and the table."""
    groups = group_scores(rows, names, objective)
    table = [{"label": g[0], "score": g[1], "runs": g[2]} for g in groups[:TABLE_ROWS]]
    if not groups:
        return None, table
    label, value, count, best = groups[0]
    how = "best mark" if objective is None else f"mean {objective.metric} over {count} seed(s)"
    why = f"{label}: {how} {value:.4g}, the best of {len(groups)} combination(s)"
    return best.to_json(why), table


def run_winner(
    rows: Sequence[Row], objective: Objective | None, limit: int = TABLE_ROWS
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The best single run (None: nothing judged) and the top ``limit`` of the ranking."""
    order = ranked(rows, objective)
    table = [r.to_json() for r in order[:limit]]
    if not order:
        return None, table
    best = order[0]
    if objective is None:
        why = f"run {best.run_id}: {'picked, ' if best.picked else ''}{best.rating or 0} star(s)"
    else:
        why = f"run {best.run_id}: {objective.metric} {best.score:.4g}, the best of {len(order)}"
    return best.to_json(why), table


def heroes(rows: Sequence[Row], objective: Objective | None) -> list[dict[str, Any]]:
    """The top runs of the final settings (the report's hero runs)."""
    return [r.to_json() for r in ranked(rows, objective)[:TOP_HEROES]]
