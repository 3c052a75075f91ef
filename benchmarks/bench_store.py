"""Run-store throughput at 10,000 runs: does recording stay linear?

Records N runs the way the engine does (prompt.json + progress before submit,
an output file, then params.json + metadata row + progress) and prints the
time per run for each tenth of the batch, plus the time to reopen it. Flat
per-tenth times mean linear total cost.

    .venv/bin/python benchmarks/bench_store.py [N] [--dir DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from comfy_sweep.core.config.load import load_config, resolve_workflow_path
from comfy_sweep.core.plan.model import Plan, PlannedRun
from comfy_sweep.core.store.format import RunRecord
from comfy_sweep.core.store.runstore import RunStore
from comfy_sweep.core.workflow import load_workflow

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "configs" / "image_grid.yaml"


def make_store(base: Path, n: int) -> RunStore:
    cfg = load_config(EXAMPLE)
    wf = load_workflow(resolve_workflow_path(cfg))
    runs = [
        PlannedRun(i, i - 1, 0, {"strength": 0.1 * (i % 7), "blur_radius": i % 5}, f"{i:05d}")
        for i in range(1, n + 1)
    ]
    return RunStore.create(
        base, cfg, wf, Plan(runs, ["strength", "blur_radius"], "grid", [], [], 1)
    )


def record_one(store: RunStore, run_id: int) -> None:
    pid = f"00000000-0000-0000-0000-{run_id:012d}"
    store.record_submitted(run_id, pid, {"3": {"class_type": "Blur", "inputs": {}}})
    out = store.run_dir(run_id) / "out.png"
    out.write_bytes(b"\x89PNG" + bytes(64))
    t = time.time()
    rel = out.relative_to(store.root).as_posix()
    store.record_result(RunRecord(run_id, "done", {}, pid, t, t, t, 0.5, [rel]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int, nargs="?", default=10_000)
    ap.add_argument("--dir", type=Path, default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        store = make_store(Path(tmp), args.n)
        tenth = max(1, args.n // 10)
        start = time.perf_counter()
        with store.lock("bench_store"):
            for first in range(1, args.n + 1, tenth):
                t0 = time.perf_counter()
                ids = range(first, min(first + tenth, args.n + 1))
                for run_id in ids:
                    record_one(store, run_id)
                per = (time.perf_counter() - t0) / len(ids) * 1000
                print(f"runs {ids[0]:>6}-{ids[-1]:<6} {per:7.3f} ms/run")
        total = time.perf_counter() - start
        t0 = time.perf_counter()
        again = RunStore.open(store.root)
        reopen = time.perf_counter() - t0
        assert again.progress()["done"] == args.n
        print(f"recorded {args.n} runs in {total:.1f} s ({total / args.n * 1000:.2f} ms/run)")
        print(f"reopen with {args.n} rows: {reopen * 1000:.0f} ms")


if __name__ == "__main__":
    main()
