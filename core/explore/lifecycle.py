"""The states of an exploration run by ComfyUI's server and the rules between them:
the one place these rules live (server_routes/explorations.py drives them, the
routes send ``actions(state)`` so the panel spells none of them).

    running ──▶ rate ──(continue, once a run is rated)──▶ running ──▶ done
       │  ╲                                                  ▲
       │   ╲──▶ interrupted ──(continue)─────────────────────┤
       ▼                                                     │
    cancelled ──(continue)───────────────────────────────────┘

Each step is an ordinary sweep; the exploration remembers which sweep runs a
step (``notes["sweeps"]``: its id and the step's config hash), so a continue
after a restart resumes that sweep instead of starting the step again.
"""

from __future__ import annotations

from typing import Any, Final, Literal

State = Literal["running", "rate", "done", "interrupted", "cancelled"]
CONTINUABLE: Final[frozenset[str]] = frozenset({"rate", "interrupted", "cancelled"})
SweepAction = Literal["wait", "record", "resume"]


def can_continue(state: str) -> bool:
    return state in CONTINUABLE


def can_cancel(state: str) -> bool:
    return state in ("running", "rate", "interrupted")


def actions(state: str, *, driving: bool) -> dict[str, bool]:
    """What a user may do with an exploration in ``state`` (``driving``: this process runs it)."""
    return {
        "continue": can_continue(state) and not driving,
        "cancel": can_cancel(state) or driving,
    }


def after_sweep(sweep_state: str) -> State:
    """The exploration's state once a step's sweep stopped in ``sweep_state``."""
    if sweep_state == "done":
        return "running"
    return "cancelled" if sweep_state == "cancelled" else "interrupted"


def sweep_action(sweep_state: str) -> SweepAction:
    """What a continue does with the sweep already made for a step."""
    if sweep_state == "done":
        return "record"
    if sweep_state in ("interrupted", "cancelled"):
        return "resume"
    return "wait"


def step_sweep(notes: dict[str, Any], key: str, config_sha: str) -> str | None:
    """The sweep running step ``key`` with this config, if one was made."""
    entry = (notes.get("sweeps") or {}).get(key)
    if isinstance(entry, dict) and entry.get("sha") == config_sha:
        return str(entry["id"])
    return None


def remember_sweep(notes: dict[str, Any], key: str, sweep_id: str, config_sha: str) -> None:
    notes.setdefault("sweeps", {})[key] = {"id": sweep_id, "sha": config_sha}


def continue_conflict(name: str, state: str) -> str:
    return f"exploration {name} is {state}; only one waiting for ratings, interrupted or cancelled continues"
