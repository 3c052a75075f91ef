"""Kill loop, server side: N times, POST a 6-run sweep to the comfy-sweep
routes, SIGKILL ComfyUI at a random moment, restart it on the same folders,
POST resume; then check every run recorded exactly once.

    .venv/bin/python benchmarks/kill_loop_server.py [--iterations 10] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from comfy_harness import ComfyServer  # noqa: E402
from reliability.helpers import API, GRID6, assert_exactly_once, example_prompt, request, wait_until  # noqa: E402


def state(server: ComfyServer, sid: str) -> dict:
    return request(server.url, "GET", f"{API}/sweeps/{sid}?limit=1")[1]


def one(server: ComfyServer, i: int, delay: float) -> str:
    body = {"prompt": example_prompt(768, f"kill-loop-server-{i}/img"), "config": GRID6}
    status, made = request(server.url, "POST", f"{API}/sweeps", body)
    if status != 202:
        return f"create answered {status}: {made}"
    sid = made["id"]
    time.sleep(delay)
    server.kill()
    server.start()
    before = state(server, sid)
    if before["state"] == "interrupted":
        status, answer = request(server.url, "POST", f"{API}/sweeps/{sid}/resume")
        if status != 202:
            return f"resume answered {status}: {answer}"
    elif before["state"] != "done":
        return f"after restart the sweep is {before['state']}"
    wait_until(lambda: state(server, sid)["state"] == "done", 240, "the resumed sweep", step=0.2)
    assert_exactly_once(server.output_dir / "sweeps" / sid)
    return f"ok ({before['done']}/6 done at the kill)"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-delay", type=float, default=3.0, help="kill within this many seconds")
    args = p.parse_args()
    rng = random.Random(args.seed)
    failures = 0
    with tempfile.TemporaryDirectory(prefix="kill-loop-server-") as tmp:
        server = ComfyServer(Path(tmp) / "comfy").start()
        try:
            for i in range(args.iterations):
                delay = rng.uniform(0.0, args.max_delay)
                try:
                    result = one(server, i, delay)
                except (AssertionError, TimeoutError) as err:
                    result = f"NOT exactly once: {err}"
                failures += not result.startswith("ok")
                print(f"iteration {i + 1}: kill after {delay:.2f}s -> {result}", flush=True)
        finally:
            server.stop()
    print(f"{args.iterations - failures}/{args.iterations} exactly once")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
