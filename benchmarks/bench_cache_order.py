"""Cache-aware run order: how often an expensive upstream node executes.

One fresh plain ComfyUI (tests/comfy_harness.py), one grid sweep of 4 upstream
values (ImageBlur sigma on a large canvas: the expensive node) x 4 downstream
seeds (ImageAddNoise after the blur, then a cheap downscale and save), run
through our engine side by side in:
  planned  the plan's cache-aware order (upstream outer, seeds inner, snake)
  sample   plain sampling order (the grid's own order: the seed axis outer)
  shuffled the same runs in a seeded random order
Blur executions are counted from history: a run whose ``execution_cached``
list lacks the blur node executed it. Target: planned = 4 (once per value).

    .venv/bin/python benchmarks/bench_cache_order.py [--size 2048] [--radius 31]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
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
from comfy_sweep.core.engine.engine import run_sweep  # noqa: E402
from comfy_sweep.core.engine.events import new_prompt_id  # noqa: E402
from comfy_sweep.core.plan.build import build_plan  # noqa: E402
from comfy_sweep.core.plan.model import Plan
from comfy_sweep.core.store.runstore import RunStore  # noqa: E402
from comfy_sweep.core.workflow import Workflow  # noqa: E402

BLUR = "2"


def workflow(size: int, radius: int) -> dict[str, Any]:
    return {
        "1": {"class_type": "EmptyImage", "inputs": {"width": size, "height": size,
              "batch_size": 1, "color": 3355443}},
        BLUR: {"class_type": "ImageBlur", "inputs": {"image": ["1", 0],
               "blur_radius": radius, "sigma": 1.0}},
        "3": {"class_type": "ImageAddNoise", "inputs": {"image": [BLUR, 0], "seed": 1,
              "strength": 0.5}},
        "4": {"class_type": "ImageScale", "inputs": {"image": ["3", 0],
              "upscale_method": "nearest-exact", "width": 128, "height": 128,
              "crop": "disabled"}},
        "5": {"class_type": "SaveImage", "inputs": {"images": ["4", 0],
              "filename_prefix": "bench/cache"}},
    }  # fmt: skip


def config(seeds: list[int]) -> dict[str, Any]:
    # The seed axis is declared first, so the grid's own order varies sigma fastest.
    return {
        "workflow_file": None, "sampling_strategy": "grid", "seeds_per_sample": 1,
        "parameters": {
            "seed": {"path": "nodes.3.inputs.seed", "type": "values", "values": seeds},
            "sigma": {"path": f"nodes.{BLUR}.inputs.sigma", "type": "values",
                      "values": [2.0, 4.0, 6.0, 8.0]},
        },
    }  # fmt: skip


def reorder(plan: Plan, order: list[int]) -> Plan:
    """The same runs executed in another order (run ids renumbered)."""
    runs = [plan.runs[i] for i in order]
    renumbered = [
        dataclasses.replace(r, run_id=n, folder=f"{n:04d}") for n, r in enumerate(runs, 1)
    ]
    return dataclasses.replace(plan, runs=renumbered)


async def one_order(
    client: ComfyClient, base: dict[str, Any], plan: Plan, cfg: Any, tmp: Path
) -> tuple[float, float, int, list[float]]:
    wf = Workflow.from_data(base)
    store = RunStore.create(tmp, cfg, wf, plan)
    t0 = time.monotonic()
    with store.lock("bench"):
        summary = await run_sweep(store, HttpBackend(client), window=3, poll_interval=0.1)
    wall = time.monotonic() - t0
    recs = store.records()
    assert all(r.status == "done" for r in recs) and len(recs) == len(plan.runs)
    blurs = sum(1 for r in recs if BLUR not in r.cached_nodes)
    return wall, summary.execution_s, blurs, [r.execution_s or 0.0 for r in recs]


async def blur_cost(client: ComfyClient, base: dict[str, Any]) -> tuple[float, float]:
    """(execution of a run with the blur, of one with the blur cached)."""
    backend = HttpBackend(client)
    times = []
    for seed in (11, 12):
        prompt = {k: {**v, "inputs": dict(v["inputs"])} for k, v in base.items()}
        prompt[BLUR]["inputs"]["sigma"] = 3.3
        prompt["3"]["inputs"]["seed"] = seed
        pid = new_prompt_id()
        await backend.submit(pid, prompt, client_id=None, workflow=None)
        while not (done := await backend.poll([pid])):
            await asyncio.sleep(0.1)
        times.append(done[pid].execution_s or 0.0)
    return times[0], times[1]


async def main_async(args: argparse.Namespace, server: ComfyServer, tmp: Path) -> None:
    base = workflow(args.size, args.radius)
    async with ComfyClient(server.address) as client:
        full, cached = await blur_cost(client, base)
        print(f"one run: {full:.2f}s with the blur executing, {cached:.2f}s with it cached")
        seed = 100
        for name in ("planned", "sample", "shuffled"):
            cfg = parse_config(config(list(range(seed, seed + 4))))
            seed += 4  # fresh seeds: nothing cached across variants but the canvas
            plan = build_plan(cfg, Workflow.from_data(base))
            by_sample = sorted(range(len(plan.runs)), key=lambda i: plan.runs[i].sample_index)
            if name == "sample":
                plan = reorder(plan, by_sample)
            elif name == "shuffled":
                random.Random(5).shuffle(by_sample)
                plan = reorder(plan, by_sample)
            wall, ex, blurs, _ = await one_order(client, base, plan, cfg, tmp / name)
            print(f"{name:8s}: blur executed {blurs:2d}x for 16 runs / 4 values   "
                  f"wall {wall:6.1f}s  sum(exec) {ex:6.1f}s")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--radius", type=int, default=31)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        server = ComfyServer(Path(d) / "comfy", link_package=False).start()
        try:
            asyncio.run(main_async(args, server, Path(d)))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
