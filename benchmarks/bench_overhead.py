"""Overhead of keeping ComfyUI busy: wall time / sum of ComfyUI execution time.

Side by side on one fresh ComfyUI (tests/comfy_harness.py), a sweep of N runs of
~1 s each (a large EmptyImage + ImageAddNoise + ImageBlur; the noise seed varies
so every run executes the expensive nodes):
  engine  our run_sweep + HttpBackend (window of 3, downloads while the next runs)
  floor   a trivial client that queues everything at once, then downloads
  serial  the original suite: submit, poll every 2 s, download, next
Execution times come from history timestamps (execution_start -> success).

    .venv/bin/python benchmarks/bench_overhead.py [--runs 24] [--size 1536] [--repeats 1]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from comfy_harness import ComfyServer  # noqa: E402
from comfy_sweep.client.comfyui import ComfyClient  # noqa: E402
from comfy_sweep.client.http_backend import HttpBackend  # noqa: E402
from comfy_sweep.core.config.load import parse_config  # noqa: E402
from comfy_sweep.core.engine.events import new_prompt_id  # noqa: E402
from comfy_sweep.core.plan.build import build_plan  # noqa: E402
from comfy_sweep.core.store.runstore import RunStore  # noqa: E402
from comfy_sweep.core.sweep.session import SessionOptions, SweepSession  # noqa: E402
from comfy_sweep.core.workflow import Workflow  # noqa: E402
from comfy_sweep.media.live_scoring import scorer_for  # noqa: E402


def workflow(size: int, radius: int = 12) -> dict[str, Any]:
    return {
        "1": {
            "class_type": "EmptyImage",
            "inputs": {"width": size, "height": size, "batch_size": 1, "color": 3355443},
        },
        "2": {
            "class_type": "ImageAddNoise",
            "inputs": {"image": ["1", 0], "seed": 1, "strength": 0.5},
        },
        "3": {
            "class_type": "ImageBlur",
            "inputs": {"image": ["2", 0], "blur_radius": radius, "sigma": 3.0},
        },
        "4": {
            "class_type": "SaveImage",
            "inputs": {"images": ["3", 0], "filename_prefix": "bench/o"},
        },
    }


def prompt_with_seed(base: dict[str, Any], seed: int) -> dict[str, Any]:
    import copy

    p = copy.deepcopy(base)
    p["2"]["inputs"]["seed"] = seed
    return p


async def exec_sum(client: ComfyClient, ids: list[str]) -> float:
    backend = HttpBackend(client)
    total = 0.0
    for pid in ids:
        out = (await backend.poll([pid]))[pid]
        total += out.execution_s or 0.0
    return total


# Three built-in metrics computed for every run as it finishes (issue 13: the
# sweep must not slow down by more than 2 %).
METRICS = {"sharp": {"type": "sharpness"}, "color": {"type": "colorfulness"},
           "ent": {"type": "entropy"}}  # fmt: skip


async def bench_engine(
    client: ComfyClient,
    base: dict[str, Any],
    seeds: list[int],
    tmp: Path,
    metrics: dict[str, Any] | None = None,
) -> tuple[float, float]:
    """The sweep session as cr-batch runs it (engine, store, live scorer if any)."""
    cfg = parse_config({
        "workflow_file": None, "sampling_strategy": "grid", "seeds_per_sample": 1,
        "parameters": {"seed": {"path": "nodes.2.inputs.seed", "type": "values", "values": seeds}},
        **({"metrics": metrics} if metrics else {}),
    })  # fmt: skip
    wf = Workflow.from_data(base)
    store = RunStore.create(tmp, cfg, wf, build_plan(cfg, wf))
    options = SessionOptions(holder="bench", window=3, poll_interval=0.25)
    t0 = time.monotonic()
    session = SweepSession(store, HttpBackend(client), options, scorer=scorer_for(store))
    summary = await session.run()
    return time.monotonic() - t0, summary.execution_s


async def bench_engine_metrics(
    client: ComfyClient, base: dict[str, Any], seeds: list[int], tmp: Path
) -> tuple[float, float]:
    return await bench_engine(client, base, seeds, tmp, METRICS)


async def bench_floor(
    client: ComfyClient, base: dict[str, Any], seeds: list[int], tmp: Path
) -> tuple[float, float]:
    backend = HttpBackend(client)
    t0 = time.monotonic()
    ids = [new_prompt_id() for _ in seeds]
    for pid, seed in zip(ids, seeds, strict=True):
        await backend.submit(pid, prompt_with_seed(base, seed), client_id=None, workflow=None)
    for pid in ids:
        while not (done := await backend.poll([pid])):
            await asyncio.sleep(0.1)
        await backend.collect(done[pid], tmp / pid)
    return time.monotonic() - t0, await exec_sum(client, ids)


async def bench_serial(
    client: ComfyClient, base: dict[str, Any], seeds: list[int], tmp: Path
) -> tuple[float, float]:
    backend = HttpBackend(client)
    t0 = time.monotonic()
    ids = []
    for seed in seeds:
        pid = new_prompt_id()
        ids.append(pid)
        await backend.submit(pid, prompt_with_seed(base, seed), client_id=None, workflow=None)
        while not (done := await backend.poll([pid])):
            await asyncio.sleep(2.0)
        await backend.collect(done[pid], tmp / pid)
    return time.monotonic() - t0, await exec_sum(client, ids)


async def main_async(args: argparse.Namespace, server: ComfyServer, tmp: Path) -> None:
    base = workflow(args.size)
    benches = {"engine": bench_engine, "floor": bench_floor, "serial": bench_serial}
    if args.metrics:
        benches = {"engine": bench_engine, "metrics": bench_engine_metrics, "floor": bench_floor}
    ratios: dict[str, list[float]] = {name: [] for name in benches}
    seed = 1000
    async with ComfyClient(server.address) as client:
        wall, ex = await bench_floor(client, base, [1, 2], tmp / "warm")  # warm-up
        print(f"one run takes ~{ex / 2:.2f}s of execution")
        for rep in range(args.repeats):
            for name, fn in benches.items():
                seeds = list(range(seed, seed + args.runs))
                seed += args.runs
                wall, ex = await fn(client, base, seeds, tmp / f"{name}{rep}")
                ratios[name].append(wall / ex)
                print(
                    f"{name:7s} rep {rep}: wall {wall:6.1f}s  sum(exec) {ex:6.1f}s  ratio {wall / ex:.3f}"
                )
    floor = statistics.median(ratios["floor"])
    print("\nmedian wall/sum(exec):")
    for name, vals in ratios.items():
        med = statistics.median(vals)
        print(f"  {name:7s} {med:.3f}   ({med / floor:.3f}x the floor)")
    if "metrics" in ratios:
        ratio = statistics.median(ratios["metrics"]) / statistics.median(ratios["engine"])
        print(f"\nwith three metrics ÷ without: {ratio:.3f} (target ≤ 1.02)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=24)
    ap.add_argument(
        "--size", type=int, default=1536, help="image side; pick it so a run takes ~1 s"
    )
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument(
        "--metrics",
        action="store_true",
        help="compare the engine with and without three built-in metrics (no serial loop)",
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        server = ComfyServer(Path(d) / "comfy", link_package=False).start()
        try:
            asyncio.run(main_async(args, server, Path(d)))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
