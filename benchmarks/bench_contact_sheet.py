"""Contact sheet at 10,000 runs: page build time and sort/filter latency in Chromium.

    .venv/bin/python benchmarks/bench_contact_sheet.py [--runs 10000] [--out benchmarks/out]

Writes a synthetic batch folder (plan.json, progress.json, metadata.csv in the
run-store format, one small thumbnail per run), renders contact_sheet.html,
opens it as a file:// page in Chromium and reports:
  - python render time (build_report_data + template),
  - page build: navigation start to the first grid paint (JSON parse + first render),
  - median latency of sort and filter changes (state change to the next frame).
Targets (issue 7): page build < 10 s, sort/filter < 100 ms.

The synthetic batch comes from tests/sheet_fixtures.py (the tests' own fixture
writer), so the benchmark measures the same shape of folder the tests check.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from comfy_sweep.core.report.sheet import render_contact_sheet

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from sheet_fixtures import write_synthetic_batch  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
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


# A live update (sheet_live.js) as a running sweep's page gets it: the polled
# JSON parsed, 100 runs changed, merged into the open page, next frame.
LIVE_MERGE_JS = """async () => {
  const text = document.getElementById("sheet-data").textContent;
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  const data = JSON.parse(text);
  for (const r of data.runs.slice(0, 100)) { r.status = "failed"; r.error = "bench"; }
  await frame();
  const t0 = performance.now();
  CS.mergeData(window.contactSheet, JSON.parse(JSON.stringify(data)));
  document.body.offsetHeight;
  await frame();
  return performance.now() - t0;
}"""


# "Which settings win" at 10,000 runs: a score as the sort key, a score range
# as a filter, the best of each sample's seeds (metric chosen, heatmap on),
# and the per-parameter importance of the plots view (pure computation).
SCORE_JS = """async ([kind]) => {
  const s = window.contactSheet;
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  await frame();
  const t0 = performance.now();
  if (kind === "sort") s.set({ sort: "m:score_quality", desc: !s.state.desc });
  else if (kind === "filter") { s.filters.ranges["m:score_quality"] = [Math.random() * 0.5, NaN]; s.apply(); }
  else if (kind === "best") s.set({ best: !s.state.best });
  else {
    const cols = s.cols.filter((c) => c.kind === "param" && c.varying);
    CS.importance(s.data.runs, cols, s.col("m:score_quality"));
    return performance.now() - t0;
  }
  document.body.offsetHeight;
  await frame();
  return performance.now() - t0;
}"""


def measure_scores(page: Any, repeats: int) -> dict[str, float]:
    page.evaluate(
        "() => { window.contactSheet.filters.ranges = {}; window.contactSheet.setMetric('m:score_quality'); }"
    )
    out: dict[str, float] = {}
    for kind in ("sort", "filter", "best", "importance"):
        times = [page.evaluate(SCORE_JS, [kind]) for _ in range(repeats)]
        out[f"score_{kind}_median_ms"] = round(statistics.median(times), 1)
        out[f"score_{kind}_max_ms"] = round(max(times), 1)
    return out


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
            merge_ms = page.evaluate(LIVE_MERGE_JS)
            scores = measure_scores(page, repeats)
            return {
                **scores,
                "page_build_s": round(wall, 3),
                "page_ready_ms_from_navigation": round(build_ms, 1),
                # the first sort starts right after the first grid paint, while the
                # page still decodes thumbnails and collects the JSON parse's garbage
                "sort_first_ms": round(sorts[0], 1),
                "sort_median_ms": round(statistics.median(sorts), 1),
                "sort_max_ms": round(max(sorts), 1),
                "sort_max_after_first_ms": round(max(sorts[1:]), 1),
                "filter_median_ms": round(statistics.median(filters), 1),
                "filter_max_ms": round(max(filters), 1),
                "live_merge_100_changed_ms": round(merge_ms, 1),
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
        root,
        args.runs,
        media="none",
        failed=range(7, args.runs, 97),
        thumbnails=True,
        seeds_per_sample=4,
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
        and result["score_sort_median_ms"] < 100
        and result["score_filter_median_ms"] < 100
        and result["score_best_median_ms"] < 100
    )
    result["meets_targets"] = ok
    print(json.dumps(result, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
