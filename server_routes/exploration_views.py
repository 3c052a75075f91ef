"""The summary of an exploration the routes answer with (docs/routes.md
"Explorations"), and the text asking the person to rate a step; pure."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.explore import lifecycle
from ..core.explore.model import TITLES, ExploreState
from ..core.sweep.wire import PREFIX


@dataclass(frozen=True)
class Live:
    """What the driver of an exploration is doing now (this process drives it)."""

    step: str | None
    sweep: str | None


def exploration_path(xid: str, tail: str = "") -> str:
    return f"{PREFIX}/explorations/{xid}{tail}"


def summary(xid: str, state: ExploreState, live: Live | None, *, report: bool) -> dict[str, Any]:
    """While this process drives it the state reads ``running``: a stopped state
    shows once its files (state, report) are written."""
    current = None
    if live is not None and live.sweep is not None:
        current = {"step": live.step, "sweep_id": live.sweep}
    shown = "running" if live is not None else state.state
    waiting = None if live is not None else state.waiting
    return {
        "id": xid, "name": state.notes.get("name") or "", "state": shown,
        "budget": state.budget, "objective": state.settings.get("objective"),
        "created_at": state.created_at, "updated_at": state.updated_at,
        "steps": steps(state, live), "current": current,
        "waiting": waiting, "waiting_sweep": sweep_of(state, waiting),
        "waiting_text": state.notes.get("waiting_text", "") if waiting else "",
        "report": exploration_path(xid, "/report") if report else None,
        "heroes": state.notes.get("heroes") or [],
        "actions": lifecycle.actions(shown, driving=live is not None),
        "message": state.notes.get("message", ""),
        "warnings": state.notes.get("warnings") or [],
    }  # fmt: skip


def steps(state: ExploreState, live: Live | None) -> list[dict[str, Any]]:
    out = []
    for step in state.notes.get("steps") or []:
        key = str(step["key"])
        res = state.steps.get(key)
        running = live is not None and live.step == key
        status = "running" if running else (res.status if res is not None else "pending")
        out.append({
            "key": key, "phase": step["phase"], "title": TITLES.get(step["phase"], key),
            "runs": step["runs"], "status": status, "sweep_id": sweep_of(state, key),
            "winner": res.winner if res is not None else None,
        })  # fmt: skip
    return out


def sweep_of(state: ExploreState, key: str | None) -> str | None:
    entry = (state.notes.get("sweeps") or {}).get(key or "")
    return str(entry["id"]) if isinstance(entry, dict) else None


def rate_text(key: str | None, batch: str) -> str:
    phase = (key or "").rstrip("0123456789")
    sweep = Path(batch).name
    return (
        f"Rate the runs of {TITLES.get(phase, key or '').lower()} ({key}): open the contact "
        f"sheet of sweep {sweep}, give the runs you like stars (or pick them), then press "
        "Continue exploring in the Sweep panel (or rerun the command that started it)."
    )
