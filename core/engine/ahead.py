"""Prompts prepared ahead: ids recorded (on disk in the background), not yet sent.

A prompt may be sent only once its id is on disk (a crash is resolved by asking
the server for it). Recording it the moment a server frees up put an fsync on
the critical path of every run: with one server and tiny runs, the server idled
while we waited for our disk. So a single server keeps up to a window of
prompts prepared ahead; their ids go to disk together (group commit) while the
current ones run, and a freed place is filled at once. (A fleet does not guess
ahead: its placement keeps a group's runs on one server as servers free up.) A crash leaves these ids in
``submitted``: the resume asks every server for them, finds none, and runs them
(they never ran). A stop or a server leaving withdraws them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from .flight import Outgoing


class Ahead:
    """Per slot, in take order: prepared prompts waiting for a free place."""

    def __init__(self) -> None:
        self._by_slot: dict[str, deque[Outgoing]] = {}

    def __bool__(self) -> bool:
        return any(self._by_slot.values())

    def __iter__(self) -> Iterator[Outgoing]:
        for queue in self._by_slot.values():
            yield from queue

    def count(self, slot: str) -> int:
        return len(self._by_slot.get(slot, ()))

    def add(self, out: Outgoing) -> None:
        self._by_slot.setdefault(out.slot.name, deque()).append(out)

    def next(self, slot: str) -> Outgoing | None:
        """The oldest prompt prepared for ``slot`` (removed), if any."""
        queue = self._by_slot.get(slot)
        return queue.popleft() if queue else None

    def release(self, slot: str | None = None) -> list[Outgoing]:
        """Remove and return what ``slot`` (every slot: None) had prepared."""
        names = list(self._by_slot) if slot is None else [slot]
        gone: list[Outgoing] = []
        for name in names:
            gone.extend(self._by_slot.pop(name, ()))
        return gone


__all__ = ["Ahead"]
