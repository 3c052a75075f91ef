"""JSON views of a sweep (summary, paged run rows, plan preview) from its store.

Pure functions of a RunStore plus what only the live service knows (which
prompt ComfyUI is running, the engine's ETA). Their shapes are the wire
contract's (core/sweep/wire.py); docs/routes.md shows examples.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from ..core.plan.model import Plan, PlannedRun
from ..core.report.sheet import THUMB_DIR, thumb_name
from ..core.store.format import RunRecord
from ..core.store.runstore import RunStore
from ..core.sweep import lifecycle
from ..core.sweep.wire import (
    Actions,
    CurrentRun,
    Page,
    PlannedRunJSON,
    PlanPreview,
    RunRow,
    RunStatus,
    SweepStatus,
    SweepSummary,
    sweep_path,
)

PLAN_PREVIEW_RUNS = 500


def run_json(run: PlannedRun) -> PlannedRunJSON:
    return {
        "run_id": run.run_id,
        "sample_index": run.sample_index,
        "repeat": run.repeat,
        "values": dict(run.values),
        "folder": run.folder,
    }


def plan_json(plan: Plan, warnings: list[str], estimate_s: float | None) -> PlanPreview:
    return {
        "total": len(plan.runs),
        "parameters": list(plan.parameters),
        "runs": [run_json(r) for r in plan.runs[:PLAN_PREVIEW_RUNS]],
        "truncated": len(plan.runs) > PLAN_PREVIEW_RUNS,
        "warnings": [*warnings, *plan.warnings],
        "notes": list(plan.notes),
        "estimate_s": estimate_s,
    }


def current_run(store: RunStore, running: set[str]) -> CurrentRun | None:
    """The run ComfyUI is executing now (else the oldest of ours in flight)."""
    inflight = store.in_flight()
    if not inflight:
        return None
    ids = [rid for rid, pid in inflight.items() if pid in running] or sorted(inflight)
    run = _planned(store, ids[0])
    return {"run_id": run.run_id, "values": dict(run.values)} if run else None


def _planned(store: RunStore, run_id: int) -> PlannedRun | None:
    # run_id is the 1-based position in the plan: O(1) (sent several times a second)
    runs = store.plan.runs
    if 0 < run_id <= len(runs) and runs[run_id - 1].run_id == run_id:
        return runs[run_id - 1]
    return next((r for r in runs if r.run_id == run_id), None)


def summary(
    sweep_id: str,
    store: RunStore,
    *,
    current: CurrentRun | None = None,
    eta_s: float | None = None,
    live: bool = False,
) -> SweepSummary:
    """``live``: this process drives the sweep. Its store's files trail its
    memory by a few writes (docs/routes.md): counts are those on disk (they
    never go back after a crash), and a finished state is shown only once the
    service has put every file on disk and let go of the sweep."""
    p = store.progress_on_disk() if live else store.progress()
    state = "running" if live and not lifecycle.is_active(p["state"]) else str(p["state"])
    done, failed, total = int(p.get("done", 0)), int(p.get("failed", 0)), int(p["total"])
    out: SweepSummary = {
        "id": sweep_id,
        "name": p.get("label") or sweep_id,
        "state": state,
        "created_at": p.get("created_at"),
        "updated_at": p.get("updated_at"),
        "total": total,
        "done": done,
        "failed": failed,
        "pending": max(0, total - done - failed),
        "current": current,
        "eta_s": eta_s,
        "parameters": list(store.plan.parameters),
        "contact_sheet": sweep_path(sweep_id, "/contact-sheet"),
        "files_base": sweep_path(sweep_id, "/files/"),
        "actions": cast(Actions, lifecycle.actions(state)),
    }
    if p.get("message"):
        out["message"] = p["message"]
    return out


def run_rows(store: RunStore, offset: int, limit: int, running: set[str]) -> list[RunRow]:
    """One page of per-run rows; O(limit) whatever the sweep size."""
    inflight = store.in_flight()
    return [
        _row(store, run, inflight.get(run.run_id), running)
        for run in store.plan.runs[offset : offset + limit]
    ]


def _row(store: RunStore, run: PlannedRun, pid: str | None, running: set[str]) -> RunRow:
    rec = store.record(run.run_id)
    status: RunStatus
    if rec is not None and pid is None:
        status, pid = _recorded(rec), rec.prompt_id
    elif pid is not None:
        status = "running" if pid in running else "queued"
    else:
        status = "pending"
    thumb = f"{THUMB_DIR}/{thumb_name(run.run_id)}"
    return {
        "run_id": run.run_id,
        "status": status,
        "values": dict(run.values),
        "outputs": list(rec.outputs) if rec else [],
        "thumbnail": thumb if (store.root / thumb).is_file() else None,
        "error": rec.error if rec else "",
        "prompt_id": pid or "",
        "cached_nodes": list(rec.cached_nodes) if rec else [],
    }


def _recorded(rec: RunRecord) -> RunStatus:
    return "done" if rec.status == "done" else "failed"


def status(
    sweep_id: str,
    store: RunStore,
    offset: int,
    limit: int,
    *,
    running: set[str],
    live: Mapping[str, Any],
) -> SweepStatus:
    page: Page = {"offset": offset, "limit": limit, "total": len(store.plan.runs)}
    rows = run_rows(store, offset, limit, running)
    return {**summary(sweep_id, store, **live), "runs": rows, "page": page}
