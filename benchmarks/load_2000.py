"""Load: a sweep of N runs (default 2,000) of a fast workflow (EmptyImage 64x64
-> ImageAddNoise -> SaveImage), through the server routes and through cr-batch
in client mode, on one fresh ComfyUI (tests/comfy_harness.py).

While it runs, a sampler (every 0.2 s) records ComfyUI's queue length
(GET /queue: running + pending), the RSS of ComfyUI's process and of the
cr-batch process (psutil), and how long GET /comfy-sweep/sweeps and the
contact sheet take. At the end: every run recorded exactly once.
Reports runs/s, peak queue length (must stay <= the window, + 1 running),
peak/first RSS, and the slowest list/sheet response.

    .venv/bin/python benchmarks/load_2000.py [--runs 2000] [--mode both|server|cli] [--window 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from comfy_harness import ComfyServer  # noqa: E402
from reliability.helpers import assert_exactly_once, request  # noqa: E402

CR_BATCH = str(Path(sys.executable).parent / "cr-batch")
CR_SHEET = str(Path(sys.executable).parent / "cr-contact-sheet")


def fast_prompt(prefix: str) -> dict[str, Any]:
    return {
        "1": {
            "class_type": "EmptyImage",
            "inputs": {"width": 64, "height": 64, "batch_size": 1, "color": 0},
        },
        "2": {
            "class_type": "ImageAddNoise",
            "inputs": {"image": ["1", 0], "seed": 1, "strength": 0.5},
        },
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": prefix}},
    }


def fast_config(runs: int, window: int) -> dict[str, Any]:
    return {
        "sampling_strategy": "random",
        "num_samples": runs,
        "sweep_seed": 7,
        "parameters": {
            "strength": {
                "path": "nodes.2.inputs.strength",
                "type": "continuous",
                "min": 0.0,
                "max": 1.0,
            }
        },
        "comfyui": {"queue_window": window},
    }


def timed_get(url: str) -> float:
    t = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as r:
        r.read()
    return time.perf_counter() - t


class Sampler(threading.Thread):
    """Samples queue length, RSS and route latency until stopped."""

    def __init__(self, server: ComfyServer, cli_pid: int | None, sheet_url: str | None) -> None:
        super().__init__(daemon=True)
        self.server, self.cli_pid, self.sheet_url = server, cli_pid, sheet_url
        self.stop_flag = threading.Event()
        self.queue: list[int] = []
        self.server_rss: list[int] = []
        self.cli_rss: list[int] = []
        self.list_s: list[float] = []
        self.sheet_s: list[float] = []
        self.queue_s: list[float] = []

    def run(self) -> None:
        comfy = psutil.Process(self.server.proc.pid) if self.server.proc else None
        cli = psutil.Process(self.cli_pid) if self.cli_pid else None
        while not self.stop_flag.wait(0.2):
            try:
                t = time.perf_counter()
                q = self.server.get_json("/queue")
                self.queue_s.append(time.perf_counter() - t)
                assert isinstance(q, dict)
                self.queue.append(len(q["queue_running"]) + len(q["queue_pending"]))
                if comfy:
                    self.server_rss.append(comfy.memory_info().rss)
                if cli and cli.is_running():
                    self.cli_rss.append(cli.memory_info().rss)
                self.list_s.append(timed_get(self.server.url + "/comfy-sweep/sweeps"))
                if self.sheet_url:
                    self.sheet_s.append(timed_get(self.sheet_url))
            except (OSError, psutil.Error, AssertionError):
                continue

    def report(self) -> dict[str, Any]:
        def mb(xs: list[int]) -> dict[str, float] | None:
            if not xs:
                return None
            tenth = max(1, len(xs) // 10)
            return {"first_10pct_mb": round(max(xs[:tenth]) / 2**20, 1), "peak_mb": round(max(xs) / 2**20, 1),
                    "last_10pct_mb": round(max(xs[-tenth:]) / 2**20, 1)}  # fmt: skip

        return {
            "samples": len(self.queue),
            "peak_queue": max(self.queue, default=0),
            "comfyui_rss": mb(self.server_rss),
            "cli_rss": mb(self.cli_rss),
            "list_route_s": pct(self.list_s),
            "comfy_queue_route_s": pct(self.queue_s),
            "sheet_s": pct(self.sheet_s),
        }


def pct(xs: list[float]) -> dict[str, float] | None:
    """Median, 95th percentile and max of response times (seconds)."""
    if not xs:
        return None
    ys = sorted(xs)
    return {
        "p50": round(ys[len(ys) // 2], 3),
        "p95": round(ys[int(len(ys) * 0.95)], 3),
        "max": round(ys[-1], 3),
    }


def server_mode(server: ComfyServer, runs: int, window: int) -> dict[str, Any]:
    body = {"prompt": fast_prompt("load-server/img"), "config": fast_config(runs, window)}
    status, made = request(server.url, "POST", "/comfy-sweep/sweeps", body)
    assert status == 202, made
    sid = made["id"]
    sampler = Sampler(
        server, None, f"{server.url}/comfy-sweep/sweeps/{sid}/files/contact_sheet.html"
    )
    t0 = time.monotonic()
    sampler.start()
    while True:
        status, s = request(server.url, "GET", f"/comfy-sweep/sweeps/{sid}?limit=1")
        if s["state"] != "running" and s["state"] != "queued":
            break
        time.sleep(1)
    wall = time.monotonic() - t0
    sampler.stop_flag.set()
    sampler.join()
    assert s["state"] == "done", s
    assert_exactly_once(server.output_dir / "sweeps" / sid)
    return {
        "mode": "server",
        "runs": runs,
        "wall_s": round(wall, 1),
        "runs_per_s": round(runs / wall, 2),
        **sampler.report(),
    }


def cli_mode(server: ComfyServer, runs: int, window: int, work: Path) -> dict[str, Any]:
    (work / "wf.json").write_text(json.dumps(fast_prompt("load-cli/img")))
    cfg = {
        "workflow_file": "wf.json",
        **fast_config(runs, window),
        "output": {"base_dir": str(work / "out")},
    }
    (work / "load.yaml").write_text(yaml.safe_dump(cfg))
    t0 = time.monotonic()
    proc = subprocess.Popen([CR_BATCH, str(work / "load.yaml"), "--server", server.address, "--mode", "client"],
                            cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    sampler = Sampler(server, proc.pid, None)
    sampler.start()
    _, err = proc.communicate()
    wall = time.monotonic() - t0
    sampler.stop_flag.set()
    sampler.join()
    assert proc.returncode == 0, err[-2000:]
    (batch,) = [p for p in (work / "out").iterdir() if p.is_dir()]
    total = len(assert_exactly_once(batch))  # a few samples may merge after rounding
    t = time.monotonic()
    subprocess.run([CR_SHEET, str(batch)], check=True, capture_output=True)
    sheet_s = time.monotonic() - t
    return {"mode": "cli", "runs": total, "wall_s": round(wall, 1), "runs_per_s": round(total / wall, 2),
            **sampler.report(), "contact_sheet_render_s": round(sheet_s, 2)}  # fmt: skip


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=2000)
    p.add_argument("--window", type=int, default=3)
    p.add_argument("--mode", choices=["both", "server", "cli"], default="both")
    args = p.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="load-") as tmp:
        server = ComfyServer(Path(tmp) / "comfy").start()
        try:
            if args.mode in ("both", "server"):
                results.append(server_mode(server, args.runs, args.window))
                print(json.dumps(results[-1]), flush=True)
            if args.mode in ("both", "cli"):
                results.append(cli_mode(server, args.runs, args.window, Path(tmp)))
                print(json.dumps(results[-1]), flush=True)
        finally:
            server.stop()
    ok = all(r["peak_queue"] <= args.window + 1 for r in results)
    print(f"queue bound (window {args.window} + 1 running): {'ok' if ok else 'EXCEEDED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
