"""One sweep over several ComfyUI servers: scaling, placement, failover, driver ceiling.

Starts plain ComfyUI 0.3.75 servers (tests/comfy_harness.py, one torch thread each)
and runs our engine over them, variants interleaved, ``--repeats`` times; medians.

  scaling    the same random sweep (every run executes its blur) on 1 server and on
             2: utilisation = Σ ComfyUI execution ÷ (N × wall). Target ≥ 0.9 for N=2.
  placement  a grid of G expensive upstream values (ImageBlur sigma on a large canvas)
             × S cheap downstream seeds, on 2 servers: blur executions (history's
             cached nodes) with our placement (GroupedRuns), with naive round-robin
             (one shared plan-order queue: whichever server frees up takes the next
             run), and on 1 server in plan order. Target ours ≤ 1.25 × one server.
  failover   2 servers, one SIGKILLed mid-sweep and not restarted: runs lost (not
             recorded done) and runs executed twice (on the killed server and again
             on the other). Target 0 lost; twice ≤ the killed server's window.
  ceiling    runs/s through one cr-batch (a subprocess, client mode) with tiny runs
             (64×64) over 1, 2 and 4 servers; ``--profile`` writes a cProfile of the
             4-server run and prints its top functions.

    .venv/bin/python benchmarks/bench_fleet.py [--parts scaling,placement,failover,ceiling]
        [--repeats 3] [--window 3] [--ceiling-runs 300] [--profile [--profile-servers 4]]
        [--compare FOLDER_WITH_ANOTHER_comfy_sweep]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pstats
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from unittest import mock

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from comfy_harness import ONE_THREAD, ComfyServer  # noqa: E402
from comfy_sweep.client.comfyui import ComfyClient  # noqa: E402
from comfy_sweep.client.fleet import FLEET_RETRY_S  # noqa: E402
from comfy_sweep.client.http_backend import HttpBackend  # noqa: E402
from comfy_sweep.core.config.load import parse_config  # noqa: E402
from comfy_sweep.core.engine import engine as engine_mod  # noqa: E402
from comfy_sweep.core.engine.backend import BackendSlot  # noqa: E402
from comfy_sweep.core.engine.engine import run_sweep  # noqa: E402
from comfy_sweep.core.engine.events import EngineEvent, new_prompt_id  # noqa: E402
from comfy_sweep.core.engine.history import RunOutcome  # noqa: E402
from comfy_sweep.core.engine.placement import FifoRuns, GroupKey  # noqa: E402
from comfy_sweep.core.plan.build import build_plan, prompt_for_run  # noqa: E402
from comfy_sweep.core.store.runstore import RunStore  # noqa: E402
from comfy_sweep.core.workflow import Workflow  # noqa: E402

BLUR = "2"
CR_BATCH = str(Path(sys.executable).parent / "cr-batch")


def workflow(size: int, radius: int, out: int = 128) -> dict[str, Any]:
    return {
        "1": {"class_type": "EmptyImage", "inputs": {"width": size, "height": size,
              "batch_size": 1, "color": 3355443}},
        BLUR: {"class_type": "ImageBlur", "inputs": {"image": ["1", 0],
               "blur_radius": radius, "sigma": 1.0}},
        "3": {"class_type": "ImageAddNoise", "inputs": {"image": [BLUR, 0], "seed": 1,
              "strength": 0.5}},
        "4": {"class_type": "ImageScale", "inputs": {"image": ["3", 0],
              "upscale_method": "nearest-exact", "width": out, "height": out,
              "crop": "disabled"}},
        "5": {"class_type": "SaveImage", "inputs": {"images": ["4", 0],
              "filename_prefix": "bench/fleet"}},
    }  # fmt: skip


def grid(sigmas: list[float], seeds: list[int]) -> dict[str, Any]:
    return {
        "workflow_file": None, "sampling_strategy": "grid", "seeds_per_sample": 1,
        "parameters": {
            "sigma": {"path": f"nodes.{BLUR}.inputs.sigma", "type": "values", "values": sigmas},
            "seed": {"path": "nodes.3.inputs.seed", "type": "values", "values": seeds},
        },
    }  # fmt: skip


class RoundRobin(FifoRuns):
    """Naive placement: one plan-order queue shared by every server."""

    def __init__(self, key: GroupKey) -> None:
        super().__init__()


@contextlib.contextmanager
def placement(name: str) -> Iterator[None]:
    if name == "round-robin":
        with mock.patch.object(engine_mod, "GroupedRuns", RoundRobin):
            yield
    else:
        yield


def start_all(servers: list[ComfyServer]) -> list[ComfyServer]:
    with ThreadPoolExecutor(len(servers)) as pool:
        return list(pool.map(ComfyServer.start, servers))


def servers_in(root: Path, n: int) -> list[ComfyServer]:
    return [ComfyServer(root / f"s{i}", link_package=False, env=ONE_THREAD) for i in range(n)]


class Fresh:
    """Values never used before on these servers: nothing cached across variants."""

    def __init__(self) -> None:
        self.n = 0

    def sigmas(self, g: int) -> list[float]:
        self.n += 1
        # ImageBlur's sigma is 0.1-10: spread over it, shifted a little each time.
        return [round(0.5 + 9.0 * i / g + 0.011 * self.n, 3) for i in range(g)]

    def seeds(self, s: int) -> list[int]:
        self.n += 1
        return list(range(1000 * self.n, 1000 * self.n + s))


async def sweep(
    addresses: list[str],
    cfg_data: dict[str, Any],
    base: dict[str, Any],
    tmp: Path,
    window: int,
    on_event: Callable[[EngineEvent], None] | None = None,
) -> tuple[RunStore, float, float]:
    """(store, wall, Σ execution) of one engine session over ``addresses``."""
    cfg = parse_config(cfg_data)
    wf = Workflow.from_data(base)
    store = RunStore.create(tmp, cfg, wf, build_plan(cfg, wf))
    async with contextlib.AsyncExitStack() as stack:
        slots = []
        for addr in addresses:
            client = await stack.enter_async_context(ComfyClient(addr, retry_window=FLEET_RETRY_S))
            slots.append(BackendSlot(HttpBackend(client), window, addr))
        t0 = time.monotonic()
        with store.lock("bench"):
            summary = await run_sweep(store, slots, poll_interval=0.1, on_event=on_event)
        wall = time.monotonic() - t0
    return store, wall, summary.execution_s


async def floor(
    addresses: list[str], cfg_data: dict[str, Any], base: dict[str, Any]
) -> tuple[float, float]:
    """(wall, Σ execution) with every prompt queued at once, dealt over the servers:
    the best any driver can do (no gap between two runs is ours)."""
    cfg = parse_config(cfg_data)
    wf = Workflow.from_data(base)
    runs = build_plan(cfg, wf).runs
    async with contextlib.AsyncExitStack() as stack:
        backends = [HttpBackend(await stack.enter_async_context(ComfyClient(a))) for a in addresses]
        t0 = time.monotonic()
        ids: list[list[str]] = [[] for _ in backends]
        for i, run in enumerate(runs):
            pid = new_prompt_id()
            ids[i % len(backends)].append(pid)
            await backends[i % len(backends)].submit(
                pid, prompt_for_run(wf, cfg, run), client_id=None, workflow=None
            )
        done: dict[str, RunOutcome] = {}
        while len(done) < len(runs):
            await asyncio.sleep(0.1)
            for backend, mine in zip(backends, ids, strict=True):
                done.update(await backend.poll([p for p in mine if p not in done]))
        wall = time.monotonic() - t0
    return wall, sum(o.execution_s or 0.0 for o in done.values())


def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


# -- scaling and placement ----------------------------------------------------------


async def scaling(servers: list[ComfyServer], args: argparse.Namespace, tmp: Path) -> None:
    base = workflow(args.scale_size, 15)
    fresh = Fresh()
    variants = [("1 server", 1, "engine"), ("1 server, all queued (floor)", 1, "floor"),
                ("2 servers", 2, "engine"), ("2 servers, all queued (floor)", 2, "floor")]  # fmt: skip
    util: dict[str, list[float]] = {v[0]: [] for v in variants}
    walls: dict[str, list[float]] = {v[0]: [] for v in variants}
    for rep in range(args.repeats):
        for name, n, how in variants:
            # Every run its own sigma: each one executes the blur (no cache help).
            data = grid(fresh.sigmas(args.scale_runs), fresh.seeds(1))
            addrs = [s.address for s in servers[:n]]
            if how == "floor":
                wall, ex = await floor(addrs, data, base)
            else:
                where = tmp / f"scale-{rep}-{n}"
                _, wall, ex = await sweep(addrs, data, base, where, args.window)
            util[name].append(ex / (n * wall))
            walls[name].append(wall)
            print(f"  scaling rep {rep} {name}: wall {wall:.1f}s Σexec {ex:.1f}s "
                  f"utilisation {ex / (n * wall):.3f}", flush=True)  # fmt: skip
    print(f"\nscaling, {args.scale_runs} runs (each executes its blur), window {args.window}:")
    print("| servers | wall (median) | utilisation Σexec/(N×wall) (median) | per rep |")
    print("|---|---|---|---|")
    for name in util:
        reps = " ".join(f"{u:.3f}" for u in util[name])
        print(f"| {name} | {med(walls[name]):.1f} s | **{med(util[name]):.3f}** | {reps} |")


async def place(servers: list[ComfyServer], args: argparse.Namespace, tmp: Path) -> None:
    base = workflow(args.blur_size, 31)
    fresh = Fresh()
    variants = [("1 server, plan order", 1, "ours"), ("2 servers, ours", 2, "ours"),
                ("2 servers, round-robin", 2, "round-robin")]  # fmt: skip
    blurs: dict[str, list[float]] = {v[0]: [] for v in variants}
    walls: dict[str, list[float]] = {v[0]: [] for v in variants}
    for rep in range(args.repeats):
        for name, n, how in variants:
            data = grid(fresh.sigmas(args.groups), fresh.seeds(args.per_group))
            addrs = [s.address for s in servers[:n]]
            with placement(how):
                store, wall, _ = await sweep(addrs, data, base, tmp / f"place-{rep}-{n}-{how}",
                                             args.window)  # fmt: skip
            recs = store.records()
            assert all(r.status == "done" for r in recs), [r.error for r in recs]
            count = sum(1 for r in recs if BLUR not in r.cached_nodes)
            blurs[name].append(count)
            walls[name].append(wall)
            print(f"  placement rep {rep} {name}: blur executed {count}x, wall {wall:.1f}s",
                  flush=True)  # fmt: skip
    single = med(blurs["1 server, plan order"])
    runs = args.groups * args.per_group
    print(f"\nplacement, {args.groups} blur values × {args.per_group} seeds = {runs} runs:")
    print("| variant | blur executions (median) | ÷ one server | wall (median) |")
    print("|---|---|---|---|")
    for name, _, _ in variants:
        b = med(blurs[name])
        print(f"| {name} | {b:.0f} | {b / single:.2f}× | {med(walls[name]):.1f} s |")


# -- failover ---------------------------------------------------------------------------


def snapshot(server: ComfyServer) -> set[str]:
    """Prompts the server has executed or is executing (history successes + running)."""
    hist = server.get_json("/history")
    queue = server.get_json("/queue")
    assert isinstance(hist, dict) and isinstance(queue, dict)
    done = {p for p, e in hist.items() if e["status"]["status_str"] == "success"}
    return done | {item[1] for item in queue["queue_running"]}


async def failover_once(
    servers: list[ComfyServer], args: argparse.Namespace, tmp: Path, fresh: Fresh
) -> tuple[int, int, float]:
    """(runs lost, runs executed twice, seconds from the kill to the end)."""
    victim, other = servers
    data = grid(fresh.sigmas(args.fail_runs), fresh.seeds(1))
    loop = asyncio.get_running_loop()
    state: dict[str, Any] = {}

    def kill() -> None:
        state["executed"] = snapshot(victim)
        victim.kill()
        state["killed_at"] = time.monotonic()

    def on_event(ev: EngineEvent) -> None:
        if ev.kind == "done" and ev.done == args.fail_runs // 3 and "task" not in state:
            state["task"] = loop.run_in_executor(None, kill)

    addrs = [victim.address, other.address]
    store, wall, _ = await sweep(addrs, data, workflow(args.scale_size, 15), tmp, args.window,
                                 on_event)  # fmt: skip
    await state["task"]
    recs = store.records()
    lost = len(store.plan.runs) - sum(1 for r in recs if r.status == "done")
    on_victim = {r.prompt_id for r in recs if r.extra.get("server") == victim.address}
    twice = len(state["executed"] - on_victim)  # ran there, yet recorded on the other
    return lost, twice, time.monotonic() - state["killed_at"]


async def failover(root: Path, args: argparse.Namespace) -> None:
    fresh = Fresh()
    results = []
    for rep in range(args.repeats):
        servers = start_all(servers_in(root / f"fail{rep}", 2))
        try:
            res = await failover_once(servers, args, root / f"fail{rep}" / "batch", fresh)
        finally:
            for s in servers:
                s.stop()
        results.append(res)
        print(f"  failover rep {rep}: lost {res[0]}, executed twice {res[1]}, "
              f"{res[2]:.1f}s from kill to end", flush=True)  # fmt: skip
    print(f"\nfailover, {args.fail_runs} runs on 2 servers, one SIGKILLed after "
          f"{args.fail_runs // 3} runs, window {args.window}:")  # fmt: skip
    print("| runs lost (per rep) | executed twice (per rep) | limit (window) |")
    print("|---|---|---|")
    print(f"| {' '.join(str(r[0]) for r in results)} | "
          f"{' '.join(str(r[1]) for r in results)} | {args.window} |")  # fmt: skip


# -- driver ceiling ---------------------------------------------------------------------


def tiny_config(folder: Path, runs: int) -> Path:
    prompt = {
        "1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 64,
              "batch_size": 1, "color": 3355443}},
        "2": {"class_type": "ImageAddNoise", "inputs": {"image": ["1", 0], "seed": 1,
              "strength": 0.5}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0],
              "filename_prefix": "tiny"}},
    }  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "workflow.json").write_text(json.dumps(prompt))
    data = {
        "workflow_file": "workflow.json", "sampling_strategy": "random",
        "num_samples": runs, "sweep_seed": int(time.time()) % 100000,
        "parameters": {"seed": {"path": "nodes.2.inputs.seed", "type": "random_seed"}},
        "output": {"base_dir": "output"},
    }  # fmt: skip
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


PROFILED = """
import cProfile, sys, threading
from comfy_sweep.cli.commands.batch import main
out, sys.argv = sys.argv[1], ["cr-batch", *sys.argv[2:]]
threads = []  # every other thread too (write-behind, the live sheet, DNS): one profile each
plain_run = threading.Thread.run
def profiled_run(self):
    prof = cProfile.Profile()
    threads.append(prof)
    prof.enable()
    try:
        plain_run(self)
    finally:
        prof.disable()
threading.Thread.run = profiled_run
prof = cProfile.Profile()
prof.enable()
try:
    main.main()  # the click command itself: a plain SystemExit, not the console script's os._exit
except SystemExit as done:
    code = done.code
prof.disable()
prof.dump_stats(out)
for i, other in enumerate(threads):
    other.dump_stats(f"{out}.thread{i}")
sys.exit(code)
"""


def server_cpu(servers: list[ComfyServer]) -> float:
    """CPU seconds (user + sys) the servers' processes have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for s in servers:
        assert s.proc is not None
        fields = Path(f"/proc/{s.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def cr_batch(
    cfg: Path,
    servers: list[ComfyServer],
    window: int,
    profile: Path | None,
    pythonpath: str = "",
) -> tuple[float, float, float]:
    """(runs/s of one cr-batch by its own summary: runs ÷ its engine's wall,
    its CPU seconds: user + sys of the whole process, every thread, imports
    included, the servers' CPU seconds meanwhile). ``pythonpath``: a folder whose
    ``comfy_sweep`` is imported instead of this checkout (``--compare``)."""
    args = [str(cfg), "--mode", "client", "--window", str(window)]
    for s in servers:
        args += ["--server", s.address]
    cmd = [CR_BATCH, *args]
    if profile is not None:
        cmd = [sys.executable, "-c", PROFILED, str(profile), *args]
    env = {**os.environ, "COMFY_SWEEP_SHEET_INTERVAL": "5"}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    served = server_cpu(servers)
    res = subprocess.run(cmd, cwd=cfg.parent, capture_output=True, text=True, env=env)
    served = server_cpu(servers) - served
    m = re.search(r"(\d+) done, (\d+) failed of \d+ in ([\d.]+)s", res.stderr)
    if res.returncode != 0 or m is None:
        raise RuntimeError(res.stderr[-2000:])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    runs = int(m.group(1))
    return runs / float(m.group(3)), cpu, served


def print_profile(prof: Path) -> None:
    print("\ncProfile of cr-batch (its main thread), by own time:")
    pstats.Stats(str(prof)).sort_stats("tottime").print_stats(25)
    print("\ncProfile of cr-batch (its main thread), by cumulative time:")
    pstats.Stats(str(prof)).sort_stats("cumulative").print_stats(45)
    others = sorted(prof.parent.glob(prof.name + ".thread*"))
    if others:
        stats = pstats.Stats(*map(str, others))
        stats.files = [f"{len(others)} thread profiles"]  # not one header line per thread
        print(f"\ncProfile of cr-batch's {len(others)} other threads, by own time:")
        stats.sort_stats("tottime").print_stats(25)
        print(f"\ncProfile of cr-batch's {len(others)} other threads, by cumulative time:")
        stats.sort_stats("cumulative").print_stats(25)


class Ceiling:
    """Figures per (servers, variant), one list entry per repeat."""

    def __init__(self, args: argparse.Namespace, root: Path, servers: list[ComfyServer]) -> None:
        self.args, self.root, self.servers = args, root, servers
        self.variants = {"this checkout": ""}
        if args.compare:
            self.variants[f"--compare {args.compare}"] = str(Path(args.compare).resolve())
        counts = [int(n) for n in args.ceiling_servers.split(",")]
        self.keys = [(n, v) for n in counts for v in self.variants]
        self.figures: dict[str, dict[tuple[int, str], list[float]]] = {
            k: {key: [] for key in self.keys} for k in ("rate", "cpu", "extra", "servers")
        }

    def measure(self, rep: int, n: int, variant: str) -> None:
        runs, window, path = self.args.ceiling_runs, self.args.tiny_window, self.variants[variant]
        few = max(1, runs // 10)
        tag = f"{rep}-{n}-{list(self.variants).index(variant)}"
        cfg = tiny_config(self.root / f"tiny-{tag}", runs)
        rate, cpu, served = cr_batch(cfg, self.servers[:n], window, None, path)
        # The same sweep with few runs: what does not grow with runs (imports,
        # connecting, the final sheet) cancels out of the difference.
        small = tiny_config(self.root / f"tiny-{tag}-small", few)
        _, cpu_few, _ = cr_batch(small, self.servers[:n], window, None, path)
        f = self.figures
        f["rate"][n, variant].append(rate)
        f["cpu"][n, variant].append(cpu * 1000 / runs)
        f["extra"][n, variant].append((cpu - cpu_few) * 1000 / (runs - few))
        f["servers"][n, variant].append(served * 1000 / runs)
        print(f"  ceiling rep {rep} {n} server(s), {variant}: {rate:.1f} runs/s, driver CPU "
              f"{cpu * 1000 / runs:.1f} ms/run, {f['extra'][n, variant][-1]:.2f} per extra run "
              f"({few} runs: {cpu_few:.2f}s), servers {served * 1000 / runs:.1f} ms/run",
              flush=True)  # fmt: skip

    def profile(self) -> None:
        n, runs = self.args.profile_servers, self.args.ceiling_runs
        for i, (variant, path) in enumerate(self.variants.items()):
            prof = self.root / f"cr-batch-{n}-{i}.prof"
            cfg = tiny_config(self.root / f"tiny-prof-{i}", runs)
            cr_batch(cfg, self.servers[:n], self.args.tiny_window, prof, path)
            print(f"\n=== {variant}, {n} servers")
            print_profile(prof)
            if self.args.keep_profile:
                for made in prof.parent.glob(prof.name + "*"):
                    keep = self.args.keep_profile + made.name.replace(prof.name, f".{i}", 1)
                    Path(keep).write_bytes(made.read_bytes())

    def table(self) -> None:
        f = self.figures
        print(f"\ndriver ceiling, {self.args.ceiling_runs} tiny runs (64×64) per cr-batch, "
              f"window {self.args.tiny_window}; medians:")  # fmt: skip
        print("| servers | variant | runs/s | per rep | driver CPU ms/run, all "
              "| driver CPU ms per extra run → ceiling | servers' CPU ms/run |")  # fmt: skip
        print("|---|---|---|---|---|---|---|")
        for key in self.keys:
            reps = " ".join(f"{x:.1f}" for x in f["rate"][key])
            m = med(f["extra"][key])
            print(f"| {key[0]} | {key[1]} | **{med(f['rate'][key]):.1f}** | {reps} "
                  f"| {med(f['cpu'][key]):.1f} | {m:.2f} → {1000 / m:.0f} runs/s "
                  f"| {med(f['servers'][key]):.1f} |")  # fmt: skip


def ceiling(root: Path, args: argparse.Namespace) -> None:
    counts = [int(n) for n in args.ceiling_servers.split(",")]
    servers = start_all(servers_in(root / "tiny", max(counts)))
    bench = Ceiling(args, root, servers)
    try:
        for rep in range(args.repeats):
            for n, variant in bench.keys:  # interleaved: the machine's load hits all alike
                bench.measure(rep, n, variant)
        if args.profile:
            bench.profile()
    finally:
        for s in servers:
            s.stop()
    bench.table()


async def main_async(args: argparse.Namespace, root: Path) -> None:
    parts = set(args.parts.split(","))
    if parts & {"scaling", "placement"}:
        servers = start_all(servers_in(root / "pair", 2))
        try:
            if "scaling" in parts:
                await scaling(servers, args, root)
            if "placement" in parts:
                await place(servers, args, root)
        finally:
            for s in servers:
                s.stop()
    if "failover" in parts:
        await failover(root, args)
    if "ceiling" in parts:
        ceiling(root, args)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--parts", default="scaling,placement,failover,ceiling")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--window", type=int, default=3)
    ap.add_argument("--scale-size", type=int, default=768)
    ap.add_argument("--scale-runs", type=int, default=16)
    ap.add_argument("--blur-size", type=int, default=1536)
    ap.add_argument("--groups", type=int, default=4)
    ap.add_argument("--per-group", type=int, default=6)
    ap.add_argument("--fail-runs", type=int, default=24)
    ap.add_argument("--ceiling-runs", type=int, default=300)
    ap.add_argument("--tiny-window", type=int, default=3)
    ap.add_argument("--ceiling-servers", default="1,2,4")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--profile-servers", type=int, default=4)
    ap.add_argument("--keep-profile", default="", help="copy the .prof files to this prefix")
    ap.add_argument(
        "--compare",
        default="",
        help="ceiling: also run, interleaved, the comfy_sweep package found in this folder "
        "(e.g. one holding a `git archive main` as comfy_sweep/)",
    )
    args = ap.parse_args()
    # A plain kill (timeout, Ctrl-C) still stops the servers: they run in their own sessions.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory() as d:
        asyncio.run(main_async(args, Path(d)))


if __name__ == "__main__":
    main()
