"""How fast the CLI answers: median wall time of N runs of each command's --help,
side by side with ``python -c "import click"`` (the floor: a click CLI cannot
start faster than its interpreter plus click), reported as ratios to that floor.

Runs are interleaved (one of each command per round) so a busy machine slows
them alike; the first round is a warm-up and not counted.

    .venv/bin/python benchmarks/bench_cli_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def commands() -> dict[str, list[str]]:
    found = {
        "python -c 'import click'": [sys.executable, "-c", "import click"],
        "cr-batch --help": [str(BIN / "cr-batch"), "--help"],
        "cr-run --help": [str(BIN / "cr-run"), "--help"],
        "comfy-sweep --help": [str(BIN / "comfy-sweep"), "--help"],
        "comfy-sweep batch --help": [str(BIN / "comfy-sweep"), "batch", "--help"],
    }
    return {name: cmd for name, cmd in found.items() if shutil.which(cmd[0])}


def once(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    cmds = commands()
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for rnd in range(args.runs + 1):
        for name, cmd in cmds.items():
            took = once(cmd)
            if rnd:  # round 0 warms the page cache
                times[name].append(took)
    floor = statistics.median(times["python -c 'import click'"])
    print(f"median of {args.runs} runs (interleaved):")
    for name, vals in times.items():
        med = statistics.median(vals)
        print(f"  {name:28s} {med * 1000:7.0f} ms   {med / floor:5.2f}x import click")


if __name__ == "__main__":
    main()
