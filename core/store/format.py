"""Codecs of the run store's state files (docs/run-store.md, schema_version 1).

Pure functions: metadata.csv rows <-> RunRecord, progress.json's counted keys,
params.json. core/store/runstore.py does the I/O and the locking.
"""

from __future__ import annotations

import csv
import io
import json
import time
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import StoreError, SweepError
from ..sweep.lifecycle import STATES

if TYPE_CHECKING:
    from ..plan.model import PlannedRun

SCHEMA_VERSION = 1
META_HEAD: tuple[str, ...] = ("run_id", "status")
META_TAIL: tuple[str, ...] = ("prompt_id", "queued_at", "started_at", "finished_at", "execution_s")
META_TAIL += ("outputs", "cached_nodes", "error")
SCORE_PREFIX = "score_"
# Optional columns, written after ``error`` (in this order) only once a run of the
# batch has a value for them: the server that ran the run (fleets), and the
# person's rating and pick. Older batches, which have none, read unchanged. (The
# input set is an axis of the plan, so ``set`` is a parameter column.)
EXTRA_COLUMNS: tuple[str, ...] = ("server", "rating", "picked")
# Columns metadata.csv writes besides the parameters, and those later features add
# (ratings, the input set, the server that ran a run). A parameter of the same name
# would overwrite a real column when a row is read back: config validation refuses it.
RESERVED_COLUMNS: frozenset[str] = frozenset({*META_HEAD, *META_TAIL, *EXTRA_COLUMNS, "set"})


def reserved_column(name: str) -> bool:
    """Whether a parameter may not be called ``name`` (``score_*`` included)."""
    return name in RESERVED_COLUMNS or name.startswith(SCORE_PREFIX)


COUNTED = ("done", "failed", "finished", "failed_ids", "submitted")


@dataclass
class RunRecord:
    """One metadata.csv row."""

    run_id: int
    status: str  # "done" | "failed"
    values: dict[str, Any]
    prompt_id: str
    queued_at: float | None
    started_at: float | None
    finished_at: float | None
    execution_s: float | None
    outputs: list[str]  # posix paths relative to the batch folder
    error: str = ""
    cached_nodes: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)  # EXTRA_COLUMNS cells ("" = none)


# ------------------------------------------------------------ small helpers
def now_iso() -> str:
    return _iso(time.time())


def _iso(ts: float | None) -> str:
    if ts is None:
        return ""
    dt = datetime.fromtimestamp(ts, timezone.utc)
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_iso(text: str) -> float | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _num(x: float | None) -> str:
    return "" if x is None else repr(float(x))


def _parse_num(text: str) -> float | None:
    return float(text) if text else None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value) if not isinstance(value, float) else repr(value)
    return json.dumps(value, ensure_ascii=False)


def one_line(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, SweepError) else str(exc) or type(exc).__name__
    return " ".join(text.split())


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _add_to_ranges(ranges: list[list[int]], i: int) -> None:
    """Insert run id ``i`` into sorted inclusive ``[first, last]`` ranges."""
    k = bisect_right(ranges, i, key=lambda r: r[0])  # ranges[k-1] starts at or before i
    if k and ranges[k - 1][0] <= i <= ranges[k - 1][1]:
        return
    join_left = k > 0 and ranges[k - 1][1] == i - 1
    join_right = k < len(ranges) and ranges[k][0] == i + 1
    if join_left and join_right:
        ranges[k - 1][1] = ranges[k][1]
        del ranges[k]
    elif join_left:
        ranges[k - 1][1] = i
    elif join_right:
        ranges[k][0] = i
    else:
        ranges.insert(k, [i, i])


def peek_progress(folder: Path) -> dict[str, Any] | None:
    try:
        data = read_json(folder / "progress.json")
    except (OSError, ValueError):
        return None
    ok = isinstance(data, dict) and isinstance(data.get("total"), int)
    return data if ok and data.get("schema_version") == SCHEMA_VERSION else None


# ----------------------------------------------------------- metadata.csv
@dataclass
class Meta:
    params: list[str]
    scores: list[str]
    records: dict[int, RunRecord]
    dirty: bool  # torn last line, invalid or duplicate rows: rewrite on lock
    extras: list[str] = field(default_factory=list)  # the EXTRA_COLUMNS this file has

    def needs_extras(self, rec: RunRecord) -> bool:
        """Whether ``rec`` has a value in an optional column the file lacks (the
        columns are then added, in their fixed order, by a rewrite)."""
        new = [c for c in EXTRA_COLUMNS if rec.extra.get(c) and c not in self.extras]
        if new:
            self.extras = [c for c in EXTRA_COLUMNS if c in self.extras or c in new]
        return bool(new)


def metadata_header(
    params: Sequence[str], scores: Sequence[str], extras: Sequence[str] = ()
) -> list[str]:
    return [*META_HEAD, *params, *META_TAIL, *extras, *(SCORE_PREFIX + s for s in scores)]


def metadata_row(
    rec: RunRecord, params: Sequence[str], scores: Sequence[str], extras: Sequence[str] = ()
) -> list[str]:
    return [
        str(rec.run_id),
        rec.status,
        *(_cell(rec.values.get(p)) for p in params),
        rec.prompt_id,
        _iso(rec.queued_at),
        _iso(rec.started_at),
        _iso(rec.finished_at),
        _num(rec.execution_s),
        ";".join(rec.outputs),
        ";".join(rec.cached_nodes),
        rec.error,
        *(rec.extra.get(c, "") for c in extras),
        *(_num(rec.scores.get(s)) for s in scores),
    ]


def csv_text(rows: Sequence[Sequence[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def _split_header(header: list[str]) -> tuple[list[str], list[str], list[str]]:
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:  # a row read as a dict would silently lose one of the two values
        raise ValueError(f"metadata.csv has duplicated columns: {', '.join(twice)}")
    n = len(META_TAIL)
    if header[:2] != list(META_HEAD) or len(header) < 2 + n:
        raise ValueError("metadata.csv has an unexpected header")
    at = header.index(META_TAIL[0]) if META_TAIL[0] in header else -1
    if at < 2 or tuple(header[at : at + n]) != META_TAIL:
        raise ValueError("metadata.csv has an unexpected header")
    rest = header[at + n :]
    extras = [c for c in rest if c in EXTRA_COLUMNS]
    scores = rest[len(extras) :]
    if extras != [c for c in EXTRA_COLUMNS if c in extras]:
        raise ValueError("metadata.csv has its optional columns out of order")
    if not all(s.startswith(SCORE_PREFIX) for s in scores):
        raise ValueError("metadata.csv has columns after 'error' that are not score_*")
    return header[2:at], [s[len(SCORE_PREFIX) :] for s in scores], extras


def _parse_row(
    d: dict[str, str],
    params: list[str],
    scores: list[str],
    index: Mapping[int, PlannedRun],
    extras: Sequence[str] = (),
) -> RunRecord:
    run_id = int(d["run_id"])
    if d["status"] not in ("done", "failed"):
        raise ValueError(f"status {d['status']!r}")
    planned = index.get(run_id)
    return RunRecord(
        run_id=run_id,
        status=d["status"],
        # The plan holds the typed values; the CSV cells are a mirror of them.
        values=dict(planned.values) if planned else {p: d[p] for p in params},
        prompt_id=d["prompt_id"],
        queued_at=_parse_iso(d["queued_at"]),
        started_at=_parse_iso(d["started_at"]),
        finished_at=_parse_iso(d["finished_at"]),
        execution_s=_parse_num(d["execution_s"]),
        outputs=[p for p in d["outputs"].split(";") if p],
        cached_nodes=[p for p in d["cached_nodes"].split(";") if p],
        error=d["error"],
        scores={s: v for s in scores if (v := _parse_num(d[SCORE_PREFIX + s])) is not None},
        extra={c: d[c] for c in extras if d[c]},
    )


def read_metadata(path: Path, index: Mapping[int, PlannedRun]) -> Meta:
    return parse_metadata(path.read_bytes(), index)


def parse_metadata(raw: bytes, index: Mapping[int, PlannedRun]) -> Meta:
    """metadata.csv's bytes (a local file, or one served by the routes) as records;
    values come from ``index`` (the plan) when it has the run, else the cells."""
    torn = bool(raw) and not raw.endswith(b"\n")
    if torn:  # a crash mid-append: drop the partial last line
        raw = raw[: raw.rfind(b"\n") + 1]
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    if not rows:
        raise ValueError("metadata.csv has no header")
    params, scores, extras = _split_header(rows[0])
    records: dict[int, RunRecord] = {}
    dirty = torn
    for row in rows[1:]:
        try:
            if len(row) != len(rows[0]):
                raise ValueError("wrong number of cells")
            rec = _parse_row(dict(zip(rows[0], row, strict=True)), params, scores, index, extras)
        except ValueError:
            dirty = True  # an invalid row can only be a torn last line
            continue
        dirty = dirty or rec.run_id in records
        records[rec.run_id] = rec
    return Meta(params, scores, records, dirty, extras)


def params_json(run: PlannedRun, rec: RunRecord) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "folder": run.folder,
        "sample_index": run.sample_index,
        "repeat": run.repeat,
        "parameters": dict(run.values),
        "status": rec.status,
        "prompt_id": rec.prompt_id,
        "queued_at": _iso(rec.queued_at) or None,
        "started_at": _iso(rec.started_at) or None,
        "finished_at": _iso(rec.finished_at) or None,
        "execution_s": rec.execution_s,
        "outputs": list(rec.outputs),
        "cached_nodes": list(rec.cached_nodes),
        "error": rec.error,
        **{c: rec.extra[c] for c in EXTRA_COLUMNS if rec.extra.get(c)},
    }


def clean_scores(
    scores: Mapping[int, Mapping[str, float]], records: Mapping[int, RunRecord]
) -> dict[int, dict[str, float]]:
    unknown = sorted(int(r) for r in scores if int(r) not in records)
    if unknown:
        raise StoreError(f"scores for runs without a metadata row: {unknown[:10]}")
    out: dict[int, dict[str, float]] = {}
    for run_id, values in scores.items():
        row: dict[str, float] = {}
        for name, value in values.items():
            key = name[len(SCORE_PREFIX) :] if name.startswith(SCORE_PREFIX) else name
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not key:
                raise StoreError(f"score {name!r} of run {run_id} must be a number, not {value!r}")
            row[key] = float(value)
        out[int(run_id)] = row
    return out


# ------------------------------------------------------------ progress.json
def recount(progress: dict[str, Any], records: Mapping[int, RunRecord]) -> None:
    """Derive the counted keys of progress.json from the metadata records."""
    done = sorted(i for i, r in records.items() if r.status == "done")
    progress["done"] = len(done)
    progress["failed"] = len(records) - len(done)
    ranges: list[list[int]] = []
    for i in done:
        _add_to_ranges(ranges, i)
    progress["finished"] = ranges
    progress["failed_ids"] = sorted(i for i, r in records.items() if r.status != "done")
    submitted = {str(k): str(v) for k, v in dict(progress.get("submitted") or {}).items()}
    for key, pid in list(submitted.items()):
        rec = records.get(int(key))
        if rec is not None and rec.prompt_id == pid:
            del submitted[key]  # recorded, no longer in flight
    progress["submitted"] = submitted


def count_one(progress: dict[str, Any], old: RunRecord | None, new: RunRecord) -> bool:
    """Update the counted keys for one new record in O(window); False if a
    full recount is needed (a done run re-recorded)."""
    if old is not None and old.status == "done":
        return False
    if old is not None:
        progress["failed"] -= 1
        progress["failed_ids"].remove(new.run_id)
    if new.status == "done":
        progress["done"] += 1
        _add_to_ranges(progress["finished"], new.run_id)
    else:
        progress["failed"] += 1
        progress["failed_ids"] = sorted([*progress["failed_ids"], new.run_id])
    if progress["submitted"].get(str(new.run_id)) == new.prompt_id:
        del progress["submitted"][str(new.run_id)]
    return True


def check_progress(progress: Any) -> dict[str, Any]:
    if not isinstance(progress, dict) or not isinstance(progress.get("schema_version"), int):
        raise ValueError("progress.json has no schema_version")
    if progress["schema_version"] > SCHEMA_VERSION:
        raise ValueError(
            f"written by a newer comfy-sweep (schema {progress['schema_version']} > {SCHEMA_VERSION})"
        )
    if progress.get("state") not in STATES or not isinstance(progress.get("total"), int):
        raise ValueError("progress.json lacks a valid state or total")
    return progress
