"""Contact sheet at 10,000 runs: page build time and sort/filter latency in Chromium.

    .venv/bin/python benchmarks/bench_contact_sheet.py [--runs 10000] [--out benchmarks/out]

Writes a synthetic batch folder (plan.json, progress.json, metadata.csv in the
run-store format, one small thumbnail per run), renders contact_sheet.html,
opens it as a file:// page in Chromium and reports:
  - python render time (build_report_data + template),
  - page build: navigation start to the first grid paint (JSON parse + first render),
  - median latency of sort and filter changes (state change to the next frame).
Targets (issue 7): page build < 10 s, sort/filter < 100 ms.

``write_synthetic_batch`` is also the fixture writer of the contact-sheet tests.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from comfy_sweep.core import atomic
from comfy_sweep.core.report import render_contact_sheet, thumb_name
from comfy_sweep.core.store_format import RunRecord, csv_text, metadata_header, metadata_row
from PIL import Image

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
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
) -> Path:
    """A batch folder in the run-store format with ``n`` runs (run ids 1..n).

    ``media``: "image" writes a small PNG per done run, "none" records outputs
    that are not written (cheap, for 10,000 runs), "video" expects the caller to
    place ``runs/<folder>/video.mp4``. ``values`` overrides the parameter values.
    """
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    vals = [dict(values[i]) if values else default_values(i, rng) for i in range(n)]
    params = list(vals[0]) if vals else []
    runs = [{"run_id": i + 1, "sample_index": i, "repeat": 0, "values": vals[i],
             "folder": f"{i + 1:04d}"} for i in range(n)]  # fmt: skip
    plan = {"schema": 1, "strategy": "sobol", "parameters": params, "sweep_seed": seed,
            "warnings": [], "notes": [], "runs": runs}  # fmt: skip
    atomic.write_json(root / "plan.json", plan)
    records = [
        _record(root, r, media, failed, rng, scores) for r in runs if r["run_id"] not in pending
    ]
    score_names = ["quality"] if scores else []
    rows = [metadata_header(params, score_names)]
    rows += [metadata_row(rec, params, score_names) for rec in records]
    atomic.write_text(root / "metadata.csv", csv_text(rows))
    progress = {"schema_version": 1, "name": root.name, "state": "done" if not pending else "running",
                "created_at": "2026-01-01T00:00:00.000Z", "updated_at": "2026-01-01T00:00:00.000Z",
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


# ----------------------------------------------------------------- measuring
SORT_FILTER_JS = """async ([kind, key]) => {
  const s = window.contactSheet;
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  await frame();
  const t0 = performance.now();
  if (kind === "sort") s.set({ sort: key, desc: !s.state.desc });
  else { s.filters.ranges[key] = [Math.random() * 4 + 1, NaN]; s.apply(); }
  document.body.offsetHeight;  // force style and layout of the new cells
  await frame();
  return performance.now() - t0;
}"""


def measure(page_path: Path, repeats: int = 15) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            t0 = time.perf_counter()
            page.goto(page_path.as_uri())
            page.wait_for_selector("#grid-view .cell")
            wall = time.perf_counter() - t0
            build_ms = page.evaluate("performance.now()")
            sorts = [
                page.evaluate(SORT_FILTER_JS, ["sort", k])
                for k in ["p:cfg", "m:execution_s", "p:sampler"] * (repeats // 3)
            ]
            filters = [page.evaluate(SORT_FILTER_JS, ["filter", "p:cfg"]) for _ in range(repeats)]
            return {
                "page_build_s": round(wall, 3),
                "page_ready_ms_from_navigation": round(build_ms, 1),
                "sort_median_ms": round(statistics.median(sorts), 1),
                "sort_max_ms": round(max(sorts), 1),
                "filter_median_ms": round(statistics.median(filters), 1),
                "filter_max_ms": round(max(filters), 1),
                "cells_in_dom": page.locator("#grid-view .cell").count(),
            }
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    args = ap.parse_args(argv)
    root = args.out / f"sheet_{args.runs}"
    write_synthetic_batch(
        root, args.runs, media="none", failed=range(7, args.runs, 97), thumbnails=True
    )
    t0 = time.perf_counter()
    page = render_contact_sheet(root)
    result: dict[str, Any] = {"runs": args.runs, "python_render_s": round(time.perf_counter() - t0, 3),
                              "html_bytes": page.stat().st_size}  # fmt: skip
    result.update(measure(page))
    ok = (
        result["page_build_s"] < 10
        and result["sort_median_ms"] < 100
        and result["filter_median_ms"] < 100
    )
    result["meets_targets"] = ok
    print(json.dumps(result, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
