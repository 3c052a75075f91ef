"""Which pending run a backend slot takes next.

One slot takes the runs in plan order (``FifoRuns``): the plan is already in
the cache-aware order, so ComfyUI's cache skips the nodes a run shares with the
previous one.

Several slots (``GroupedRuns``): dealing that order out round-robin would make
every server recompute every upstream value (reload every checkpoint). So runs
are grouped by their upstream values (the plan's slowest-changing parameter)
and a slot keeps taking runs of its group; a slot whose group ran out claims a
whole new group, preferring one whose key it ran before (its cache or loaded
model still holds it); when no group is left unclaimed, it takes runs from the
tail of the largest remaining group (balance at the end of the sweep, at the
cost of one upstream execution per steal).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Iterable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..plan.model import PlannedRun

GroupKey = Callable[["PlannedRun"], Hashable]


class RunSource(Protocol):
    def take(self, slot: str) -> PlannedRun | None: ...

    def put_back(self, run: PlannedRun) -> None:
        """A run handed out that must run again (its server went away): first next time."""

    def add(self, runs: Iterable[PlannedRun]) -> None: ...

    def __len__(self) -> int:
        """Runs still to hand out (an adaptive source counts those it will propose)."""

    def waiting(self) -> bool:
        """Runs will come once results arrive (an adaptive search): keep polling."""

    def unplanned(self) -> int:
        """Runs counted in ``len`` that are not in the plan yet (proposed later)."""


class FifoRuns:
    """Plan order; what is put back goes first."""

    def __init__(self) -> None:
        self._runs: deque[PlannedRun] = deque()

    def take(self, slot: str) -> PlannedRun | None:
        return self._runs.popleft() if self._runs else None

    def put_back(self, run: PlannedRun) -> None:
        self._runs.appendleft(run)

    def add(self, runs: Iterable[PlannedRun]) -> None:
        self._runs.extend(runs)

    def __len__(self) -> int:
        return len(self._runs)

    def waiting(self) -> bool:
        return False

    def unplanned(self) -> int:
        return 0


class GroupedRuns:
    """Runs grouped by upstream values; each slot sticks to its group."""

    def __init__(self, key: GroupKey) -> None:
        self._key = key
        self._groups: OrderedDict[Hashable, deque[PlannedRun]] = OrderedDict()
        self._owner: dict[Hashable, str] = {}  # group -> the slot working through it
        self._current: dict[str, Hashable] = {}  # slot -> its group
        self._seen: dict[str, set[Hashable]] = {}  # slot -> groups it ran (its cache)
        self._count = 0

    def add(self, runs: Iterable[PlannedRun]) -> None:
        for run in runs:
            self._groups.setdefault(self._key(run), deque()).append(run)
            self._count += 1

    def put_back(self, run: PlannedRun) -> None:
        key = self._key(run)
        self._groups.setdefault(key, deque()).appendleft(run)
        self._groups.move_to_end(key, last=False)
        self._owner.pop(key, None)  # its slot went away: anyone may claim it
        self._count += 1

    def forget(self, slot: str) -> None:
        """A slot went away: its group is free for the others."""
        key = self._current.pop(slot, None)
        if key is not None and self._owner.get(key) == slot:
            del self._owner[key]

    def take(self, slot: str) -> PlannedRun | None:
        key = self._current.get(slot)
        group = self._groups.get(key) if key is not None else None
        if group:
            return self._pop(group.popleft)
        key = self._claim(slot)
        if key is not None:
            return self._pop(self._groups[key].popleft)
        return self._steal(slot)

    def _claim(self, slot: str) -> Hashable | None:
        free = [k for k, g in self._groups.items() if g and k not in self._owner]
        if not free:
            return None
        seen = self._seen.get(slot, set())
        key = next((k for k in free if k in seen), free[0])
        self._assign(slot, key)
        return key

    def _steal(self, slot: str) -> PlannedRun | None:
        groups = [(len(g), k) for k, g in self._groups.items() if g]
        if not groups:
            return None
        _, key = max(groups, key=lambda item: item[0])
        self._current[slot] = key  # keeps taking this group's tail: same upstream values
        self._seen.setdefault(slot, set()).add(key)
        return self._pop(self._groups[key].pop)

    def _assign(self, slot: str, key: Hashable) -> None:
        old = self._current.get(slot)
        if old is not None and self._owner.get(old) == slot:
            del self._owner[old]
        self._current[slot] = key
        self._owner[key] = slot
        self._seen.setdefault(slot, set()).add(key)

    def _pop(self, pop: Callable[[], PlannedRun]) -> PlannedRun:
        self._count -= 1
        return pop()

    def __len__(self) -> int:
        return self._count

    def waiting(self) -> bool:
        return False

    def unplanned(self) -> int:
        return 0


def upstream_key(levels: list[str]) -> GroupKey:
    """Group by the upstream-most parameter (``order_levels``' first): the node whose
    output is most expensive to recompute. No levels (only seeds): one group each run."""
    if not levels:
        return lambda run: run.run_id
    name = levels[0]
    return lambda run: repr(run.values.get(name))
