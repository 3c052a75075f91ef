"""``AdaptiveRuns``: the engine's run source for ``sampling_strategy: adaptive``.

The engine takes runs from a ``RunSource`` (core/engine/placement.py). This one
hands out the plan's pending runs first (the initial Sobol design, or what a
previous session left), then asks a ``Proposer`` for the next sample each time
a backend slot frees up, expands it into ``seeds_per_sample`` runs and appends
them to plan.json (``RunStore.append_runs``) before handing them out, until
``num_samples`` samples exist.

The store is the only state. A sample's objective is the mean of its runs'
``score_<metric>`` in metadata.csv; a run that failed, or was scored without a
value for the metric, counts as failed (never as zero); a sample whose every
run failed is told to the proposer as failed. Scores reach the store from the
live scorer's thread, which calls ``scored(run_ids)`` once they are merged.

Proposals are computed on a worker thread (a Gaussian process takes tens of
milliseconds, more with hundreds of samples; server mode runs the engine on
ComfyUI's event loop): ``take`` starts one and returns None, and a later
``take`` (the engine's next poll) plans its result.

Determinism: the proposal for the k-th sample sees the results of samples
0..k-lag-1 only (it waits for them) and samples k-lag..k-1 as pending (what
Optuna's constant liar spreads proposals around), with a seed drawn from
(sweep_seed, k). So a proposal depends on sweep_seed, the lag (the queue
window) and the scores, never on timing: a resumed sweep rebuilds exactly the
same history from plan.json and metadata.csv and proposes what it would have.
"""

from __future__ import annotations

import math
import queue
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

import numpy as np

from ..labels import plan_labels
from ..plan.samples import Sample, expand_runs
from .space import Dim, Proposer, Trial, natives, search_space

if TYPE_CHECKING:
    from ..plan.model import PlannedRun
    from ..store.format import RunRecord
    from ..store.runstore import RunStore

MAX_ATTEMPTS = 8  # proposals identical to a sample already planned: ask again, then stop
_STREAM = 0xADA  # separates the proposer's seeds from the plan's streams


def proposal_seed(sweep_seed: int, k: int, attempt: int = 0) -> int:
    return int(np.random.SeedSequence([sweep_seed, _STREAM, k, attempt]).generate_state(1)[0])


def _key(space: Sequence[Dim], values: dict[str, Any]) -> tuple[str, ...]:
    return tuple(repr(values.get(d.name)) for d in space)


class AdaptiveRuns:
    """A ``RunSource`` proposing samples as results arrive (see the module docstring)."""

    def __init__(self, store: RunStore, proposer: Proposer, *, lag: int) -> None:
        obj = store.config.objective
        assert obj is not None and obj.goal is not None  # check_objective fills the goal
        self.store, self.cfg, self.proposer = store, store.config, proposer
        self.metric, self.goal = obj.metric, obj.goal
        self.lag = max(1, lag)
        self.space = search_space(self.cfg)
        self.listening = False  # set when a scorer will call scored(); else no score = failed
        self.exhausted = False  # the proposer only repeats planned samples
        self.queue: deque[PlannedRun] = deque()
        self._scored_q: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._scored: set[int] = set()
        self._results: dict[int, float | None] = {}
        self._asked: Future[dict[str, Any] | None] | None = None  # the proposal on its thread
        self._ready = False

    # -- the RunSource protocol ------------------------------------------------
    def take(self, slot: str) -> PlannedRun | None:
        self._ensure()
        if self.queue:
            return self.queue.popleft()
        return self._propose()

    def put_back(self, run: PlannedRun) -> None:
        self.queue.appendleft(run)

    def add(self, runs: Iterable[PlannedRun]) -> None:
        self._ensure()
        self.queue.extend(runs)

    def __len__(self) -> int:
        return len(self.queue) + self.unplanned()

    def waiting(self) -> bool:
        return not self.queue and self.unplanned() > 0

    def unplanned(self) -> int:
        self._ensure()
        if self.exhausted:
            return 0
        return max(0, self.cfg.num_samples - len(self._samples)) * self.cfg.seeds_per_sample

    def scored(self, run_ids: Sequence[int]) -> None:
        """From the scorer's thread: these runs' scores are in the store (or missing)."""
        for run_id in run_ids:
            self._scored_q.put(run_id)

    # -- the store as the only state ---------------------------------------------
    def _ensure(self) -> None:
        """Read the plan and the records once, under the session's lock (the engine's
        first call): runs not done now will run again in this session."""
        if self._ready:
            return
        self._ready = True
        self._samples: dict[int, list[int]] = {}  # sample index -> run ids, by first run id
        self._values: dict[int, dict[str, Any]] = {}
        for run in self.store.plan.runs:
            self._samples.setdefault(run.sample_index, []).append(run.run_id)
            self._values.setdefault(run.sample_index, run.values)
        live = {r.run_id for r in self.store.pending()}
        self._before = {rid: _prompt_id(self.store.record(rid)) for rid in live}
        self._recorded = {r.run_id for r in self.store.records()} - live

    def _run_result(self, run_id: int) -> tuple[bool, float | None]:
        """(finished, value): value None for a failed or unscored run."""
        rec = self.store.record(run_id)
        if rec is None or (run_id in self._before and rec.prompt_id == self._before[run_id]):
            return False, None  # not (re)run yet in this session
        if rec.status != "done":
            return True, None
        value = rec.scores.get(self.metric)
        if value is not None and math.isfinite(value):
            return True, value
        final = run_id in self._recorded or run_id in self._scored or not self.listening
        return final, None

    def _sample_result(self, index: int) -> tuple[bool, float | None]:
        if index in self._results:
            return True, self._results[index]
        values: list[float] = []
        for run_id in self._samples[index]:
            finished, value = self._run_result(run_id)
            if not finished:
                return False, None
            if value is not None:
                values.append(value)
        result = sum(values) / len(values) if values else None
        self._results[index] = result
        return True, result

    def _drain(self) -> None:
        while True:
            try:
                self._scored.add(self._scored_q.get_nowait())
            except queue.Empty:
                return

    # -- proposing -----------------------------------------------------------------
    def history(self) -> list[Trial] | None:
        """The trials the next proposal sees, or None while it must wait for results."""
        self._drain()
        order = list(self._samples)
        k = len(order)
        trials: list[Trial] = []
        for pos, index in enumerate(order):
            params = natives(self.space, self._values[index])
            if pos >= k - self.lag:
                state, value = "pending", None
            else:
                finished, value = self._sample_result(index)
                if not finished:
                    return None
                state = "complete" if value is not None else "failed"
            if params is not None:
                trials.append(Trial(params, state, value))  # type: ignore[arg-type]
        return trials

    def _propose(self) -> PlannedRun | None:
        if self.unplanned() == 0:
            return None
        if self._asked is None:
            trials = self.history()
            if trials is not None:
                self._asked = self._start(trials, len(self._samples))
            return None
        if not self._asked.done():
            return None
        values, self._asked = self._asked.result(), None  # a proposer's error raises here
        if values is None:
            self.exhausted = True
            return None
        return self._plan(values)

    def _start(self, trials: list[Trial], k: int) -> Future[dict[str, Any] | None]:
        """``_ask`` on a daemon thread (it reads ``_values``, which only ``_plan``
        changes, and ``_plan`` waits for it)."""
        future: Future[dict[str, Any] | None] = Future()

        def work() -> None:
            try:
                future.set_result(self._ask(trials, k))
            except BaseException as err:  # noqa: BLE001 - handed to the engine's thread
                future.set_exception(err)

        threading.Thread(target=work, name="comfy-sweep-propose", daemon=True).start()
        return future

    def _ask(self, trials: list[Trial], k: int) -> dict[str, Any] | None:
        assert self.cfg.sweep_seed is not None
        seen = {_key(self.space, v) for v in self._values.values()}
        repeats_ok = any(s.type == "random_seed" for s in self.cfg.parameters.values())
        values: dict[str, Any] = {}
        for attempt in range(MAX_ATTEMPTS):
            seed = proposal_seed(self.cfg.sweep_seed, k, attempt)
            native = self.proposer.propose(self.space, trials, self.goal, seed)
            values = {d.name: d.value(native[d.name]) for d in self.space}
            if _key(self.space, values) not in seen:
                return values
        return values if repeats_ok else None  # a repeat with fresh seeds still tells something

    def _plan(self, values: dict[str, Any]) -> PlannedRun:
        """The sample as runs, appended to plan.json before any is handed out."""
        assert self.cfg.sweep_seed is not None
        plan = self.store.plan
        index = max(self._samples, default=-1) + 1
        taken = {r.folder for r in plan.runs}
        runs = expand_runs(
            [Sample(index, values)], self.cfg, self.cfg.sweep_seed, len(plan.runs) + 1, taken
        )
        self.store.append_runs(runs, plan_labels(self.cfg, [*plan.runs, *runs]))
        self._samples[index] = [r.run_id for r in runs]
        self._values[index] = runs[0].values
        self.queue.extend(runs[1:])
        return runs[0]


def _prompt_id(rec: RunRecord | None) -> str | None:
    return rec.prompt_id if rec is not None else None
