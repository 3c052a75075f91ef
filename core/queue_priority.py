"""Queue numbers for our prompts: how a sweep yields to the artist.

ComfyUI's queue is a heap ordered by each item's ``number`` (server.py
``post_prompt`` in 0.3.75: a posted ``number`` is taken as is, otherwise
``server.number``, a counter from 0 that grows by one per prompt, negated for
``front``). With priority "normal" we take the counter like any client, so a
prompt the user queues later waits behind our queued window. With
"background" our numbers start at 2**40, above anything the counter reaches
(a trillion prompts), so a prompt the user queues by hand, even after ours,
runs as soon as the current run ends.

Background numbers grow with the wall clock (microseconds), strictly
increasing within a process: a resumed sweep's new prompts stay behind the
ones it adopted, and two background sweeps share the queue in submission
order. 2**40 + microseconds since 1970 is ~1.8e15 < 2**53, so the float()
ComfyUI applies to a posted number keeps it exact.
"""

from __future__ import annotations

import time

from .config.model import PRIORITIES

BACKGROUND_BASE = 2**40


class BackgroundNumbers:
    """Strictly increasing queue numbers above BACKGROUND_BASE."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        self._last = max(self._last + 1, time.time_ns() // 1000)
        return BACKGROUND_BASE + self._last


def check_priority(priority: str) -> str:
    if priority not in PRIORITIES:
        raise ValueError(f"unknown queue priority {priority!r}; allowed: {', '.join(PRIORITIES)}")
    return priority


__all__ = ["BACKGROUND_BASE", "BackgroundNumbers", "check_priority"]
