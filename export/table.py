"""The batch as one typed table: what every exporter reads.

metadata.csv is read only through the run store (``StoreReader.open`` ->
``read_metadata`` -> ``RunRecord``), never parsed here: the cells get their
types from plan.json (parameter values, as the plan froze them) and from the
store's own record (timestamps, seconds, outputs, scores). Columns follow
metadata.csv's order (docs/run-store.md), so every export has the same names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from ..core.config.model import ParameterSpec
from ..core.store.format import SCORE_PREFIX, RunRecord
from ..core.store.reader import StoreReader

# int, float, bool, text: scalars; json: lists/dicts (or mixed) kept as Python values;
# time: a UTC datetime; list: a list of strings (outputs, cached nodes).
Kind = Literal["int", "float", "bool", "text", "json", "time", "list"]
TIME_COLUMNS = ("queued_at", "started_at", "finished_at")


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind


@dataclass(frozen=True)
class Run:
    """One recorded run: its typed row and what the exporters attach to it."""

    record: RunRecord
    folder: str  # runs/<folder>/ in the batch
    row: dict[str, Any]  # column name -> typed value, None when empty


@dataclass(frozen=True)
class BatchTable:
    root: Path
    name: str
    columns: list[Column]
    params: list[str]  # parameter columns, in config order
    scores: list[str]  # score columns, with their score_ prefix
    specs: dict[str, ParameterSpec]
    planned: dict[str, list[Any]]  # every planned value of each parameter (done or not)
    runs: list[Run]  # recorded runs, in run_id order

    def kind(self, name: str) -> Kind:
        return next(c.kind for c in self.columns if c.name == name)


def value_kind(values: Iterable[Any]) -> Kind:
    """The narrowest column type holding every value (None ignored)."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return "bool"
    if any(isinstance(v, bool) for v in present):
        return "json"  # bools mixed with others: keep each value as it is
    if all(isinstance(v, int) for v in present):
        return "int"
    if all(isinstance(v, (int, float)) for v in present):
        return "float"
    if all(isinstance(v, str) for v in present):
        return "text"
    return "json"


def _time(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, timezone.utc)


def _typed(value: Any, kind: Kind) -> Any:
    if kind == "float" and value is not None:
        return float(value)
    return value


def _row(rec: RunRecord, table_params: dict[str, Kind], scores: list[str]) -> dict[str, Any]:
    row: dict[str, Any] = {"run_id": rec.run_id, "status": rec.status}
    row.update({p: _typed(rec.values.get(p), k) for p, k in table_params.items()})
    row["prompt_id"] = rec.prompt_id or None
    row.update(
        queued_at=_time(rec.queued_at),
        started_at=_time(rec.started_at),
        finished_at=_time(rec.finished_at),
        execution_s=rec.execution_s,
        outputs=list(rec.outputs),
        cached_nodes=list(rec.cached_nodes),
        error=rec.error or None,
    )
    row.update({s: rec.scores.get(s[len(SCORE_PREFIX) :]) for s in scores})
    return row


def _columns(params: dict[str, Kind], scores: list[str]) -> list[Column]:
    return [
        Column("run_id", "int"),
        Column("status", "text"),
        *(Column(p, k) for p, k in params.items()),
        Column("prompt_id", "text"),
        *(Column(t, "time") for t in TIME_COLUMNS),
        Column("execution_s", "float"),
        Column("outputs", "list"),
        Column("cached_nodes", "list"),
        Column("error", "text"),
        *(Column(s, "float") for s in scores),
    ]


def read_batch(root: Path) -> BatchTable:
    """The batch folder ``root`` as a typed table. StoreError (one line naming
    the folder) when it is not a readable batch."""
    store = StoreReader.open(Path(root))
    plan = store.plan
    planned = {p: [r.values.get(p) for r in plan.runs] for p in plan.parameters}
    kinds = {p: value_kind(planned[p]) for p in plan.parameters}
    records = store.records()
    names = sorted({s for r in records for s in r.scores})
    scores = [SCORE_PREFIX + s for s in names]
    folders = {r.run_id: r.folder for r in plan.runs}
    runs = [Run(rec, folders.get(rec.run_id, ""), _row(rec, kinds, scores)) for rec in records]
    return BatchTable(
        root=store.root,
        name=store.name,
        columns=_columns(kinds, scores),
        params=list(plan.parameters),
        scores=scores,
        specs=dict(store.config.parameters),
        planned=planned,
        runs=runs,
    )
