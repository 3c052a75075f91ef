"""Synthetic batch folders in the run-store format (docs/run-store.md) for the
contact-sheet and thumbnail tests and benchmarks/bench_contact_sheet.py.

Cheap to write at 10,000 runs (``media="none"`` records outputs without files).
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from comfy_sweep.core.report.sheet import thumb_name
from comfy_sweep.core.store import atomic
from comfy_sweep.core.store.format import RunRecord, csv_text, metadata_header, metadata_row
from PIL import Image

SAMPLERS = ["euler", "dpmpp_2m", "ddim", "uni_pc"]


def _png(color: tuple[int, int, int], size: tuple[int, int] = (64, 48), fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, fmt)
    return buf.getvalue()


def default_values(i: int, rng: random.Random) -> dict[str, Any]:
    return {
        "cfg": round(rng.uniform(1.0, 9.0), 3),
        "steps": rng.choice([10, 20, 30]),
        "sampler": SAMPLERS[i % len(SAMPLERS)],
        "seed": rng.randrange(2**40),
    }


def write_synthetic_batch(
    root: Path,
    n: int,
    *,
    values: Sequence[Mapping[str, Any]] | None = None,
    media: str = "image",
    failed: Sequence[int] = (),
    pending: Sequence[int] = (),
    scores: bool = True,
    thumbnails: bool = False,
    seed: int = 1,
    state: str | None = None,
    updated_at: str = "2026-01-01T00:00:00.000Z",
    seeds_per_sample: int = 1,
    quality: Callable[[Mapping[str, Any]], float] | None = None,
    marks: Mapping[int, Mapping[str, str]] | None = None,
) -> Path:
    """A batch folder in the run-store format with ``n`` runs (run ids 1..n).

    ``media``: "image" writes a small PNG per done run, "none" records outputs
    that are not written (cheap, for 10,000 runs), "video" expects the caller to
    place ``runs/<folder>/video.mp4``. ``values`` overrides the parameter values.
    ``state`` defaults to "running" when runs are pending, else "done"; rewriting
    a folder with fewer ``pending`` and a later ``updated_at`` mimics a sweep
    making progress. ``seeds_per_sample`` consecutive runs share a sample_index;
    ``quality`` computes score_quality from the values (default random);
    ``marks`` sets the rating/picked columns of runs.
    """
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    vals = [dict(values[i]) if values else default_values(i, rng) for i in range(n)]
    params = list(vals[0]) if vals else []
    runs = [{"run_id": i + 1, "sample_index": i // seeds_per_sample,
             "repeat": i % seeds_per_sample, "values": vals[i],
             "folder": f"{i + 1:04d}"} for i in range(n)]  # fmt: skip
    plan = {"schema": 1, "strategy": "sobol", "parameters": params, "sweep_seed": seed,
            "warnings": [], "notes": [], "runs": runs}  # fmt: skip
    atomic.write_json(root / "plan.json", plan)
    records = [
        _record(root, r, media, failed, rng, scores) for r in runs if r["run_id"] not in pending
    ]
    for rec in records:
        if quality is not None and rec.scores:
            rec.scores["quality"] = round(quality(rec.values), 4)
        rec.extra = dict((marks or {}).get(rec.run_id, {}))
    score_names = ["quality"] if scores else []
    extras = [c for c in ("rating", "picked") if any(c in m for m in (marks or {}).values())]
    rows = [metadata_header(params, score_names, extras)]
    rows += [metadata_row(rec, params, score_names, extras) for rec in records]
    atomic.write_text(root / "metadata.csv", csv_text(rows))
    state = state or ("running" if pending else "done")
    progress = {"schema_version": 1, "name": root.name, "state": state,
                "created_at": "2026-01-01T00:00:00.000Z", "updated_at": updated_at,
                "total": n, "submitted": {}}  # fmt: skip
    atomic.write_json(root / "progress.json", progress)
    if thumbnails:
        _write_thumbnails(root, [rec.run_id for rec in records if rec.status == "done"])
    return root


def _record(
    root: Path,
    run: dict[str, Any],
    media: str,
    failed: Sequence[int],
    rng: random.Random,
    scores: bool,
) -> RunRecord:
    run_id, folder = int(run["run_id"]), str(run["folder"])
    ok = run_id not in failed
    outputs: list[str] = []
    if ok and media in ("image", "none"):
        outputs = [f"runs/{folder}/image_{run_id:05d}_.png"]
        if media == "image":
            (root / "runs" / folder).mkdir(parents=True, exist_ok=True)
            (root / outputs[0]).write_bytes(_png((run_id * 37 % 256, 90, 160)))
    elif ok and media == "video":
        outputs = [f"runs/{folder}/video.mp4"]
    return RunRecord(
        run_id=run_id,
        status="done" if ok else "failed",
        values=dict(run["values"]),
        prompt_id=f"p{run_id}",
        queued_at=1.7e9,
        started_at=1.7e9 + run_id,
        finished_at=1.7e9 + run_id + 1,
        execution_s=round(rng.uniform(0.5, 5.0), 3) if ok else None,
        outputs=outputs,
        error="" if ok else f"node 3 (KSampler): run {run_id} failed",
        scores={"quality": round(rng.random(), 4)} if scores and ok else {},
    )


def _write_thumbnails(root: Path, run_ids: Sequence[int]) -> None:
    folder = root / "thumbnails"
    folder.mkdir(exist_ok=True)
    data = _png((70, 120, 90), (128, 96), "JPEG")
    for run_id in run_ids:
        (folder / thumb_name(run_id)).write_bytes(data)
