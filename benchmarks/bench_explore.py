"""comfy-sweep explore against one Sobol sweep of the same budget, on a hidden optimum (issue 17).

One fresh ComfyUI (tests/comfy_harness.py) renders a reference image at hidden
values (tests/explore_optimum.py: noise strength, blur sigma, a rotation COMBO;
no sampler, so explore skips surfing). For each seed, with ``similarity`` to the
reference as the score (PSNR in dB by default; --measure ssim):

* ``explore --budget N`` (its default search: one adaptive batch, then seed
  mining), and with --rounds also ``explore --search sobol`` (narrowing rounds);
* one ``cr-batch`` Sobol sweep of N samples over the same ranges and values;
* the best score of each (explore: its hero); target: explore >= sobol on every seed.

    .venv/bin/python benchmarks/bench_explore.py [--n 32] [--seeds 1 2 3 4 5] [--rounds]
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
from comfy_sweep.cli.commands.explore import explore as cr_explore  # noqa: E402
from explore_optimum import HIDDEN, ONLY, RANGES, distance, render_reference, workflow  # noqa: E402


def sobol_config(work: Path, n: int, seed: int, measure: str) -> dict[str, Any]:
    params: dict[str, Any] = {
        name: {"path": path, "type": "continuous", "min": lo, "max": hi}
        for (name, (lo, hi)), path in zip(
            RANGES.items(), ("nodes.2.inputs.strength", "nodes.3.inputs.sigma"), strict=True
        )
    }
    params["rotation"] = {"path": "nodes.4.inputs.rotation",
                          "values": ["none", "90 degrees", "180 degrees", "270 degrees"]}  # fmt: skip
    return {
        "workflow_file": str(work / "wf.json"), "sampling_strategy": "sobol", "num_samples": n,
        "sweep_seed": seed, "parameters": params,
        "metrics": {"sim": {"type": "similarity", "reference": str(work / "ref.png"), "measure": measure}},
        "comfyui": {"queue_window": 2, "poll_interval": 0.05},
    }  # fmt: skip


def run_sobol(
    server: ComfyServer, work: Path, n: int, seed: int, measure: str
) -> tuple[float, dict[str, Any]]:
    folder = work / f"sobol_{seed}"
    folder.mkdir()
    data = sobol_config(work, n, seed, measure)
    data["output"] = {"base_dir": str(folder / "output")}
    (folder / "sweep.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    res = CliRunner().invoke(
        cr_batch, [str(folder / "sweep.yaml"), "--server", server.address, "--mode", "client"]
    )
    if res.exit_code != 0:
        raise SystemExit(f"sobol seed {seed} failed: {res.output}")
    (batch,) = [p for p in (folder / "output").iterdir() if p.is_dir()]
    with open(batch / "metadata.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r.get("score_sim")]
    top = max(rows, key=lambda r: float(r["score_sim"]))
    return float(top["score_sim"]), {k: top[k] for k in ("strength", "sigma", "rotation")}


def run_explore(
    server: ComfyServer, work: Path, n: int, seed: int, measure: str, search: str
) -> tuple[float, dict[str, Any], int]:
    out = work / f"explore_{search}_{seed}"
    args = [str(work / "wf.json"), "--budget", str(n), "--seed", str(seed), "-o", str(out),
            "--server", server.address, "--search", search,
            "--metric", f"sim=similarity:{work / 'ref.png'},{measure}"]  # fmt: skip
    for only in ONLY:
        args += ["--only", only]
    res = CliRunner().invoke(cr_explore, args)
    if res.exit_code != 0:
        raise SystemExit(f"explore seed {seed} failed: {res.output}")
    (root,) = list(out.iterdir())
    state = json.loads((root / "explore.json").read_text(encoding="utf-8"))
    hero = state["notes"]["heroes"][0]
    runs = sum(s["runs"] for s in state["steps"].values())
    return float(hero["score"]), hero["values"], runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=32, help="the budget of both")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--measure", choices=["psnr", "ssim"], default="psnr")
    ap.add_argument("--rounds", action="store_true", help="also explore --search sobol")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-explore-") as tmp:
        work = Path(tmp)
        server = ComfyServer(work / "comfy").start()
        try:
            (work / "wf.json").write_text(json.dumps(workflow()), encoding="utf-8")
            render_reference(server, work / "ref.png")
            for seed in args.seeds:
                t0 = time.monotonic()
                ex, ex_values, runs = run_explore(
                    server, work, args.n, seed, args.measure, "adaptive"
                )
                t1 = time.monotonic()
                sob, sob_values = run_sobol(server, work, args.n, seed, args.measure)
                t2 = time.monotonic()
                row = {"seed": seed, "explore": ex, "sobol": sob, "runs": runs,
                       "explore_d": distance(ex_values), "sobol_d": distance(sob_values),
                       "explore_rot": ex_values["rotation"], "sobol_rot": sob_values["rotation"],
                       "explore_s": t1 - t0, "sobol_s": t2 - t1}  # fmt: skip
                if args.rounds:
                    row["rounds"], rd_values, _ = run_explore(
                        server, work, args.n, seed, args.measure, "sobol"
                    )
                    row["rounds_d"] = distance(rd_values)
                print(
                    f"seed {seed}: explore({runs} runs) best {ex:.4f} (off {row['explore_d']:.3f}, "
                    f"{ex_values['rotation']}) [{row['explore_s']:.0f}s]  sobol({args.n}) best {sob:.4f} "
                    f"(off {row['sobol_d']:.3f}, {sob_values['rotation']}) [{row['sobol_s']:.0f}s]"
                    + (f"  explore --search sobol {row['rounds']:.4f} (off {row['rounds_d']:.3f})"
                       if args.rounds else ""),
                    flush=True,
                )  # fmt: skip
                rows.append(row)
        finally:
            server.stop()
    wins = sum(r["explore"] >= r["sobol"] for r in rows)
    print(
        f"\nhidden optimum {HIDDEN}; 'off': largest distance of strength/sigma as a share of the range"
    )
    print(f"median best {args.measure}: explore {statistics.median(r['explore'] for r in rows):.4f}, "
          f"sobol {statistics.median(r['sobol'] for r in rows):.4f}")  # fmt: skip
    print(f"explore >= sobol on {wins} of {len(rows)} seeds; target (every seed): "
          f"{'met' if wins == len(rows) else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()
