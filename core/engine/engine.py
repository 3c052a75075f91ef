"""The execution engine: runs a batch's pending runs through a ``Backend``.

Pure asyncio; the backend does the I/O (``client.http_backend.HttpBackend``
over ComfyUI's HTTP API, or the in-process backend inside ComfyUI).

Why a window: the original suite submitted one prompt, polled every 2 s and
downloaded before submitting the next, costing 2.1-2.2x ComfyUI's own
execution time on ~1 s runs. Queueing everything at once costs 1.03x but makes
ComfyUI's queue crawl past a few hundred items (ComfyUI issue #1300) and locks
the user out of their own queue. So we keep ``window`` prompts queued ahead:
the next run starts the instant the previous one ends, and finished outputs
are downloaded while the next run executes.

Crash safety: a prompt id is recorded in the store *before* it is submitted;
on resume every such in-flight id is looked up on the server (finished ->
collected, queued/running -> waited for, unknown or interrupted -> submitted
again under a new id), so no run is lost, recorded twice or run twice.

Backend slots: a run is handed to a slot (a backend and its own window), not to
"the backend". One ComfyUI is one slot and behaves exactly as a single backend;
several slots pull work as each window frees up.

``RunOutcome`` and the history parsing both backends share are in
core/engine/history.py; the adaptive poll pacing is in core/engine/pacing.py.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import BackendError, PromptRejected
from ..labels import fill_label_nodes
from ..plan.build import prompt_for_run
from ..plan.order import order_levels
from ..store.format import RunRecord
from .ahead import Ahead
from .backend import Backend, BackendSlot
from .events import EngineEvent, EngineSummary, new_prompt_id
from .fleet import Fleet, unreachable
from .flight import Flight, Outgoing, poll_each, run_record
from .history import RunOutcome, fully_cached
from .inputs import ensure_inputs
from .pacing import Pacer
from .placement import FifoRuns, GroupedRuns, RunSource, upstream_key

if TYPE_CHECKING:
    from ..plan.model import PlannedRun
    from ..store.runstore import RunStore

FULLY_CACHED = (
    "ComfyUI answered from its cache with no output files (the identical prompt had "
    "just run); rerun the command to execute it again"
)
DEFAULT_SLOT = "default"  # the one unnamed slot of a single-backend sweep
QUEUE_CHECK_EVERY = 5.0  # seconds between /queue looks for prompts lost by the server


# ------------------------------------------------------------------ engine


class _Sweep:
    """One engine session over one store (held locked by the caller)."""

    def __init__(
        self,
        store: RunStore,
        slots: Sequence[BackendSlot],
        opts: dict[str, Any],
        build_prompt: Callable[[PlannedRun], dict[str, Any]],
    ) -> None:
        self.store, self.slots, self.opts, self.build_prompt = store, slots, opts, build_prompt
        self.fleet = Fleet(slots, opts["reconnect_window"])
        self.todo: RunSource = FifoRuns()
        if opts["source"] is not None:  # an adaptive search: the plan grows as it proposes
            self.todo = opts["source"]
        elif self.fleet.multi:
            self.todo = GroupedRuns(upstream_key(order_levels(store.config, store.workflow)))
        self.per_server: dict[str, tuple[int, float]] = {}
        self.flights: OrderedDict[str, Flight] = OrderedDict()
        self.ahead = Ahead()  # prepared, ids recorded, not yet sent (core/engine/ahead.py)
        self.collecting: set[asyncio.Task[None]] = set()
        self.pacer = Pacer(opts["poll_interval"])
        self.stop: asyncio.Event = opts["stop"] or asyncio.Event()
        self.halted = False  # fail-fast tripped
        self.submitted = self.finished_now = 0
        self.execution_s = 0.0
        self.fatal: BaseException | None = None
        self.last_queue_check = time.monotonic()

    @property
    def total(self) -> int:
        """Planned runs, plus those an adaptive source will still propose."""
        return len(self.store.plan.runs) + self.todo.unplanned()

    # -- events -----------------------------------------------------------
    def counts(self) -> tuple[int, int]:
        return self.store.counts()

    def emit(self, kind: str, run: PlannedRun | None = None, message: str = "") -> None:
        cb = self.opts["on_event"]
        if cb is None:
            return
        done, failed = self.counts()
        eta = self.pacer.eta(len(self.todo) + len(self.flights))
        cb(EngineEvent(kind, run, done, failed, self.total, eta, message))

    # -- submitting ---------------------------------------------------------
    async def prepare(self, run: PlannedRun, slot: BackendSlot, losses: int = 0) -> Outgoing:
        """Build a run's prompt and record its prompt id (on disk after ``durable``)."""
        if run.files:  # input sets: the set's media on the server first (once per session)
            await ensure_inputs(slot.backend, run.files)
        prompt = fill_label_nodes(self.build_prompt(run), run.values, run.run_id)
        pid = new_prompt_id()
        self.store.record_submitted(run.run_id, pid, prompt)
        return Outgoing(run, slot, pid, prompt, losses)

    async def durable(self, written: concurrent.futures.Future[None] | None = None) -> None:
        """Every prompt id recorded so far (or up to ``written``, a ``flushed()``
        taken after them) is on disk. A prompt must not run before its id is: a
        crash after this point is resolved on resume by asking the server for it."""
        durable = written or self.store.flushed()
        if not durable.done():
            await asyncio.wrap_future(durable)
        durable.result()  # a failed write stops the sweep before its prompt runs

    async def send(self, out: Outgoing) -> None:
        """Queue a prepared prompt (its id durable) on its slot."""
        run, slot, pid = out.run, out.slot, out.prompt_id
        queued_at = time.time()
        try:
            queued = await slot.backend.submit(
                pid, out.prompt, client_id=self.opts["client_id"], workflow=self.opts["ui_workflow"]
            )
        except PromptRejected as err:
            if self.counts()[0] == 0 and self.finished_now == 0:
                raise  # the first prompt refused: every run would be; keep it in flight for a rerun
            self.record_failed(run, pid, err.message, queued_at, slot)
            return
        if queued != out.prompt:  # another extension rewrote it: keep what really runs
            self.store.save_prompt(run.run_id, queued)
        self.flights[pid] = Flight(run, pid, queued_at, slot, out.losses)
        self.submitted += 1
        self.emit("submitted", run)

    async def submit(self, run: PlannedRun, slot: BackendSlot, losses: int = 0) -> None:
        out = await self.prepare(run, slot, losses)
        await self.durable()
        await self.send(out)

    def load(self, slot: BackendSlot) -> int:
        return sum(1 for f in self.flights.values() if f.slot is slot)

    async def fill_window(self) -> None:
        """Each slot pulls work as its window frees up (a fast server does more runs):
        prompts prepared earlier (their ids on disk by now) are sent at once, and
        as many are prepared for next time, their ids written together meanwhile."""
        await self.prepare_ahead()
        for slot in self.fleet.up():
            while self.load(slot) < slot.window and not self.stopping:
                out = self.ahead.next(slot.name)
                if out is None:
                    break
                try:
                    await self.durable(out.written)
                    await self.send(out)
                except BackendError as err:
                    self.todo.put_back(out.run)  # its prompt id is recorded: a resume finds it
                    self.slot_failed(slot, err)
                    break

    async def prepare_ahead(self) -> None:
        """Fill each slot's free places and, with one server in plan order, a window
        more. Not for a fleet (its placement keeps a group's runs together as servers
        free up; a fleet's round fills several places per wait anyway) nor an
        adaptive sweep (its next runs depend on results still to come)."""
        extra = 0 if self.fleet.multi or self.opts["source"] is not None else self.slots[0].window
        fresh: list[Outgoing] = []
        for slot in self.fleet.up():
            want = slot.window - self.load(slot) + extra - self.ahead.count(slot.name)
            while self.todo and want > 0 and not self.stopping:
                run = self.todo.take(slot.name)
                if run is None:
                    break
                try:
                    fresh.append(await self.prepare(run, slot))
                except BackendError as err:
                    self.todo.put_back(run)  # its prompt id may be recorded: a resume finds it
                    self.slot_failed(slot, err)
                    break
                self.ahead.add(fresh[-1])
                want -= 1
        written = self.store.flushed()  # one barrier after all of them: one group commit
        for out in fresh:
            out.written = written

    def withdraw(self, slot: BackendSlot | None = None) -> None:
        """Prompts prepared for ``slot`` (every slot: None), never sent: back to
        the queue and out of ``submitted``."""
        gone = self.ahead.release(None if slot is None else slot.name)
        for out in gone:
            self.todo.put_back(out.run)
        if gone:
            self.store.withdraw_submitted({o.run.run_id: o.prompt_id for o in gone})

    def slot_failed(self, slot: BackendSlot, err: BackendError) -> None:
        """One server of a fleet stopped answering: its runs go to the others.
        Anything else (one server only, a refused prompt, a bad answer) is raised."""
        if not (self.fleet.multi and unreachable(err)):
            raise err
        ids = self.ids_on(slot)
        for pid in ids:
            self.todo.put_back(self.flights.pop(pid).run)
        self.withdraw(slot)
        if isinstance(self.todo, GroupedRuns):
            self.todo.forget(slot.name)
        self.fleet.mark_down(slot, ids)
        self.emit("server_down", None, f"{slot.name} is not answering: {err.message}")

    @property
    def stopping(self) -> bool:
        return self.stop.is_set() or self.halted or self.fatal is not None

    # -- finishing ----------------------------------------------------------
    def record(self, rec: RunRecord, slot: BackendSlot) -> None:
        """Into the store; a fleet's runs say which server ran them."""
        if slot.name != DEFAULT_SLOT:  # named slots (a fleet, even one left with one server)
            rec.extra["server"] = slot.name
            runs, secs = self.per_server.get(slot.name, (0, 0.0))
            self.per_server[slot.name] = (runs + 1, secs + (rec.execution_s or 0.0))
        self.store.record_result(rec)

    def record_failed(
        self, run: PlannedRun, pid: str, error: str, queued_at: float | None, slot: BackendSlot
    ) -> None:
        rec = RunRecord(
            run_id=run.run_id, status="failed", values=dict(run.values), prompt_id=pid,
            queued_at=queued_at, started_at=None, finished_at=None, execution_s=None,
            outputs=[], error=error,
        )  # fmt: skip
        self.record(rec, slot)
        self.emit("failed", run, error)
        if self.opts["fail_fast"]:
            self.halted = True

    def finish(self, flight: Flight, outcome: RunOutcome) -> None:
        if outcome.execution_s is not None:
            self.execution_s += outcome.execution_s
        if outcome.status == "success":
            task = asyncio.ensure_future(self.guarded(self.collect(flight, outcome)))
            self.collecting.add(task)
            task.add_done_callback(self.collecting.discard)
            return
        if outcome.status == "interrupted" and flight.adopted:
            self.todo.put_back(flight.run)  # our own earlier Ctrl-C: run it again
            return
        self.finished_now += 1
        self.record(run_record(flight, outcome, [], self.store.root), flight.slot)
        self.emit("failed", flight.run, outcome.error)
        if self.opts["fail_fast"]:
            self.halted = True

    async def guarded(self, work: Awaitable[None]) -> None:
        """Run a task nobody awaits; keep its failure for the main loop to raise.
        An unretrieved task exception would only surface as a traceback at exit,
        and the sweep would go on as if nothing had happened."""
        try:
            await work
        except Exception as err:  # noqa: BLE001 - not swallowed: kept and raised by the main loop (our disk, the store, a bug)
            self.fatal = self.fatal or err

    async def collect(self, flight: Flight, outcome: RunOutcome) -> None:
        dest = self.store.root / "runs"
        try:
            dest = self.store.run_dir(flight.run.run_id)
            paths = await flight.slot.backend.collect(outcome, dest)
        except OSError as err:
            # Our disk (full, read-only): fatal for the sweep; the run stays in
            # flight so a rerun collects it.
            if err.filename is None:
                err.filename = str(dest)  # a failed write() names no file
            raise
        except BackendError as err:
            if self.fleet.multi and unreachable(err):  # gone with the outputs: run it elsewhere
                self.todo.put_back(flight.run)
                if not self.fleet.is_down(flight.slot):  # its other runs too, not left waiting
                    self.slot_failed(flight.slot, err)
                return
            if err.details.get("address") is not None:  # server gone: fatal, rerun resumes
                raise
            self.finished_now += 1
            error = f"collecting outputs: {err.message}"
            self.record_failed(flight.run, flight.prompt_id, error, flight.queued_at, flight.slot)
            return
        if not paths and fully_cached(outcome, self.store.workflow.prompt):
            # Recording this as done would be a silent empty run; as a failure it
            # is retried on resume, when ComfyUI's previous prompt is another one.
            self.finished_now += 1
            self.record_failed(
                flight.run, flight.prompt_id, FULLY_CACHED, flight.queued_at, flight.slot
            )
            return
        self.finished_now += 1
        self.record(run_record(flight, outcome, paths, self.store.root), flight.slot)
        self.emit("done", flight.run)

    # -- polling ------------------------------------------------------------
    def ids_on(self, slot: BackendSlot) -> list[str]:
        return [pid for pid, f in self.flights.items() if f.slot is slot]

    async def poll_slots(self) -> list[tuple[BackendSlot, dict[str, RunOutcome] | BackendError]]:
        """What each server with prompts of ours has finished, asked of all at once:
        a fleet's round then costs one server's answer time, not the sum (issue 15)."""

        async def one(slot: BackendSlot, ids: list[str]) -> dict[str, RunOutcome] | BackendError:
            try:
                return await slot.backend.poll(ids)
            except BackendError as err:
                return err

        asked = [(slot, ids) for slot in self.fleet.up() if (ids := self.ids_on(slot))]
        answers = await asyncio.gather(*(one(slot, ids) for slot, ids in asked))
        return [(slot, answer) for (slot, _), answer in zip(asked, answers, strict=True)]

    async def poll_once(self) -> int:
        count = 0
        for slot, finished in await self.poll_slots():
            if isinstance(finished, BackendError):
                self.slot_failed(slot, finished)
                continue
            for pid, outcome in finished.items():
                flight = self.flights.pop(pid, None)
                if flight is not None:
                    self.finish(flight, outcome)
            count += len(finished)
        if self.fleet.any_down():
            for slot in await self.fleet.probe():
                self.emit("server_up", None, f"{slot.name} answers again: it rejoins the sweep")
            self.fleet.check_deadline()
        if count:
            self.pacer.finished(count)
        if time.monotonic() - self.last_queue_check > QUEUE_CHECK_EVERY:
            await self.check_lost()
        return count

    async def check_lost(self) -> None:
        """Prompts neither queued, running nor finished were lost (server restart
        or deleted by the user): submit them again, once, under a new id."""
        self.last_queue_check = time.monotonic()
        for slot in self.fleet.up():
            if self.ids_on(slot):
                try:
                    await self.check_lost_on(slot)
                except BackendError as err:
                    self.slot_failed(slot, err)

    async def check_lost_on(self, slot: BackendSlot) -> None:
        active = await slot.backend.active_ids()
        for pid in [p for p in self.ids_on(slot) if p not in active]:
            done = await slot.backend.poll([pid])
            flight = self.flights.pop(pid)
            if pid in done:
                self.finish(flight, done[pid])
            elif flight.losses >= 1:
                error = "prompt vanished from ComfyUI's queue twice"
                self.record_failed(flight.run, pid, error, flight.queued_at, slot)
            else:
                self.emit("resubmitted", flight.run, f"prompt {pid} vanished; submitting again")
                try:
                    await self.submit(flight.run, slot, flight.losses + 1)
                except BackendError:
                    self.todo.put_back(flight.run)  # neither in flight nor pending otherwise
                    raise

    async def wait(self, delay: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.stop.wait(), timeout=delay)

    # -- resume -------------------------------------------------------------
    async def adopt_in_flight(self, inflight: dict[int, str]) -> list[PlannedRun]:
        """Look up prompts a previous session submitted but never recorded, on
        every slot (a fleet's prompt may be queued on any of its servers)."""
        by_id = {r.run_id: r for r in self.store.plan.runs}
        left = {rid: pid for rid, pid in sorted(inflight.items()) if rid in by_id}
        for slot in self.slots:
            if not left:
                break
            try:
                left = await self.adopt_on(slot, left, by_id)
            except BackendError as err:
                self.slot_failed(slot, err)  # a fleet goes on without it; one server raises
        return [by_id[rid] for rid in left]  # unknown anywhere, or interrupted by our Ctrl-C

    async def adopt_on(
        self, slot: BackendSlot, inflight: dict[int, str], by_id: dict[int, PlannedRun]
    ) -> dict[int, str]:
        """Adopt what ``slot`` knows of ``inflight``; returns the rest."""
        active = await slot.backend.active_ids()  # before poll: a finish in between shows in poll
        finished = await poll_each(slot.backend, list(inflight.values()))
        rest: dict[int, str] = {}
        for run_id, pid in inflight.items():
            flight = Flight(by_id[run_id], pid, time.time(), slot, adopted=True)
            outcome = finished.get(pid)
            if outcome is not None and outcome.status != "interrupted":
                self.finish(flight, outcome)
            elif outcome is None and pid in active:
                self.flights[pid] = flight
            else:
                rest[run_id] = pid
        return rest

    # -- main ---------------------------------------------------------------
    async def run(self) -> EngineSummary:
        start = time.monotonic()
        self.store.set_state("running")
        self.emit("start")
        inflight = self.store.in_flight()
        self.todo.add(await self.adopt_in_flight(inflight))
        self.todo.add(r for r in self.store.pending() if r.run_id not in inflight)
        try:
            await self.loop()
        finally:
            await self.shutdown()
        if self.fatal is not None:
            raise self.fatal
        settle = self.opts.get("settle")
        if settle is not None:  # e.g. the last scores: a sweep is done once they are in
            await settle()
        done, failed = self.counts()
        state = (
            "done"
            if done + failed >= self.total and not self.todo and not self.flights
            else "interrupted"
        )
        self.store.set_state(state)
        self.emit("end")
        return EngineSummary(
            done, failed, self.total, time.monotonic() - start, self.execution_s, state,
            self.submitted, self.finished_now, self.halted and state != "done", self.per_server,
        )  # fmt: skip

    async def loop(self) -> None:
        while (self.todo or self.flights or self.ahead) and not self.stopping and not self.fatal:
            await self.fill_window()
            if (
                not self.flights
                and not (self.todo and self.fleet.any_down())
                and not self.todo.waiting()
            ):
                break  # a fleet with servers away and runs left waits for one to rejoin
            if await self.poll_once():
                await self.fill_window()
                continue
            await self.wait(self.pacer.next_delay(tail=not (self.todo or self.ahead)))
        if self.fatal is not None:
            raise self.fatal

    async def shutdown(self) -> None:
        """Stop: remove our pending prompts, interrupt our running one, finish downloads."""
        self.withdraw()  # prepared, never sent
        if self.flights and self.stopping and self.fatal is None:
            self.emit("stopping", None, f"cancelling {len(self.flights)} queued prompt(s)")
            for slot in self.slots:
                with contextlib.suppress(BackendError):
                    await slot.backend.cancel(self.ids_on(slot))
        if self.collecting:
            await asyncio.gather(*self.collecting, return_exceptions=True)


def _default_builder(store: RunStore) -> Callable[[PlannedRun], dict[str, Any]]:

    return lambda run: prompt_for_run(store.workflow, store.config, run)


async def run_sweep(
    store: RunStore,
    backend: Backend | Sequence[BackendSlot],
    *,
    window: int = 3,
    fail_fast: bool = False,
    client_id: str | None = None,
    ui_workflow: dict[str, Any] | None = None,
    on_event: Callable[[EngineEvent], None] | None = None,
    stop: asyncio.Event | None = None,
    poll_interval: float = 0.25,
    build_prompt: Callable[[PlannedRun], dict[str, Any]] | None = None,
    reconnect_window: float = 60.0,
    source: RunSource | None = None,
    settle: Callable[[], Awaitable[None]] | None = None,
) -> EngineSummary:
    """Run every pending run of ``store`` (the caller holds its lock) through one
    backend (with ``window``) or through several backend slots (each its own window).
    ``source`` replaces the plan-order queue (an adaptive search proposing runs).

    Raises BackendError when the server goes away (state left "interrupted",
    a rerun resumes) and PromptRejected when the very first prompt is refused.
    """
    opts = {
        "fail_fast": fail_fast, "client_id": client_id,
        "ui_workflow": ui_workflow, "on_event": on_event, "stop": stop,
        "poll_interval": poll_interval, "reconnect_window": reconnect_window,
        "settle": settle, "source": source,
    }  # fmt: skip
    slots = (
        list(backend)
        if isinstance(backend, Sequence)
        else [BackendSlot(backend, max(1, window), DEFAULT_SLOT)]
    )
    sweep = _Sweep(store, slots, opts, build_prompt or _default_builder(store))
    try:
        return await sweep.run()
    except BaseException:
        with contextlib.suppress(Exception):
            store.set_state("interrupted")
        raise


__all__ = [
    "QUEUE_CHECK_EVERY",
    "Backend",
    "BackendSlot",
    "EngineEvent",
    "EngineSummary",
    "new_prompt_id",
    "run_sweep",
]
