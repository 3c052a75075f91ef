"""The server's adapter to media/live_sheet.py: a sweep's thumbnails and
contact sheet refreshed as its runs finish.

The debouncing, the worker thread and the one-render-at-a-time rule live in
``LiveSheet`` (shared with ``cr-batch --mode client``); this only keeps the
service's interface: ``poke`` from ComfyUI's event loop (it never blocks on a
render) and an awaitable ``flush`` for the final render, run off the loop.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from ..media.live_sheet import LiveSheet


class SheetRefresher:
    """At most one refresh per ``interval`` seconds while pokes keep coming."""

    def __init__(self, root: Path, interval: float = 3.0) -> None:
        self.root = root
        self.interval = interval
        self._live = LiveSheet(root, interval)

    def poke(self) -> None:
        self._live.poke()

    async def flush(self) -> None:
        """Wait for a pending refresh, then rebuild once more (final state)."""
        await asyncio.to_thread(self._live.flush)
