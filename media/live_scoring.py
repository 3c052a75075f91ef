"""Scores for every run of a running sweep, computed as each run finishes.

The session hands over a run id when the run is recorded done; one worker
thread decodes its outputs and computes the config's ``metrics:`` (PIL, PyAV
and numpy release the GIL for the heavy parts), so the engine never waits on
a score: not on ComfyUI's event loop, not on the path from one prompt to the
next. Memory stays bounded: the queue holds run ids only, and a run's frames
are dropped as soon as its scores are known.

Scores reach metadata.csv in batches (``merge_scores`` rewrites the file, so one
rewrite per run would cost O(runs²) on a long sweep): at most every
``MERGE_EVERY`` seconds while runs keep coming, and whatever is left when the
sweep ends (``drain``).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ..core.metrics.spec import MetricSpec
from ..core.store.runstore import RunStore
from .score_batch import context_for
from .scoring import ScoreContext, numeric, score_run

log = logging.getLogger("comfy_sweep.scoring")

MERGE_EVERY = 2.0  # seconds


class LiveScorer:
    """``run_done(run_id)`` from the sweep's thread; ``await drain()`` at its end."""

    def __init__(self, store: RunStore, specs: Sequence[MetricSpec], ctx: ScoreContext) -> None:
        self.store = store
        self.specs = list(specs)
        self.ctx = ctx
        self._todo: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self._pending: dict[int, dict[str, float]] = {}
        self._finished: list[int] = []  # scored since the last merge, with or without values
        self._listeners: list[Callable[[list[int]], None]] = []
        self._merged_at = time.monotonic()
        self._thread = threading.Thread(target=self._work, name="comfy-sweep-scores", daemon=True)
        self._thread.start()

    def run_done(self, run_id: int) -> None:
        self._todo.put(run_id)

    def subscribe(self, listener: Callable[[list[int]], None]) -> None:
        """Call ``listener(run_ids)`` (in the scorer's thread) once those runs' scores
        are in the store, or known to be missing (an adaptive search waits for them)."""
        self._listeners.append(listener)

    async def drain(self) -> None:
        """Every queued run scored and merged (the thread then ends)."""
        self._todo.put(None)
        await asyncio.to_thread(self._thread.join)

    def _work(self) -> None:
        while True:
            run_id = self._todo.get()
            if run_id is None:
                break
            self._score(run_id)
            if self._todo.empty() or time.monotonic() - self._merged_at > MERGE_EVERY:
                self._merge()
        self._merge()

    def _score(self, run_id: int) -> None:
        self._finished.append(run_id)
        rec = self.store.record(run_id)
        if rec is None or rec.status != "done":
            return
        paths = [self.store.root / rel for rel in rec.outputs]
        values = numeric(
            score_run(paths, self.specs, context=context_for(self.store, run_id, self.ctx))
        )
        if values:
            self._pending[run_id] = values

    def _merge(self) -> None:
        self._merged_at = time.monotonic()
        finished, self._finished = self._finished, []
        if self._pending:
            pending, self._pending = self._pending, {}
            try:
                self.store.merge_scores(pending)
            except Exception as err:  # noqa: BLE001 - a score must never stop the sweep; say why once
                log.warning("comfy-sweep: scores of %d run(s) not saved: %s", len(pending), err)
        if finished:
            for listener in self._listeners:
                listener(finished)


def scorer_for(
    store: RunStore,
    *,
    comfy_address: str | None = None,
    comfy_token: str | None = None,
    input_dir: Path | None = None,
) -> LiveScorer | None:
    """The live scorer of a batch whose config names ``metrics:`` (else None); a
    scorer that cannot work at all (a missing reference file, a program not found)
    is refused before the first run (ConfigError naming the field). ``input_dir``:
    ComfyUI's input folder when the server runs the sweep ("name [input]" references)."""
    specs = store.config.metrics
    if not specs:
        return None
    from .scorers import check_scorers

    ctx = ScoreContext(
        base_dir=store.config.base_dir, input_dir=input_dir,
        comfy_address=comfy_address, comfy_auth_token=comfy_token,
    )  # fmt: skip
    check_scorers(specs, ctx)
    return LiveScorer(store, specs, ctx)
