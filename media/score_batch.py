"""Scores for a whole batch already on disk (cr-score): every done run's
metrics, computed in a few worker threads, without re-running anything.

The caller holds the batch lock and merges the result with
``RunStore.merge_scores`` (see cli/score.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..core.metrics.spec import MetricSpec
from ..core.store.format import RunRecord
from ..core.store.reader import StoreReader
from .scoring import ScoreContext, numeric, score_run


@dataclass
class BatchScores:
    """Scores by run id, and per metric name the runs left without a value."""

    scores: dict[int, dict[str, float]] = field(default_factory=dict)
    missing: dict[str, list[int]] = field(default_factory=dict)
    runs: int = 0


def siblings_of(store: StoreReader, run_id: int) -> list[list[Path]]:
    """Output paths of the other done repetitions (seeds) of ``run_id``'s sample."""
    by_id = {r.run_id: r for r in store.plan.runs}
    sample = by_id[run_id].sample_index
    out = []
    for run in store.plan.runs:
        rec = store.record(run.run_id)
        if run.sample_index == sample and run.run_id != run_id and rec and rec.status == "done":
            out.append([store.root / rel for rel in rec.outputs])
    return out


def context_for(store: StoreReader, run_id: int, base: ScoreContext) -> ScoreContext:
    """``base`` with the run's siblings filled in (for ``diversity``)."""
    return dataclasses.replace(base, siblings=siblings_of(store, run_id))


def score_batch(
    store: StoreReader,
    specs: Sequence[MetricSpec],
    base: ScoreContext,
    *,
    jobs: int = 2,
    on_run: Callable[[int, int], None] | None = None,
) -> BatchScores:
    """Score every done run of ``store``; ``on_run(finished, total)`` reports progress."""
    done: list[RunRecord] = [r for r in store.records() if r.status == "done"]
    result = BatchScores(runs=len(done))

    def one(rec: RunRecord) -> tuple[int, dict[str, float | None]]:
        ctx = context_for(store, rec.run_id, base)
        return rec.run_id, score_run([store.root / o for o in rec.outputs], specs, context=ctx)

    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="cr-score") as pool:
        for n, (run_id, values) in enumerate(pool.map(one, done), start=1):
            for name, value in values.items():
                if value is None:
                    result.missing.setdefault(name, []).append(run_id)
            if numeric(values):
                result.scores[run_id] = numeric(values)
            if on_run is not None:
                on_run(n, len(done))
    return result
