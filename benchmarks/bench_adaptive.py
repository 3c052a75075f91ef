"""Adaptive search against Sobol, and cr-refine, on a hidden optimum (issue 13).

One fresh ComfyUI (tests/comfy_harness.py) renders a reference image at hidden
values of three inputs (noise strength, blur radius, blur sigma;
tests/hidden_optimum.py). For each sweep_seed, through cr-batch in client mode
with ``similarity`` (SSIM) to the reference as the score:

* ``sobol`` with N samples, and ``adaptive`` with N/2 (its budget);
* the best score of each; target: median over seeds adaptive(N/2) >= sobol(N);
* cr-refine on the Sobol batch (--top K): does every range still contain the
  hidden value, and how wide is it against the sweep's range?

    .venv/bin/python benchmarks/bench_adaptive.py [--n 32] [--seeds 1 2 3 4 5] [--top 5]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from comfy_harness import ComfyServer  # noqa: E402
from comfy_sweep.cli.batch import main as cr_batch  # noqa: E402
from comfy_sweep.cli.refine import refine as cr_refine  # noqa: E402
from hidden_optimum import HIDDEN, RANGES, render_reference, sweep_config, workflow  # noqa: E402

MEASURE = ["ssim"]  # set from --measure


def run_sweep(server: ComfyServer, work: Path, strategy: str, n: int, seed: int) -> Path:
    folder = work / f"{strategy}_{n}_{seed}"
    folder.mkdir()
    cfg = folder / "sweep.yaml"
    data = sweep_config(work / "hidden.json", work / "ref.png", strategy, n, seed, MEASURE[0])
    data["output"] = {"base_dir": str(folder / "output")}
    cfg.write_text(yaml.safe_dump(data), encoding="utf-8")
    res = CliRunner().invoke(cr_batch, [str(cfg), "--server", server.address, "--mode", "client"])
    if res.exit_code != 0:
        raise SystemExit(f"{strategy} seed {seed} failed: {res.output}")
    (batch,) = [p for p in (folder / "output").iterdir() if p.is_dir()]
    return batch


def best(batch: Path) -> float:
    with open(batch / "metadata.csv", newline="", encoding="utf-8") as f:
        return max(float(r["score_like"]) for r in csv.DictReader(f) if r.get("score_like"))


def refine_ranges(batch: Path, top: int) -> dict[str, tuple[float, float]]:
    out = batch.parent.parent / "next.yaml"
    res = CliRunner().invoke(
        cr_refine, [str(batch), "--by", "like", "--top", str(top), "-o", str(out)]
    )
    if res.exit_code != 0:
        raise SystemExit(f"cr-refine failed: {res.output}")
    params = yaml.safe_load(out.read_text(encoding="utf-8"))["parameters"]
    return {name: (params[name]["min"], params[name]["max"]) for name in RANGES}


def one_seed(server: ComfyServer, work: Path, n: int, seed: int, top: int) -> dict[str, Any]:
    t0 = time.monotonic()
    sobol = run_sweep(server, work, "sobol", n, seed)
    t1 = time.monotonic()
    adaptive = run_sweep(server, work, "adaptive", n // 2, seed)
    t2 = time.monotonic()
    same = run_sweep(server, work, "adaptive", n, seed)  # context: the same budget as Sobol
    ranges = refine_ranges(sobol, top)
    contains = all(lo <= HIDDEN[k] <= hi for k, (lo, hi) in ranges.items())
    widths = {k: (hi - lo) / (RANGES[k][1] - RANGES[k][0]) for k, (lo, hi) in ranges.items()}
    row = {
        "seed": seed, "sobol": best(sobol), "adaptive": best(adaptive), "adaptive_n": best(same),
        "sobol_s": t1 - t0, "adaptive_s": t2 - t1, "contains": contains,
        "widths": widths, "ranges": ranges,
    }  # fmt: skip
    print(
        f"seed {seed}: sobol({n}) best {row['sobol']:.4f} [{row['sobol_s']:.0f}s]  "
        f"adaptive({n // 2}) best {row['adaptive']:.4f} [{row['adaptive_s']:.0f}s]  "
        f"adaptive({n}) best {row['adaptive_n']:.4f}  "
        f"refine contains optimum: {contains}  widths "
        + " ".join(f"{k} {w:.2f}" for k, w in widths.items()),
        flush=True,
    )
    return row


def report(rows: list[dict[str, Any]], n: int) -> None:
    sob = statistics.median(r["sobol"] for r in rows)
    ada = statistics.median(r["adaptive"] for r in rows)
    wins = sum(r["adaptive"] >= r["sobol"] for r in rows)
    same = statistics.median(r["adaptive_n"] for r in rows)
    print(
        f"\nmedian best {MEASURE[0]}: sobol after {n} runs {sob:.4f}, adaptive after {n // 2} runs {ada:.4f}"
    )
    print(
        f"adaptive >= sobol on {wins} of {len(rows)} seeds; target adaptive >= sobol: {'met' if ada >= sob else 'NOT met'}"
    )
    print(f"(same budget: adaptive after {n} runs {same:.4f})")
    inside = sum(r["contains"] for r in rows)
    print(f"cr-refine ranges contain the hidden optimum on {inside} of {len(rows)} seeds")
    for name in RANGES:
        med = statistics.median(r["widths"][name] for r in rows)
        print(f"  {name}: refined width / original width, median {med:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=32, help="Sobol's samples (adaptive gets half)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--top", type=int, default=5, help="cr-refine --top")
    ap.add_argument(
        "--measure",
        choices=["ssim", "psnr"],
        default="psnr",
        help="similarity measure (SSIM saturates near 1 close to the optimum)",
    )
    args = ap.parse_args()
    MEASURE[0] = args.measure
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        server = ComfyServer(work / "comfy").start()
        try:
            (work / "hidden.json").write_text(json.dumps(workflow()), encoding="utf-8")
            render_reference(server, work / "ref.png")
            print(f"hidden optimum {HIDDEN} in {RANGES}", flush=True)
            rows = [one_seed(server, work, args.n, seed, args.top) for seed in args.seeds]
        finally:
            server.stop()
    report(rows, args.n)


if __name__ == "__main__":
    main()
