"""The health of a sweep's backend slots when there are several (a fleet).

A server that stops answering is left out: the engine puts its in-flight runs
back for the others (each run still recorded once: a run's prompt id is the one
its last submission recorded, and only that one is ever polled), and probes it
with growing back-off; when it answers again it rejoins, and the prompts we
left on it are cancelled so they do not run twice. The sweep fails only when no
server has answered for ``reconnect_window`` seconds.

With one slot none of this applies: the client's own retry window waits a
restart out, and a server that stays away stops the sweep (resumable), as it
always did.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..errors import BackendError, PromptRejected
from .backend import BackendSlot

MAX_BACKOFF = 30.0


def unreachable(err: BaseException) -> bool:
    """A server that did not answer (not a prompt it refused, not a bad answer)."""
    return (
        isinstance(err, BackendError)
        and not isinstance(err, PromptRejected)
        and err.details.get("address") is not None
    )


@dataclass
class _Health:
    down_since: float | None = None
    next_probe: float = 0.0
    backoff: float = 1.0
    abandoned: list[str] = field(default_factory=list)  # our prompt ids left on it


class Fleet:
    def __init__(
        self,
        slots: Sequence[BackendSlot],
        reconnect_window: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.slots = list(slots)
        self.window = reconnect_window
        self.clock = clock
        self.health = {slot.name: _Health() for slot in self.slots}

    @property
    def multi(self) -> bool:
        """Whether a slot going away is survivable (several, or one that comes back)."""
        return len(self.slots) > 1 or any(s.resilient for s in self.slots)

    def is_down(self, slot: BackendSlot) -> bool:
        return self.health[slot.name].down_since is not None

    def up(self) -> list[BackendSlot]:
        return [s for s in self.slots if not self.is_down(s)]

    def any_down(self) -> bool:
        return any(self.is_down(s) for s in self.slots)

    def mark_down(self, slot: BackendSlot, abandoned: Sequence[str]) -> None:
        health = self.health[slot.name]
        now = self.clock()
        if health.down_since is None:
            health.down_since, health.backoff = now, 1.0
        health.next_probe = now + health.backoff
        health.abandoned.extend(abandoned)

    async def probe(self) -> list[BackendSlot]:
        """Ask each down slot whose back-off has passed; returns those back up
        (their abandoned prompts cancelled, best effort)."""
        back: list[BackendSlot] = []
        now = self.clock()
        for slot in self.slots:
            health = self.health[slot.name]
            if health.down_since is None or now < health.next_probe:
                continue
            try:
                await slot.backend.active_ids()
            except BackendError as err:
                if not unreachable(err):
                    raise
                health.backoff = min(MAX_BACKOFF, health.backoff * 2)
                health.next_probe = self.clock() + health.backoff
                continue
            with contextlib.suppress(BackendError):
                await slot.backend.cancel(health.abandoned)
            self.health[slot.name] = _Health()
            back.append(slot)
        return back

    def check_deadline(self) -> None:
        """Raise once every slot has been down for longer than the window."""
        if not self.slots or self.up():
            return
        since = min(h.down_since or 0.0 for h in self.health.values())
        if self.clock() - since > self.window:
            names = ", ".join(s.name for s in self.slots)
            raise BackendError(
                f"no ComfyUI server answered for {self.window:.0f} s ({names}); "
                "rerun the same command to resume",
                details={"address": names},
            )
