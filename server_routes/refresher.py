"""Debounced thumbnails + contact sheet refresh for a running sweep.

A sweep of 1 s runs would otherwise rebuild contact_sheet.html every second;
``poke`` marks the sheet stale and at most one rebuild happens per
``interval`` seconds, in a worker thread (Pillow and jinja2 off the event
loop), and never more than one rebuild at a time in the whole process (two
sweeps finishing together do not render side by side on ComfyUI's CPU).
``flush`` does the final rebuild when the sweep stops. Both pieces are
optional: a missing media/report module (or its dependency) only skips them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from pathlib import Path

from ..core.errors import SweepError

log = logging.getLogger("comfy_sweep.server")

# A thread lock, not an asyncio one: it is taken in the worker thread, and
# route tests run many event loops in one process.
_ONE_RENDER = threading.Lock()


def _refresh(root: Path) -> None:
    with _ONE_RENDER:
        _render(root)


def _render(root: Path) -> None:
    try:
        from ..media.thumbnails import ensure_thumbnails
    except ImportError:  # Pillow/av absent: the sheet shows outputs without thumbnails
        ensure_thumbnails = None
    try:
        from ..core.report import render_contact_sheet
    except ImportError:
        render_contact_sheet = None
    try:
        if ensure_thumbnails is not None:
            ensure_thumbnails(root)
        if render_contact_sheet is not None:
            render_contact_sheet(root)
    except (SweepError, OSError) as err:
        # The sweep matters more than its preview: log and go on.
        log.warning("comfy-sweep: contact sheet of %s not refreshed: %s", root.name, err)


class SheetRefresher:
    """At most one refresh per ``interval`` seconds while pokes keep coming."""

    def __init__(self, root: Path, interval: float = 3.0) -> None:
        self.root = root
        self.interval = interval
        self._dirty = False
        self._last = 0.0
        self._task: asyncio.Task[None] | None = None

    def poke(self) -> None:
        self._dirty = True
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def _loop(self) -> None:
        while self._dirty:
            delay = self._last + self.interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._dirty = False
            self._last = time.monotonic()
            await asyncio.to_thread(_refresh, self.root)

    async def flush(self) -> None:
        """Wait for a pending refresh, then rebuild once more (final state)."""
        if self._task is not None:
            self._dirty = False
            await asyncio.gather(self._task, return_exceptions=True)
        await asyncio.to_thread(_refresh, self.root)
