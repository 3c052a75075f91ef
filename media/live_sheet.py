"""A running sweep's thumbnails and contact sheet, refreshed as runs finish.

Shared by both adapters: the server extension (server_routes/refresher.py,
one per sweep, poked from ComfyUI's event loop) and ``cr-batch --mode client``
(poked from the engine's progress callback). Neither may slow the sweep, so:

- ``prepare`` (optional, cr-batch passes ``NewThumbnails``) runs as soon as
  something changed, not debounced: each finished run gets its thumbnail at
  once, so the final render at the end of a sweep has only the page left.
- ``poke`` only sets a flag (and starts a worker thread when none is alive);
  the render itself (Pillow decoding, jinja2) runs in that thread.
- Debounced: a sweep of 1 s runs would otherwise rebuild the page every
  second. The next render starts at least ``interval`` seconds after the
  previous one *ended*, so however long a render of a big batch takes, it
  never occupies more than render/(render + interval) of a CPU.
- One render at a time in the whole process (``_ONE_RENDER``): two sweeps
  finishing together in one ComfyUI do not render side by side, and the final
  render never overlaps a periodic one.
- ``flush`` (blocking) waits for a render in progress and renders once more:
  the final state (done, interrupted) that the page then shows.

The worker is a daemon thread that exits when nothing is pending: a Ctrl-C or
an abandoned sweep never waits for it, and every write it makes is atomic
(core/store/atomic.py), so dying mid-render leaves the previous page intact.
A render that fails is logged and skipped; the sweep matters more than its
preview.
"""

from __future__ import annotations

import logging
import threading
import time
import types
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import SweepError

if TYPE_CHECKING:
    from ..core.store.reader import StoreReader

log = logging.getLogger("comfy_sweep.live_sheet")

# A thread lock: renders run in worker threads, and one process may run many
# event loops (route tests) or sweeps (a server).
_ONE_RENDER = threading.Lock()


def render_once(root: Path) -> bool:
    """Thumbnails, then contact_sheet.html + contact_sheet.json of the batch at
    ``root``, never two at once in this process; False when it failed."""
    from ..core.report.sheet import render_contact_sheet

    def both(root: Path) -> None:
        _thumbnails(root)
        render_contact_sheet(root)

    with _ONE_RENDER:
        return _guarded(root, both)


class NewThumbnails:
    """LiveSheet's ``prepare`` for a sweep this process records (cr-batch): the
    thumbnails of the runs done since the last call, found in the store's memory,
    so the final render has only the page left. Looking at the whole batch instead
    (reading config, plan and metadata.csv, a stat per thumbnail) made each finished
    run cost O(batch): the driver's largest CPU user at 200 tiny runs (issue 15)."""

    def __init__(self, store: StoreReader) -> None:
        self.store = store
        self.made: set[int] = set()

    def __call__(self, root: Path) -> bool:
        fresh = {
            r.run_id: r.outputs
            for r in self.store.records()
            if r.status == "done" and r.run_id not in self.made
        }
        if not fresh:
            return True
        with _ONE_RENDER:
            ok = _guarded(root, lambda root: _thumbnails(root, fresh))
        self.made.update(fresh)  # a failure is logged; the final render tries all again
        return ok


def _thumbnails(root: Path, outputs: Mapping[int, Sequence[str]] | None = None) -> None:
    try:
        from .thumbnails import ensure_thumbnails, thumbnails_for
    except ImportError:  # Pillow/av absent: the sheet shows outputs without thumbnails
        return
    if outputs is None:
        ensure_thumbnails(root)
    else:
        # One by one: the live sheet is one background thread, not all the sweep's cores.
        thumbnails_for(root, outputs, workers=1)


def _guarded(root: Path, work: Callable[[Path], object]) -> bool:
    try:
        work(root)
    except (SweepError, OSError, ValueError) as err:
        log.warning("comfy-sweep: contact sheet of %s not refreshed: %s", root.name, err)
        return False
    except Exception as err:  # noqa: BLE001 - a bug in the preview must not end the sweep
        # One line with the type, as above: the finished sweep's exit code and its
        # last lines must not be replaced by a rendering traceback.
        log.warning(
            "comfy-sweep: contact sheet of %s not refreshed (%s: %s); "
            "cr-contact-sheet %s retries it",
            root.name, type(err).__name__, err, root,
        )  # fmt: skip
        return False
    return True


class LiveSheet:
    """Debounced, threaded refresher of one batch's sheet (see module docstring)."""

    def __init__(
        self,
        root: Path,
        interval: float = 5.0,
        render: Callable[[Path], object] = render_once,
        prepare: Callable[[Path], object] | None = None,
    ) -> None:
        self.root = Path(root)
        self.interval = interval
        self.renders = 0  # how many renders ran (periodic and final)
        self._render = render
        self._cond = threading.Condition()
        self._dirty = False
        self._prepare = prepare  # eager step between debounced renders (NewThumbnails)
        self._fresh = False  # poked since the last prepare
        self._flushing = False
        self._last_end = float("-inf")
        self._worker: threading.Thread | None = None

    def poke(self) -> None:
        """Something changed: render soon. Never blocks on a render."""
        with self._cond:
            self._dirty = self._fresh = True
            if self._prepare is not None:
                self._cond.notify_all()  # a worker waiting for the next render prepares now
            if self._worker is None and not self._flushing:
                self._worker = threading.Thread(
                    target=self._run, name=f"comfy-sweep sheet {self.root.name}", daemon=True
                )
                self._worker.start()

    def _run(self) -> None:
        while (step := self._next_due()) is not None:
            if step == "prepare":
                assert self._prepare is not None
                self._prepare(self.root)
            else:
                self._do_render()

    def _next_due(self) -> str | None:
        """Wait until a prepare (at once) or a render (debounced) is due; None
        (and the worker gone) when neither is."""
        with self._cond:
            while self._dirty and not self._flushing:
                if self._fresh and self._prepare is not None:
                    self._fresh = False
                    return "prepare"
                delay = self._last_end + self.interval - time.monotonic()
                if delay <= 0:
                    self._dirty = self._fresh = False
                    return "render"
                self._cond.wait(delay)
            self._worker = None
            self._cond.notify_all()
            return None

    def _do_render(self) -> None:
        try:
            self._render(self.root)
        finally:
            with self._cond:
                self.renders += 1
                self._last_end = time.monotonic()

    def flush(self) -> None:
        """Wait for a render in progress, then render the final state once."""
        with self._cond:
            self._flushing = True  # wakes a waiting worker, which then exits
            self._dirty = False  # the final render covers every pending poke
            self._cond.notify_all()
            worker = self._worker
        try:
            if worker is not None:
                worker.join()  # interruptible by Ctrl-C on POSIX
            self._do_render()
        finally:
            with self._cond:
                self._flushing = False

    def abandon(self) -> None:
        """Stop without a final render (a second Ctrl-C): pending pokes are
        dropped, a render in progress finishes on its own."""
        with self._cond:
            self._dirty = False
            self._cond.notify_all()

    def __enter__(self) -> LiveSheet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        # A sweep that ended, normally or on an error (server gone), gets its
        # final page; KeyboardInterrupt or cancellation must not wait for one.
        if exc is None or isinstance(exc, Exception):
            self.flush()
        else:
            self.abandon()
