"""The exploration's report: one self-contained page, ``explore_report.html``.

Built from ``explore.json`` and the files beside it only, so it can be
rewritten at any time (after each step, after a rating). Hero images up to
``EMBED_LIMIT`` bytes are embedded as data URIs (the page works when mailed
alone); videos and larger files are linked relative to the exploration folder.
Autoescaped jinja2 like the contact sheet; the YAML configs are shown as text.
"""

from __future__ import annotations

import base64
import functools
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from ..report.sheet import SHEET_FILE, media_kind, primary_output
from ..store import atomic
from .model import (
    FOLDERS,
    HERO_FILE,
    PHASES,
    PRODUCTION_FILE,
    REPORT_FILE,
    TITLES,
    ExploreState,
    StepResult,
)

EMBED_LIMIT = 2_000_000
_TEMPLATES = Path(__file__).resolve().parents[1] / "report" / "templates"
_MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
         ".gif": "image/gif"}  # fmt: skip


def _href(rel: str) -> str:
    return quote(rel.replace("\\", "/"), safe="/")


def _media(root: Path, batch: str, outputs: list[str]) -> dict[str, Any] | None:
    rel = primary_output(outputs)
    if rel is None:
        return None
    path = root / batch / rel
    kind = media_kind(rel)
    mime = _MIME.get(path.suffix.lower())
    try:
        if kind == "image" and mime and path.stat().st_size <= EMBED_LIMIT:
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            return {"kind": kind, "src": f"data:{mime};base64,{data}"}
    except OSError:
        return None
    return {"kind": kind, "src": _href(f"{batch}/{rel}")}


def _hero_entries(root: Path, state: ExploreState) -> list[dict[str, Any]]:
    out = []
    for hero in state.notes.get("heroes") or []:
        entry = dict(hero)
        entry["media"] = _media(root, str(hero.get("batch", "")), list(hero.get("outputs") or []))
        entry["sheet"] = _href(f"{hero.get('batch', '')}/{SHEET_FILE}")
        out.append(entry)
    return out


def _step_entry(res: StepResult) -> dict[str, Any]:
    return {
        "key": res.key, "status": res.status, "runs": res.runs, "failed": res.failed,
        "seconds": round(res.seconds, 1), "winner": res.winner, "table": res.table,
        "sheet": _href(f"{res.batch}/{SHEET_FILE}"), "batch": res.batch,
    }  # fmt: skip


def _phase_entries(state: ExploreState) -> list[dict[str, Any]]:
    skipped: dict[str, str] = state.notes.get("skipped") or {}
    planned: dict[str, int] = state.notes.get("planned") or {}
    phases = []
    for phase in PHASES:
        steps = [_step_entry(r) for k, r in state.steps.items() if k.rstrip("0123456789") == phase]
        status = "skipped" if phase in skipped else _phase_status(state, phase, steps)
        phases.append({
            "phase": phase, "title": TITLES[phase], "folder": FOLDERS[phase], "status": status,
            "reason": skipped.get(phase, ""), "steps": steps, "planned": planned.get(phase, 0),
            "runs": sum(s["runs"] for s in steps), "seconds": round(sum(s["seconds"] for s in steps), 1),
            "importance": state.notes.get("importance") if phase == "search" else None,
        })  # fmt: skip
    return phases


def _phase_status(state: ExploreState, phase: str, steps: list[dict[str, Any]]) -> str:
    if state.waiting and state.waiting.rstrip("0123456789") == phase:
        return "waiting for your ratings"
    if not steps:
        return "not run yet"
    return "done" if all(s["status"] == "done" for s in steps) else "running"


def _read(root: Path, name: str) -> str:
    try:
        return (root / name).read_text(encoding="utf-8")
    except OSError:
        return ""


def build_report(root: Path, state: ExploreState) -> dict[str, Any]:
    """The report's data (see the module docstring)."""
    phases = _phase_entries(state)
    return {
        "name": root.name,
        "workflow": state.workflow,
        "state": state.state,
        "budget": state.budget,
        "objective": state.settings.get("objective") or None,
        "created_at": state.created_at,
        "updated_at": state.updated_at,
        "runs": sum(p["runs"] for p in phases),
        "seconds": round(sum(p["seconds"] for p in phases), 1),
        "heroes": _hero_entries(root, state),
        "phases": phases,
        "waiting": state.notes.get("waiting_text", "") if state.waiting else "",
        "hero_yaml": _read(root, HERO_FILE),
        "production_yaml": _read(root, PRODUCTION_FILE),
        "hero_file": HERO_FILE,
        "production_file": PRODUCTION_FILE,
    }


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def render_report(data: dict[str, Any]) -> str:
    return _environment().get_template("explore_report.html.j2").render(r=data)


def write_report(root: Path, state: ExploreState) -> Path:
    out = root / REPORT_FILE
    atomic.write_text(out, render_report(build_report(root, state)))
    return out
