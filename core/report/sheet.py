"""The contact sheet: one self-contained HTML page per batch folder.

``build_report_data`` reads a batch folder from disk (plan.json, metadata.csv,
progress.json; see docs/run-store.md) into one plain dict; ``render_contact_sheet``
embeds that dict ONCE as JSON in the page and writes ``contact_sheet.html``, plus
the same JSON as ``contact_sheet.json``, which a served page of a running sweep
polls to fill in (sheet_live.js).
All the interaction (sort, filter, group, XY grid, plots, favourites) is inline
JavaScript working on that JSON, so the page needs no network and works both
as a local file and served from ``.../files/contact_sheet.html``: every link is
relative to the batch folder.

Safety: jinja2 autoescape covers the markup, but JSON inside ``<script>`` is not
HTML-escaped by it, so ``script_json`` escapes ``<``, ``>``, ``&`` and U+2028/9
as ``\\uXXXX`` (a value containing ``</script>`` cannot end the element), and the
JavaScript only ever puts data into the page with ``textContent``.

Cheap enough to call as runs finish: one CSV read, one directory listing of
``thumbnails/`` and one ``stat`` per output.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from markupsafe import Markup

from ..errors import StoreError, SweepError
from ..explore.model import REPORT_FILE as EXPLORE_REPORT
from ..explore.model import STATE_FILE as EXPLORE_STATE
from ..labels import value_key
from ..metrics.spec import metrics_from_yaml
from ..store import atomic
from ..store.format import SCORE_PREFIX, RunRecord, read_metadata
from ..store.marks import read_picked, read_rating

if TYPE_CHECKING:
    import jinja2  # imported when a page is rendered: not at every CLI start

SHEET_FILE = "contact_sheet.html"
DATA_FILE = "contact_sheet.json"  # the embedded data again, polled by a served page
THUMB_DIR = "thumbnails"
NOTES_FILE = "notes.json"
DATA_SCHEMA = 1
IMAGE_EXT = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".avif"})
VIDEO_EXT = frozenset({".mp4", ".webm", ".mov", ".mkv", ".m4v", ".avi"})
RATING = "rating"  # the person's stars, a metric column of the page
SERVER = "server"  # which server of a fleet ran a run: shown like a parameter
_MAX_SAFE_INT = 2**53  # larger ints would lose digits as JS numbers: sent as strings
_JS_FILES = (
    "sheet_model.js",
    "sheet_stats.js",
    "sheet_marks.js",
    "sheet_grid.js",
    "sheet_xy.js",
    "sheet_plot.js",
    "sheet_insight.js",
    "sheet_bridge.js",
    "sheet_dialog.js",
    "sheet_filters.js",
    "sheet_live.js",
    "sheet_main.js",
)
_TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class RunView:
    """One planned run as the contact sheet sees it."""

    run_id: int
    folder: str
    values: dict[str, Any]
    status: str = "pending"  # done | failed | running | pending
    outputs: list[str] = field(default_factory=list)
    error: str = ""
    execution_s: float | None = None
    scores: dict[str, float] = field(default_factory=dict)
    rating: int | None = None  # the person's 1-5 stars (core/store/marks.py)
    picked: bool = False
    sample: int | None = None  # plan.json sample_index: the runs of one sample differ by seed
    server: str = ""  # the server (or Ray worker) of a fleet that ran it


@dataclass
class BatchView:
    root: Path
    parameters: list[str]
    progress: dict[str, Any]
    runs: list[RunView]
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # plan.json "labels"
    goals: dict[str, str] = field(default_factory=dict)  # score column -> maximize|minimize


def thumb_name(run_id: int) -> str:
    return f"thumb_{run_id:04d}.jpg"


def media_kind(name: str) -> str:
    """'image', 'video' or 'other', by extension."""
    ext = os.path.splitext(name)[1].lower()
    return "image" if ext in IMAGE_EXT else "video" if ext in VIDEO_EXT else "other"


def primary_output(outputs: Iterable[str]) -> str | None:
    """The output a cell shows: the first video, else the first image."""
    outs = list(outputs)
    for kind in ("video", "image"):
        for rel in outs:
            if media_kind(rel) == kind:
                return rel
    return None


# ---------------------------------------------------------------- reading
def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(
            f"{path.parent} is not a comfy-sweep batch folder (no {path.name})"
        ) from None
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: unreadable ({exc})") from None


def _read_records(path: Path) -> dict[int, RunRecord]:
    """metadata.csv through the run store's own reader (a torn last line from a
    crash mid-append is dropped there)."""
    if not path.is_file():
        return {}
    try:
        return read_metadata(path, {}).records
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise StoreError(f"{path}: unreadable ({exc})") from None


def _apply_record(run: RunView, rec: RunRecord) -> None:
    run.status = rec.status
    run.outputs = list(rec.outputs)
    run.error = rec.error
    run.execution_s = rec.execution_s
    run.scores = {SCORE_PREFIX + k: v for k, v in rec.scores.items() if math.isfinite(v)}
    run.rating = read_rating(rec.extra)
    run.picked = read_picked(rec.extra)
    run.server = rec.extra.get("server", "")


def read_batch(store_root: Path) -> BatchView:
    """Every planned run with its result so far. StoreError names the folder
    when it is not a batch."""
    root = Path(store_root)
    if not root.is_dir():
        raise StoreError(f"{root} is not a folder")
    progress = _read_json(root / "progress.json")
    plan = _read_json(root / "plan.json")
    if not isinstance(plan, dict) or not isinstance(plan.get("runs"), list):
        raise StoreError(f"{root / 'plan.json'}: no 'runs' list")
    rows = _read_records(root / "metadata.csv")
    in_flight = {int(k) for k in (progress.get("submitted") or {})}
    runs: list[RunView] = []
    for item in plan["runs"]:
        run_id = int(item["run_id"])
        run = RunView(run_id, str(item.get("folder", "")), dict(item.get("values") or {}))
        sample = item.get("sample_index")
        run.sample = sample if isinstance(sample, int) else None
        if run_id in rows:
            _apply_record(run, rows[run_id])
        elif run_id in in_flight:
            run.status = "running"
        runs.append(run)
    params = [str(p) for p in plan.get("parameters") or []]
    raw = plan.get("labels")
    labels: dict[str, dict[str, str]] = raw if isinstance(raw, dict) else {}
    progress = progress if isinstance(progress, dict) else {}
    return BatchView(root, params, progress, runs, labels, _metric_goals(root))


def _metric_goals(root: Path) -> dict[str, str]:
    """Which way each score column is better, from the batch's config.yaml
    ``metrics:`` (the catalogue's default when a metric names none). A config
    that cannot be read only loses the hint: the sheet then assumes higher."""
    try:
        text = (root / "config.yaml").read_text(encoding="utf-8")
        specs = metrics_from_yaml(text, source=str(root / "config.yaml"))
    except (OSError, UnicodeDecodeError, SweepError):
        return {}
    return {s.column: goal for s in specs if (goal := s.effective_goal) is not None}


# ---------------------------------------------------------- report data
def _js_value(value: Any) -> Any:
    """JSON-safe for JavaScript: no NaN/inf, no ints that lose digits."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value) if abs(value) > _MAX_SAFE_INT else value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return json.dumps(value, sort_keys=True, default=str)


def _href(rel: str) -> str:
    """A relative URL: each path segment percent-encoded ('#', '?', spaces)."""
    return quote(rel.replace(os.sep, "/"), safe="/")


def _is_numeric(values: list[Any]) -> bool:
    seen = [v for v in values if v is not None]
    return bool(seen) and all(
        (isinstance(v, (int, float)) and not isinstance(v, bool))
        or (isinstance(v, str) and v.lstrip("-").isdigit())
        for v in seen
    )


def _param_info(name: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    values = [r["v"].get(name) for r in runs]
    distinct = {json.dumps(v, sort_keys=True) for v in values}
    return {"name": name, "numeric": _is_numeric(values), "varying": len(distinct) > 1}


def _shown_values(
    run: RunView, labels: Mapping[str, Mapping[str, str]]
) -> tuple[dict[str, Any], dict[str, str]]:
    """("v", "t"): values with text values replaced by their short labels (what the
    sheet shows, groups and filters by), and the full texts of those (hover, dialog)."""
    shown: dict[str, Any] = {}
    full: dict[str, str] = {}
    for k, v in run.values.items():
        text = value_key(v)
        label = labels.get(k, {}).get(text)
        if label is None:
            shown[k] = _js_value(v)
        else:
            shown[k], full[k] = label, text
    return shown, full


def _run_entry(
    root: Path,
    run: RunView,
    thumbs: set[str],
    notes: Mapping[str, str],
    labels: Mapping[str, Mapping[str, str]],
) -> dict[str, Any]:
    rel = primary_output(run.outputs)
    metrics: dict[str, float] = dict(run.scores)
    if run.execution_s is not None:
        metrics["execution_s"] = run.execution_s
    if rel is not None:
        with contextlib.suppress(OSError):
            metrics["file_size"] = float((root / rel).stat().st_size)
    thumb = thumb_name(run.run_id)
    params_rel = f"runs/{run.folder}/params.json" if run.folder else None
    if run.rating is not None:
        metrics[RATING] = float(run.rating)  # a column like a score: sort, filter, heatmap
    shown, full = _shown_values(run, labels)
    if run.server:  # a column like a parameter: filter, group and XY by server
        shown[SERVER] = run.server
    return {
        "id": run.run_id,
        "s": run.run_id if run.sample is None else run.sample,
        "pk": run.picked,
        "folder": run.folder,
        "status": run.status,
        "v": shown,
        "t": full,
        "m": metrics,
        "out": _href(rel) if rel else None,
        "outs": [_href(o) for o in run.outputs],
        "kind": media_kind(rel) if rel else None,
        "thumb": f"{THUMB_DIR}/{thumb}" if thumb in thumbs else None,
        "note": notes.get(str(run.run_id), ""),
        "error": run.error,
        "params_href": _href(params_rel) if params_rel else None,
    }


def _metric_names(runs: list[dict[str, Any]]) -> list[str]:
    names: dict[str, None] = {}
    for r in runs:
        names.update(dict.fromkeys(r["m"]))
    # rating is always offered: the person rates in the page and sorts by it next
    fixed = [n for n in ("execution_s", "file_size") if n in names] + [RATING]
    return fixed + sorted(n for n in names if n not in fixed)


def _thumb_state(root: Path) -> tuple[set[str], dict[str, str]]:
    folder = root / THUMB_DIR
    try:
        thumbs = set(os.listdir(folder))
    except OSError:
        return set(), {}
    try:
        notes = json.loads((folder / NOTES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        notes = {}
    return thumbs, {str(k): str(v) for k, v in notes.items()} if isinstance(notes, dict) else {}


def _sweep_name(progress: Mapping[str, Any]) -> str:
    label = progress.get("label")
    return label.strip() if isinstance(label, str) else ""


def _exploration_link(root: Path) -> str:
    """The report's link when the batch is a step of an exploration
    (``explore_*/phaseN_*/<batch>``, docs/explore.md), else ""."""
    if (root.parent.parent / EXPLORE_STATE).is_file():
        return f"../../{EXPLORE_REPORT}"
    return ""


def build_report_data(store_root: Path) -> dict[str, Any]:
    """The contact sheet's data: batch summary, parameter and metric columns, runs."""
    batch = read_batch(Path(store_root))
    thumbs, notes = _thumb_state(batch.root)
    runs = [_run_entry(batch.root, r, thumbs, notes, batch.labels) for r in batch.runs]
    names = list(batch.parameters) or sorted({k for r in runs for k in r["v"]})
    if any(SERVER in r["v"] for r in runs) and SERVER not in names:
        names.append(SERVER)  # runs and execution time per server, like any parameter
    p = batch.progress
    return {
        "schema": DATA_SCHEMA,
        "batch": {
            "name": batch.root.name,
            # the name given in the panel (progress.json "label"); "" when none
            "sweep_name": _sweep_name(p),
            # favourites are kept per batch: name + creation time tells two
            # batches of the same name (in different folders) apart
            "key": f"{batch.root.name}@{p.get('created_at', '')}",
            "state": p.get("state", ""),
            "total": len(runs),
            "done": sum(r["status"] == "done" for r in runs),
            "failed": sum(r["status"] == "failed" for r in runs),
            "updated_at": p.get("updated_at", ""),
            "explore": _exploration_link(batch.root),
        },
        "params": [_param_info(n, runs) for n in names],
        "metrics": _metric_names(runs),
        # which way is better, for the heatmap, best-of-seeds and top K
        "goals": {RATING: "maximize", "execution_s": "minimize", **batch.goals},
        "runs": runs,
    }


# ------------------------------------------------------------- rendering
_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def script_json(data: Any) -> str:
    """JSON safe to place inside a ``<script>`` element (see module docstring)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, escaped in _SCRIPT_ESCAPES.items():
        text = text.replace(raw, escaped)
    return text


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


@functools.lru_cache(maxsize=1)
def _assets() -> tuple[str, str]:
    """Our own static CSS and JS, inlined so the page needs no other file."""
    css = (_TEMPLATES / "contact_sheet.css").read_text(encoding="utf-8")
    js = "\n".join((_TEMPLATES / n).read_text(encoding="utf-8") for n in _JS_FILES)
    if "</" in js.replace("<\\/", ""):
        raise RuntimeError("inline JS must not contain '</'")  # it would end the <script>
    return css, js


def render_html(data: Mapping[str, Any]) -> str:
    """The page for ``data`` (from build_report_data)."""
    css, js = _assets()
    template = _environment().get_template("contact_sheet.html.j2")
    return template.render(
        batch=data["batch"],
        data_json=Markup(script_json(data)),  # noqa: S704 - escaped by script_json
        css=Markup(css),  # noqa: S704 - package file
        js=Markup(js),  # noqa: S704 - package file
    )


def render_contact_sheet(store_root: Path) -> Path:
    """Write ``<batch>/contact_sheet.html`` and, beside it, ``contact_sheet.json``
    (the same data, which an open page of a running sweep polls), both
    atomically; return the page's path."""
    root = Path(store_root)
    data = build_report_data(root)
    atomic.write_text(root / DATA_FILE, script_json(data))
    out = root / SHEET_FILE
    atomic.write_text(out, render_html(data))
    return out
