"""cr-batch as a whole process: wall (process start to exit) / Σ ComfyUI execution.

On one fresh plain ComfyUI (tests/comfy_harness.py, so cr-batch runs in client
mode), a sweep of N runs (bench_overhead.py's EmptyImage + ImageAddNoise +
ImageBlur, the noise seed varying so every run executes), interleaved with
bench_overhead's queue-everything floor (in-process: no interpreter start, no
plan, no store, no sheet). Also reported for cr-batch:
  head  process start -> ComfyUI starts executing the first run
  tail  ComfyUI finishes the last run -> the process has exited
Execution times come from history timestamps (execution_start -> success).
Target (issue 12): cr-batch ratio <= floor ratio x 1.05.

    .venv/bin/python benchmarks/bench_cli_wall.py [--runs 24] [--size 1536] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bench_overhead import bench_floor, workflow  # noqa: E402
from comfy_harness import ComfyServer  # noqa: E402
from comfy_sweep.client.comfyui import ComfyClient  # noqa: E402
from comfy_sweep.client.http_backend import HttpBackend  # noqa: E402

CR_BATCH = str(Path(sys.executable).parent / "cr-batch")


def write_sweep(folder: Path, size: int, seeds: list[int]) -> Path:
    folder.mkdir(parents=True)
    (folder / "wf.json").write_text(json.dumps(workflow(size)))
    cfg = {
        "workflow_file": "wf.json",
        "sampling_strategy": "grid",
        "seeds_per_sample": 1,
        "output": {"base_dir": str(folder / "out")},
        "parameters": {"seed": {"path": "nodes.2.inputs.seed", "type": "values", "values": seeds}},
    }
    path = folder / "sweep.yaml"
    path.write_text(json.dumps(cfg))  # JSON is YAML
    return path


async def timings(address: str, batch: Path) -> tuple[float, float, float]:
    """(Σ execution, first execution start, last execution end) of the batch's runs."""
    with open(batch / "metadata.csv", newline="", encoding="utf-8") as f:
        ids = [row["prompt_id"] for row in csv.DictReader(f)]
    async with ComfyClient(address) as client:
        found = await HttpBackend(client).poll(ids)
    outs = [found[pid] for pid in ids]
    starts = [o.started_at for o in outs if o.started_at is not None]
    ends = [o.finished_at for o in outs if o.finished_at is not None]
    return sum(o.execution_s or 0.0 for o in outs), min(starts), max(ends)


def bench_cli(address: str, folder: Path, size: int, seeds: list[int]) -> dict[str, float]:
    cfg = write_sweep(folder, size, seeds)
    cmd = [CR_BATCH, str(cfg), "--server", address, "--mode", "client"]
    t0 = time.time()
    res = subprocess.run(cmd, cwd=folder, capture_output=True, text=True)
    t1 = time.time()
    if res.returncode != 0:
        raise SystemExit(f"cr-batch failed ({res.returncode}):\n{res.stderr}")
    batch = Path(res.stdout.splitlines()[0])  # before issue 12 a "next:" line followed
    ex, first, last = asyncio.run(
        timings(address, batch if batch.is_absolute() else folder / batch)
    )
    return {"wall": t1 - t0, "exec": ex, "head": first - t0, "tail": t1 - last}


def floor(address: str, folder: Path, size: int, seeds: list[int]) -> dict[str, float]:
    async def go() -> tuple[float, float]:
        async with ComfyClient(address) as client:
            return await bench_floor(client, workflow(size), seeds, folder)

    wall, ex = asyncio.run(go())
    return {"wall": wall, "exec": ex}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=24)
    ap.add_argument("--size", type=int, default=1536, help="image side; ~0.7 s per run here")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rows: dict[str, list[dict[str, float]]] = {"cr-batch": [], "floor": []}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        server = ComfyServer(tmp / "comfy", link_package=False).start()
        try:
            warm = floor(server.address, tmp / "warm", args.size, [1, 2])
            print(f"one run takes ~{warm['exec'] / 2:.2f}s of execution")
            seed = 1000
            for rep in range(args.repeats):
                for name in rows:
                    seeds = list(range(seed, seed + args.runs))
                    seed += args.runs
                    where = tmp / f"{name}{rep}"
                    fn = bench_cli if name == "cr-batch" else floor
                    r = fn(server.address, where, args.size, seeds)
                    rows[name].append(r)
                    extra = f"  head {r['head']:.2f}s  tail {r['tail']:.2f}s" if "head" in r else ""
                    print(
                        f"{name:8s} rep {rep}: wall {r['wall']:6.1f}s  sum(exec) {r['exec']:6.1f}s"
                        f"  ratio {r['wall'] / r['exec']:.3f}{extra}"
                    )
        finally:
            server.stop()
    med = {n: statistics.median(r["wall"] / r["exec"] for r in rs) for n, rs in rows.items()}
    print("\nmedian wall/sum(exec):")
    for name, value in med.items():
        print(f"  {name:8s} {value:.3f}   ({value / med['floor']:.3f}x the floor)")
    cli = rows["cr-batch"]
    print(f"  cr-batch head {statistics.median(r['head'] for r in cli):.2f}s, "
          f"tail {statistics.median(r['tail'] for r in cli):.2f}s (medians)")  # fmt: skip


if __name__ == "__main__":
    main()
