"""One sweep session: a plan run through backend slots into a run store.

Both adapters drive a sweep through this class and nothing else: the server
(``server_routes/service.py``, one session per running sweep on ComfyUI's event
loop) and ``cr-batch`` in client mode. The session owns what they used to spell
out each on its own:

- the store's single-writer lock, held from ``open()`` until the session ends;
- ordered background writes (``write_behind``): a server keeps fsyncs off its
  event loop, the engine still waits for a prompt id to be durable before the
  prompt is queued (core/engine/engine.py);
- ``run_sweep`` over the backend slots, with the engine's events forwarded;
- the state it leaves (lifecycle.end_state: done, interrupted, or cancelled when
  the user asked), also when the engine raises;
- the summary, fail-fast included (``summarize`` is shared with the server-mode
  mirror, which only follows a sweep someone else runs);
- the live contact sheet: poked as runs finish, one final render at the end;
- scores for every run (``metrics:``), computed as each run finishes by a
  ``RunScorer`` off the engine's path, all merged before the session ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..engine.backend import Backend, BackendSlot
from ..engine.engine import run_sweep
from ..engine.events import EngineEvent, EngineSummary
from ..engine.placement import RunSource
from ..errors import SweepError
from ..store.writer import OrderedWriter
from .lifecycle import end_state

if TYPE_CHECKING:
    from ..store.runstore import RunStore

log = logging.getLogger("comfy_sweep.session")


class RunScorer(Protocol):
    """Scores for every run as it finishes (media/live_scoring.py), off the engine's path."""

    def run_done(self, run_id: int) -> None:
        """A run was recorded done: score it (never blocks)."""

    async def drain(self) -> None:
        """Every run handed over is scored and its scores are in the store."""


class SheetHook(Protocol):
    """The live contact sheet as the session sees it."""

    def poke(self) -> None:
        """A run finished: refresh soon (never blocks)."""

    async def flush(self) -> None:
        """The final render, once every write is on disk."""


@dataclass
class SessionOptions:
    holder: str  # who holds the lock, shown to a second writer ("cr-batch (pid 12)")
    window: int = 3
    fail_fast: bool = False
    client_id: str | None = None
    ui_workflow: dict[str, Any] | None = None
    poll_interval: float = 0.25
    write_behind: bool = False
    reconnect_window: float = 60.0  # a fleet fails only when no server answers this long


def summarize(
    store: RunStore, state: str, wall_s: float, execution_s: float = 0.0
) -> EngineSummary:
    """The summary of a sweep from what its store recorded (a follower's view).
    A fail-fast sweep that stopped at a failed run is ``halted`` (exit 1, not 130)."""
    done, failed = store.counts()
    halted = state != "done" and failed > 0 and store.config.comfyui.fail_fast
    return EngineSummary(
        done, failed, len(store.plan.runs), wall_s, execution_s, state, halted=halted
    )


class SweepSession:
    """Drives one store from ``open()`` (lock taken) to the end of ``run()``."""

    def __init__(
        self,
        store: RunStore,
        backend: Backend | Sequence[BackendSlot],
        options: SessionOptions,
        *,
        on_event: Callable[[EngineEvent], None] | None = None,
        sheet: SheetHook | None = None,
        scorer: RunScorer | None = None,
        source: RunSource | None = None,
    ) -> None:
        self.store = store
        self.backend = backend
        self.options = options
        self.on_event = on_event
        self.sheet = sheet
        self.scorer = scorer
        self.source = source  # None: the plan's pending runs in order
        self.stop = asyncio.Event()
        self.cancelled = False
        self.last: EngineEvent | None = None
        self._lock: contextlib.ExitStack | None = None
        self._writer: OrderedWriter | None = None

    # -- life ---------------------------------------------------------------
    def open(self) -> None:
        """Take the store's lock (StoreLockedError names the holder) and start the
        background writer. Synchronous, so a server can answer 202 holding it."""
        if self._lock is not None:
            return
        lock = contextlib.ExitStack()
        lock.enter_context(self.store.lock(self.options.holder))
        self._lock = lock
        if self.options.write_behind:
            self._writer = OrderedWriter()
            self.store.write_behind(self._writer)  # after the lock: its repair writes are done

    def request_stop(self, *, cancel: bool = False) -> None:
        """Stop submitting, remove our queued prompts; ``cancel`` leaves it cancelled."""
        self.cancelled = self.cancelled or cancel
        self.stop.set()

    async def run(self) -> EngineSummary:
        """Run every pending run. Raises what the engine raises (the server went
        away, the first prompt was refused, our disk failed), the state on disk
        already set (interrupted, or cancelled when asked)."""
        self.open()
        try:
            summary = await self._run_engine()
        finally:
            await self._close()
        return summary

    async def _run_engine(self) -> EngineSummary:
        opts = self.options
        try:
            summary = await run_sweep(
                self.store,
                self.backend,
                window=opts.window,
                fail_fast=opts.fail_fast,
                client_id=opts.client_id,
                ui_workflow=opts.ui_workflow,
                on_event=self._event,
                stop=self.stop,
                poll_interval=opts.poll_interval,
                reconnect_window=opts.reconnect_window,
                source=self.source,
                settle=self.scorer.drain if self.scorer is not None else None,
            )
        except SweepError as err:
            self._leave(end_state(complete=False, cancelled=self.cancelled), err.message)
            raise
        state = end_state(complete=summary.state == "done", cancelled=self.cancelled)
        if state != summary.state:
            self.store.set_state(state)
            summary.state = state
        return summary

    def _leave(self, state: str, message: str) -> None:
        with contextlib.suppress(SweepError, OSError):  # a full disk: this write fails too
            self.store.set_state(state, message=message)

    def _event(self, ev: EngineEvent) -> None:
        self.last = ev
        if ev.kind == "done" and ev.run is not None and self.scorer is not None:
            self.scorer.run_done(ev.run.run_id)
        if ev.kind in ("done", "failed") and self.sheet is not None:
            self.sheet.poke()
        if self.on_event is not None:
            self.on_event(ev)

    async def _close(self) -> None:
        """The last scores, every queued write on disk, then the lock released,
        then the final sheet."""
        if self.scorer is not None:
            await self.scorer.drain()
        try:
            await asyncio.wrap_future(self.store.flushed())
        except Exception as err:  # noqa: BLE001 - a failed write of any kind: the sweep stopped on it already or resumes
            log.warning("comfy-sweep: sweep %s: last writes failed: %s", self.store.name, err)
        if self._lock is not None:
            self._lock.close()  # only now: every queued write is on disk
            self._lock = None
        if self._writer is not None:
            self.store.write_behind(None)
            await asyncio.to_thread(self._writer.close)
            self._writer = None
        if self.sheet is not None:
            await self.sheet.flush()
