"""Write-behind with group commit: one thread writes a run store's files in order,
and the writes queued while it was busy go to disk together.

A sweep records every run with a few small writes (the prompt id before the
prompt is queued, then the run's row and the counts); each durable one costs an
fsync of several milliseconds. Done one by one on the event loop they capped one
driver near 26 runs/s (issue 15). The store hands them to ``OrderedWriter``
instead, as ``Replace`` (a whole file, atomically) and ``Append`` (lines of
metadata.csv). The writer takes everything queued so far as one batch and
``coalesce``s it before writing:

- a file replaced twice in the batch is written once, with the later content
  (progress.json after every submit and every row: the later one says more);
- appends to the same file are joined into one write and one fsync, at the
  place of the first (rows of runs that finished in the same moment).

Why this is crash-safe: nothing outside the process acts on a write until a
``barrier()`` after it is done (the engine queues a prompt only once its id is on
disk), and a batch never merges across a barrier, so every barrier still sees
every write before it on disk. Between barriers the files only ever go through
states a reader reconciles: rows move earlier, never behind a progress.json that
counts them; a replaced file skips an intermediate content but never goes back.
A kill -9 loses what was not yet written, which is the same as dying earlier.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import atomic

__all__ = ["Append", "OrderedWriter", "Replace", "coalesce"]


@dataclass(frozen=True)
class Replace:
    """Atomically replace ``path`` with ``text``; fsync'd when ``durable``.
    ``then`` runs once the content is on disk (it must concern this file's
    content only: when a later Replace supersedes this one, only the later's runs)."""

    path: Path
    text: str
    durable: bool = True
    then: Callable[[], None] | None = None

    def run(self) -> None:
        atomic.write_text(self.path, self.text, durable=self.durable)
        if self.then is not None:
            self.then()


@dataclass(frozen=True)
class Append:
    """Append complete lines (``text`` ends in a newline) and fsync them."""

    path: Path
    text: str

    def run(self) -> None:
        atomic.append_line(self.path, self.text)


@dataclass(frozen=True)
class _Call:
    """Anything else (tests, a hook): written as is, and nothing is merged across it."""

    fn: Callable[..., Any]
    args: tuple[Any, ...]

    def run(self) -> None:
        self.fn(*self.args)


Op = Replace | Append | _Call


def coalesce(ops: list[Op]) -> list[Op]:
    """The writes of one batch (no barrier inside) with repeated replaces of a file
    reduced to the last one (durable if any was) and appends to a file joined at the
    first one's place; a ``_Call`` is a wall nothing is merged across."""
    out: list[Op | None] = []
    replaced: dict[Path, int] = {}  # file -> index in out of its latest Replace
    appended: dict[Path, int] = {}  # file -> index in out of the Append later ones join
    for op in ops:
        if isinstance(op, Replace):
            at = replaced.get(op.path)
            if at is not None:
                earlier = out[at]
                assert isinstance(earlier, Replace)
                op = dataclasses.replace(op, durable=op.durable or earlier.durable)
                out[at] = None
            appended.pop(op.path, None)  # an append after a rewrite lands after it
            replaced[op.path] = len(out)
            out.append(op)
        elif isinstance(op, Append):
            at = appended.get(op.path)
            replaced.pop(op.path, None)  # a rewrite before an append stays before it
            if at is None:
                appended[op.path] = len(out)
                out.append(op)
            else:
                first = out[at]
                assert isinstance(first, Append)
                out[at] = Append(op.path, first.text + op.text)
        else:
            replaced.clear()
            appended.clear()
            out.append(op)
    return [op for op in out if op is not None]


class OrderedWriter:
    """One worker thread that performs durable writes in submission order, with
    group commit (see the module docstring).

    A server drives sweeps on its event loop, cr-batch too; an fsync there stalls
    everything else (several per run, at tens of runs per second). The run store
    hands its writes to this thread instead, keeping their order, and callers that
    need a write to be durable before acting (a prompt id before its prompt is
    queued) wait on ``barrier()``. The first failed write is sticky: every later
    ``submit`` and ``barrier`` raises it, and nothing queued after it is written (a
    later write must never land without an earlier one). The thread starts on the
    first write and exits on ``close``.
    """

    def __init__(self, name: str = "comfy-sweep-writer", *, group: bool = True) -> None:
        self._name = name
        self._group = group  # False: one write at a time, as queued (benchmarks compare)
        self._jobs: queue.SimpleQueue[Op | Future[None] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False
        self.error: BaseException | None = None
        self.batches = 0  # batches written (tests, benchmarks)

    def write(self, op: Replace | Append) -> None:
        """Queue one file write; raises the sticky error of an earlier write."""
        self._enqueue(op)

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queue ``fn(*args)`` (nothing is merged across it)."""
        self._enqueue(_Call(fn, args))

    def _enqueue(self, op: Op) -> None:
        self.check()
        if self._closed:
            raise RuntimeError("OrderedWriter is closed")
        self._ensure_thread()
        self._jobs.put(op)

    def barrier(self) -> Future[None]:
        """A Future done once every write queued so far is on disk (its
        exception: the first write error)."""
        done: Future[None] = Future()
        if self.error is not None:
            done.set_exception(self.error)
        elif self._thread is None:
            done.set_result(None)  # nothing was ever queued
        else:
            self._jobs.put(done)
        return done

    def check(self) -> None:
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        """Write what is queued, then stop the thread (blocks until then)."""
        self._closed = True
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join()

    def _ensure_thread(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            batch = [self._jobs.get()]
            while self._group and batch[-1] is not None:
                try:  # everything queued meanwhile: one batch
                    batch.append(self._jobs.get_nowait())
                except queue.Empty:
                    break
            if not self._write_batch(batch):
                return

    def _write_batch(self, batch: list[Op | Future[None] | None]) -> bool:
        """Write a batch, segment by segment between barriers; False once closed."""
        ops: list[Op] = []
        for job in batch:
            if isinstance(job, (Replace, Append, _Call)):
                ops.append(job)
                continue
            self._perform(coalesce(ops) if self._group else ops)
            ops = []
            if job is None:
                return False
            if self.error is not None:
                job.set_exception(self.error)
            else:
                job.set_result(None)
        self._perform(coalesce(ops) if self._group else ops)
        return True

    def _perform(self, ops: list[Op]) -> None:
        if ops:
            self.batches += 1
        for op in ops:
            if self.error is not None:
                return  # never write past a failed write
            try:
                op.run()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                self.error = exc
