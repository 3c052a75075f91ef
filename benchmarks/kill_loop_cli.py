"""Kill loop, client side: N times, start cr-batch (client mode) on a 6-run
sweep, SIGKILL it at a random moment, rerun until it exits 0; then check
every run recorded exactly once and each run's prompt executed once by
ComfyUI (its /history is the witness).

    .venv/bin/python benchmarks/kill_loop_cli.py [--iterations 10] [--seed 1]
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
from reliability.cli_helpers import kill_batch, run_batch, start_batch, write_config  # noqa: E402
from reliability.helpers import assert_exactly_once, history_runs, queue_empty, wait_until  # noqa: E402


def one(server: ComfyServer, work: Path, i: int, delay: float) -> str:
    prefix = f"kill-loop-cli-{i}/img"
    config = write_config(work / f"it{i}", prefix, size=512)
    proc = start_batch(config, server.address)
    time.sleep(delay)
    kill_batch(proc)
    res = run_batch(config, server.address)
    if res.returncode != 0:
        return f"rerun exit {res.returncode}: {res.stderr.strip()[-300:]}"
    (batch,) = [p for p in (config.parent / "output").iterdir() if p.is_dir()]
    assert_exactly_once(batch)
    wait_until(lambda: queue_empty(server.url), 60, "queue to drain")
    executed = history_runs(server.get_json("/history"), prefix)  # type: ignore[arg-type]
    if sum(executed.values()) != 6 or set(executed.values()) != {1}:
        return f"ComfyUI executed {dict(executed)}"
    return "ok"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-delay", type=float, default=4.0, help="kill within this many seconds")
    args = p.parse_args()
    rng = random.Random(args.seed)
    failures = 0
    with tempfile.TemporaryDirectory(prefix="kill-loop-cli-") as tmp:
        server = ComfyServer(Path(tmp) / "comfy").start()
        try:
            for i in range(args.iterations):
                delay = rng.uniform(0.3, args.max_delay)
                try:
                    result = one(server, Path(tmp), i, delay)
                except AssertionError as err:
                    result = f"NOT exactly once: {err}"
                failures += result != "ok"
                print(f"iteration {i + 1}: kill after {delay:.2f}s -> {result}", flush=True)
        finally:
            server.stop()
    print(f"{args.iterations - failures}/{args.iterations} exactly once, no prompt run twice")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
