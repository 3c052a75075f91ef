"""Ray workers against plain servers: utilisation and Ray's start-up cost.

The same sweep (N runs of ~0.5 s: a large EmptyImage + ImageAddNoise + ImageBlur,
the noise seed varies so every run executes) through ``cr-batch``, side by side:
  servers  two plain ComfyUIs (tests/comfy_harness.py, started once, before timing)
           given as ``--server A --server B --mode client``
  ray      ``ray: {address: local, cpu: true, workers: 2}``: the driver starts a
           local Ray cluster, two actors, each starting its own ComfyUI
Both sides get one torch thread per ComfyUI (OMP_NUM_THREADS=1). Rounds alternate;
each round has its own seeds so no run is cached from an earlier one.

Utilisation = Σ ComfyUI execution (per worker, history timestamps) ÷ (slots × wall),
wall being the engine's (from the first submission to the last run recorded).
Start-up = from launching cr-batch to its "sweeping over" line: for Ray this holds
ray.init (the "starting Ray workers" line) and the workers ready (their ComfyUIs up).

    .venv/bin/python benchmarks/bench_ray.py [--runs 32] [--size 1024] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import yaml  # noqa: E402
from comfy_harness import ComfyServer, comfyui_dir, comfyui_python  # noqa: E402

BIN = Path(sys.executable).parent
PER_SERVER = re.compile(r"^\s+(\S+): (\d+) runs, ([\d.]+)s of execution")
SUMMARY = re.compile(r"(\d+) done, (\d+) failed of (\d+) in ([\d.]+)s")
ENV = dict(
    os.environ, OMP_NUM_THREADS="1", RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="disabled",
    RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0",  # everything on loopback
)  # fmt: skip


def workflow(size: int) -> dict[str, Any]:
    return {
        "1": {"class_type": "EmptyImage",
              "inputs": {"width": size, "height": size, "batch_size": 1, "color": 3355443}},
        "2": {"class_type": "ImageAddNoise", "inputs": {"image": ["1", 0], "seed": 1,
              "strength": 0.5}},
        "3": {"class_type": "ImageBlur", "inputs": {"image": ["2", 0], "blur_radius": 8,
              "sigma": 3.0}},
        "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0],
              "filename_prefix": "bench/o"}},
    }  # fmt: skip


def write_config(tmp: Path, args: argparse.Namespace, first_seed: int, ray: bool) -> Path:
    (tmp / "wf.json").write_text(json.dumps(workflow(args.size)), encoding="utf-8")
    seeds = list(range(first_seed, first_seed + args.runs))
    cfg: dict[str, Any] = {
        "workflow_file": "wf.json",
        "sampling_strategy": "grid",
        "parameters": {"seed": {"path": "nodes.2.inputs.seed", "values": seeds}},
        "comfyui": {"queue_window": 2},
    }
    if ray:
        cfg["ray"] = {
            "address": "local", "cpu": True, "workers": 2, "window": 2,
            "comfyui": {"dir": str(comfyui_dir()), "python": str(comfyui_python()),
                        "args": ["--cpu"]},
        }  # fmt: skip
    path = tmp / "sweep.yaml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


def run(cmd: list[str], cwd: Path) -> dict[str, float]:
    """cr-batch, its stderr lines timestamped; returns the figures of one round."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, env=ENV, text=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)  # fmt: skip
    assert proc.stderr is not None
    marks: dict[str, float] = {}
    execution: list[float] = []
    out: dict[str, float] = {}
    lines = []
    for line in proc.stderr:
        now = time.monotonic() - t0
        lines.append(line)
        if line.startswith("starting Ray workers"):
            marks["ray_init"] = now
        elif line.startswith("sweeping over"):
            marks["ready"] = now
        elif m := PER_SERVER.match(line):
            execution.append(float(m.group(3)))
        elif m := SUMMARY.search(line):
            out["done"], out["wall"] = float(m.group(1)), float(m.group(4))
    if proc.wait() != 0 or "wall" not in out:
        raise RuntimeError("cr-batch failed:\n" + "".join(lines[-30:]))
    out["exec"] = sum(execution)
    out["util"] = out["exec"] / (2 * out["wall"])
    out["startup"] = marks["ready"]
    out["ray_init"] = marks.get("ray_init", 0.0)  # from launch: holds Python's imports too
    out["workers"] = marks["ready"] - marks["ray_init"] if "ray_init" in marks else 0.0
    out["total"] = time.monotonic() - t0
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=32)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    # SIGTERM stops the servers too (the finally below) instead of leaving them behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    os.environ.update(OMP_NUM_THREADS="1")  # the plain servers inherit it
    results: dict[str, list[dict[str, float]]] = {"servers": [], "ray": []}
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as tmp:
        root = Path(tmp)
        t = time.monotonic()
        servers = [ComfyServer(root / f"s{i}", link_package=False).start() for i in range(2)]
        cold = (time.monotonic() - t) / 2
        try:
            for rep in range(args.repeats):
                for kind in ("servers", "ray"):
                    cwd = root / f"{kind}{rep}"
                    cwd.mkdir()
                    seed = 1_000_000 * (rep + 1) + (0 if kind == "servers" else 500_000)
                    cfg = write_config(cwd, args, seed, ray=kind == "ray")
                    cmd = [str(BIN / "cr-batch"), str(cfg)]
                    if kind == "servers":
                        cmd += ["--mode", "client"]
                        for s in servers:
                            cmd += ["--server", s.address]
                    results[kind].append(run(cmd, cwd))
                    print(kind, rep, {k: round(v, 3) for k, v in results[kind][-1].items()},
                          flush=True)  # fmt: skip
        finally:
            for s in servers:
                s.stop()
    report(results, cold)


def report(results: dict[str, list[dict[str, float]]], cold: float) -> None:
    def med(kind: str, key: str) -> float:
        return statistics.median(r[key] for r in results[kind])

    print(f"\none plain ComfyUI cold start (not timed in 'servers'): {cold:.1f}s")
    print(
        "| | utilisation | engine wall | Σ execution | start-up to first submit "
        "| of which ray.init | workers ready |"
    )
    print("|---|---|---|---|---|---|---|")
    for kind in ("servers", "ray"):
        print(f"| {kind} | {med(kind, 'util'):.3f} | {med(kind, 'wall'):.1f}s | "
              f"{med(kind, 'exec'):.1f}s | {med(kind, 'startup'):.1f}s | "
              f"{med(kind, 'ray_init'):.1f}s | {med(kind, 'workers'):.1f}s |")  # fmt: skip
    extra = med("ray", "startup") - med("servers", "startup")
    print(f"Ray start-up cost over plain servers (median): {extra:.1f}s")


if __name__ == "__main__":
    main()
