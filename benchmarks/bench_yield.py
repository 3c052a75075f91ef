"""Yield: how long a prompt the user queues by hand waits while a sweep runs.

Side by side on one fresh ComfyUI (tests/comfy_harness.py, our package loaded):
a sweep of N runs (~0.5-1 s each, window 3) in client mode (cr-batch, this
process's engine over HTTP) and in server mode (the extension's routes, the
in-process engine), each at priority "normal" and "background". While it runs
the user queues K prompts by hand, each at a random moment of a run once our
window is full (one running, two queued). Wait = the prompt's execution_start (ComfyUI's history) minus the
moment it was posted; compared with the median run time of the sweep's runs.
"ours jumped": how many of our runs started between the post and the user's
prompt (the run in progress not counted): 0 means it only waited for the run
in progress. Target: background wait <= 1 run.

    .venv/bin/python benchmarks/bench_yield.py [--runs 12] [--asks 3] [--size 768]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "e2e")]

from comfy_harness import ComfyServer  # noqa: E402
from yield_helpers import (  # noqa: E402
    queue_by_hand,
    slow_prompt,
    started_at,
    sweep_config,
    wait_for,
    wait_started,
    window_full,
    write_config,
)

WINDOW = 3
CR_BATCH = str(Path(sys.executable).parent / "cr-batch")


def run_seconds(server: ComfyServer, pid: str) -> float | None:
    entry: Any = server.get_json(f"/history/{pid}")
    if pid not in entry:
        return None
    msgs = {kind: data for kind, data in entry[pid]["status"]["messages"]}
    if "execution_start" not in msgs or "execution_success" not in msgs:
        return None
    return (msgs["execution_success"]["timestamp"] - msgs["execution_start"]["timestamp"]) / 1e3


def ask_while_running(server: ComfyServer, asks: int, seed: int) -> Asked:
    """Queue ``asks`` prompts by hand, each at a random moment of a run once the
    window is full: their waits, how many of our runs started in between (the
    one in progress excluded), and the sweep's prompt ids seen on the queue."""
    rng = random.Random(seed)
    asked = Asked([], [], set())
    for i in range(asks):
        running, pending = wait_for(lambda: window_full(server, WINDOW - 1), 180, "full window")
        asked.ours |= set(running) | set(pending)
        time.sleep(rng.uniform(0, 0.9) * _median_run(server, asked.ours))
        pid, posted = queue_by_hand(server, seed + i)
        mine = wait_started(server, [pid])[pid]
        asked.waits.append(mine - posted)
        asked.jumped_over.append(_started_between(server, pending, posted, mine))
    return asked


@dataclass
class Asked:
    waits: list[float]
    jumped_over: list[int]  # our runs that started after the post, before the user's
    ours: set[str]


def _median_run(server: ComfyServer, pids: set[str]) -> float:
    times = [t for t in (run_seconds(server, p) for p in pids) if t is not None]
    return statistics.median(times) if times else 0.0


def _started_between(server: ComfyServer, pids: list[str], posted: float, mine: float) -> int:
    starts = [started_at(server, p) for p in pids]
    return sum(1 for s in starts if s is not None and posted < s < mine)


def client_mode(server: ComfyServer, folder: Path, args: argparse.Namespace, prio: str) -> Any:
    cfg = write_config(folder, args.runs, WINDOW, prio, args.size)
    proc = subprocess.Popen(
        [CR_BATCH, str(cfg), "--server", server.address, "--mode", "client"],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        result = ask_while_running(server, args.asks, seed=1000)
    finally:
        _, err = proc.communicate(timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(err)
    return result


def server_mode(server: ComfyServer, folder: Path, args: argparse.Namespace, prio: str) -> Any:
    config = sweep_config(args.runs, WINDOW, prio)
    prompt = slow_prompt(args.size, prefix=f"bench-yield-{prio}")
    made: Any = server.post_json("/comfy-sweep/sweeps", {"prompt": prompt, "config": config})
    result = ask_while_running(server, args.asks, seed=2000)
    wait_for(
        lambda: server.get_json(f"/comfy-sweep/sweeps/{made['id']}")["state"] == "done",
        600,
        "sweep done",
    )
    return result


def measure(server: ComfyServer, folder: Path, args: argparse.Namespace) -> list[tuple[Any, ...]]:
    rows = []
    for mode, fn in (("client", client_mode), ("server", server_mode)):
        for prio in ("normal", "background"):
            sub = folder / f"{mode}-{prio}"
            sub.mkdir()
            asked = fn(server, sub, args, prio)
            run = _median_run(server, asked.ours)
            wait = statistics.median(asked.waits)
            rows.append(
                (mode, prio, run, wait, wait / run, max(asked.waits) / run, asked.jumped_over)
            )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=12)
    ap.add_argument("--asks", type=int, default=3)
    ap.add_argument("--size", type=int, default=768)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-yield-") as tmp:
        server = ComfyServer(Path(tmp) / "comfy").start()
        try:
            rows = measure(server, Path(tmp), args)
        finally:
            server.stop()
    print(f"{args.runs} runs per sweep, window {WINDOW}, {args.asks} prompts queued by hand each")
    print("| mode | priority | median run | median wait | wait ÷ run | worst ÷ run | ours jumped |")
    print("|---|---|---|---|---|---|---|")
    for mode, prio, run, wait, ratio, worst, jumped in rows:
        print(
            f"| {mode} | {prio} | {run:.2f} s | {wait:.2f} s | {ratio:.2f} | {worst:.2f} "
            f"| {jumped} |"
        )


if __name__ == "__main__":
    t0 = time.monotonic()
    main()
    print(f"(benchmark took {time.monotonic() - t0:.0f} s)")
