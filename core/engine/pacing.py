"""How often the engine polls its backend, and the ETA that falls out of it."""

from __future__ import annotations

import time

MAX_IDLE_POLL = 2.0  # seconds; idle polling backs off to this, never further
TAIL_POLL = 0.1  # seconds, at most, between polls once nothing is left to submit
MIN_POLL = 0.01  # seconds: the shortest look-again after a miss, however short the runs


class Pacer:
    """Adaptive polling: fast right after a finish is expected, backing off to
    MAX_IDLE_POLL when nothing happens (cheap, never hammering the server)."""

    def __init__(self, base: float) -> None:
        self.base = max(0.02, base)
        self.delay = self.base
        self.run_s: float | None = None  # moving average of time between finishes
        self.last_finish = time.monotonic()

    def finished(self, count: int) -> None:
        now = time.monotonic()
        gap = (now - self.last_finish) / max(1, count)
        self.run_s = gap if self.run_s is None else 0.7 * self.run_s + 0.3 * gap
        self.last_finish = now
        # A miss looks again after about one run: runs shorter than the poll interval
        # (tiny images, cached nodes) would otherwise leave ComfyUI idle for most of
        # it once its window ran dry. A driver that no longer fsyncs on the event loop
        # polls right after a finish and misses more often: 1 server went 3x slower
        # on 200 tiny runs with base-interval misses (issue 15). Still backing off.
        self.delay = max(MIN_POLL, min(self.base, self.run_s))

    def next_delay(self, tail: bool = False) -> float:
        """``tail``: nothing is left to submit, so ComfyUI idles from the moment the
        last runs finish until we notice: poll often (TAIL_POLL, the queue-everything
        client's rate), never backing off (the last run of a 24-run sweep was
        noticed up to ~1 s late, issue 12). A few cheap GETs, for the last runs only."""
        if self.run_s is not None:
            until = self.last_finish + self.run_s - time.monotonic()
            if until > self.base:  # sleep until just before the expected finish
                # ... but at most half a run: the estimate counts from when we *saw*
                # the last finish, so a late look makes every next look late too, and
                # with a window of 2 the server then idles between runs (measured:
                # 0.4 s runs left ComfyUI idle 0.4-0.9 s after every other run).
                return min(until - self.base / 2, self.run_s / 2, MAX_IDLE_POLL)
        if tail:
            return min(self.base, TAIL_POLL)
        delay = self.delay
        self.delay = min(self.delay * 1.5, MAX_IDLE_POLL)
        return delay

    def eta(self, remaining: int) -> float | None:
        return None if self.run_s is None else self.run_s * remaining


__all__ = ["MAX_IDLE_POLL", "MIN_POLL", "TAIL_POLL", "Pacer"]
