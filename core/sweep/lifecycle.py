"""The states of a sweep and the transitions between them: the one place these rules live.

The server's service, ``cr-batch`` (both modes), the server-mode mirror and the
panel (through the ``actions`` of every summary the routes send) all ask here.

    queued ──▶ running ──▶ done
       │          │  ╲
       │          │   ╲──▶ interrupted ──(resume)──▶ queued
       ▼          ▼
    cancelled ◀───┘        cancelled ──(resume)──▶ queued

``done`` is final only until the config grows (extend: more samples or grid
values), which queues the sweep again with every recorded run kept.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

State = Literal["queued", "running", "done", "cancelled", "interrupted"]
STATES: Final[tuple[State, ...]] = get_args(State)

ACTIVE: Final[frozenset[str]] = frozenset({"queued", "running"})
"""A process drives (or is about to drive) the sweep: no second writer, no delete."""
STOPPED: Final[frozenset[str]] = frozenset({"done", "cancelled", "interrupted"})
"""Nobody drives it: a follower stops polling, a summary is final for now."""
RESUMABLE: Final[frozenset[str]] = frozenset({"interrupted", "cancelled"})


def is_state(value: object) -> bool:
    return value in STATES


def is_active(state: str) -> bool:
    return state in ACTIVE


def is_final(state: str) -> bool:
    """Nothing will change unless someone acts (resume, extend)."""
    return state in STOPPED


def can_resume(state: str) -> bool:
    return state in RESUMABLE


def can_cancel(state: str) -> bool:
    """Running sweeps stop; an interrupted one can be marked cancelled."""
    return state in ACTIVE or state == "interrupted"


def can_extend(state: str) -> bool:
    return state in STOPPED


def can_delete(state: str) -> bool:
    return state in STOPPED


def actions(state: str) -> dict[str, bool]:
    """What a user may do with a sweep in ``state`` (sent in every route summary)."""
    return {
        "resume": can_resume(state),
        "cancel": can_cancel(state),
        "extend": can_extend(state),
        "delete": can_delete(state),
    }


def end_state(*, complete: bool, cancelled: bool) -> State:
    """The state a session leaves behind: ``complete`` when every planned run is
    recorded; ``cancelled`` when the user asked it to stop."""
    if complete:
        return "done"
    return "cancelled" if cancelled else "interrupted"


def resume_conflict(sweep: str, state: str) -> str:
    return f"sweep {sweep} is {state}; only interrupted or cancelled sweeps resume"


def busy_conflict(sweep: str, state: str, what: str) -> str:
    """Why extend/delete are refused while a sweep is active."""
    if what == "delete":
        return f"sweep {sweep} is {state}; cancel it before deleting"
    return f"sweep {sweep} is {state}; wait for it to finish or cancel it first"
