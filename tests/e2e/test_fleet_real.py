"""One sweep over several real ComfyUI servers (cr-batch with --server repeated),
each started with one torch thread so two run side by side on a small machine.

- spread over two servers: every run recorded once, a ``server`` column, each
  server's /history holds exactly the prompts recorded against it;
- kill -9 one server mid-sweep: the sweep finishes on the other, exactly once
  (runs executed twice ≤ the killed server's window), and the restarted server
  rejoins (the engine's probe) and runs again;
- a server without a node type of the workflow is left out with one line;
- Ctrl-C cancels our prompts on every server (their queues are empty after);
- a cr-batch killed with prompts queued on both servers: the rerun adopts them.

Times on the shared 2-core dev machine: the module's two servers start in ~22 s
(side by side), then spread ~10 s, missing node ~7 s, Ctrl-C ~6 s, resume ~16 s;
the kill -9 test starts its own two servers and takes ~60 s. ~125 s in all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from comfy_harness import ONE_THREAD, ComfyServer
from test_cli_batch import assert_batch_complete, metadata_rows
from test_cli_interrupt import slow_prompt, wait_for, write_slow_config

pytestmark = pytest.mark.comfy
CR_BATCH = str(Path(sys.executable).parent / "cr-batch")
ONLY_ON_A = "FleetOnlyOnA"
# A node pack only server A loads: the workflow that uses it cannot run on B.
NODE_PACK = f'''
class {ONLY_ON_A}:
    @classmethod
    def INPUT_TYPES(cls):
        return {{"required": {{"image": ("IMAGE",)}}}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "run"
    CATEGORY = "testing"

    def run(self, image):
        return (image,)


NODE_CLASS_MAPPINGS = {{"{ONLY_ON_A}": {ONLY_ON_A}}}
'''


def prompt(size: int, radius: int = 15, only_on_a: bool = False) -> dict[str, Any]:
    """A blur of a noisy canvas: the blur (node 3) is the upstream parameter."""
    wf = slow_prompt(size, prefix="fleet", radius=radius)
    if only_on_a:
        wf["5"] = {"class_type": ONLY_ON_A, "inputs": {"image": ["3", 0]}}
        wf["4"]["inputs"]["images"] = ["5", 0]
    return wf


def write_config(folder: Path, runs: int, size: int = 512, **kw: Any) -> Path:
    """A random sweep of ``runs`` runs (sigma and seed): every prompt differs."""
    wf = prompt(size, **kw)
    return write_slow_config(folder, runs, prompt=wf, sweep_seed=11, name="fleet.yaml")


def make_server(root: Path, node_pack: bool = False, port: int | None = None) -> ComfyServer:
    if node_pack:
        pack = root / "base" / "custom_nodes" / "fleet_only_on_a.py"
        pack.parent.mkdir(parents=True, exist_ok=True)
        pack.write_text(NODE_PACK)
    return ComfyServer(root, port=port, env=ONE_THREAD)


def start_all(servers: list[ComfyServer]) -> None:
    """Start side by side: each start is mostly waiting for imports."""
    with ThreadPoolExecutor(len(servers)) as pool:
        list(pool.map(ComfyServer.start, servers))


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ComfyServer]]:
    """Servers A (with the node pack) and B, started side by side."""
    servers = [
        make_server(tmp_path_factory.mktemp("fleet-a"), node_pack=True),
        make_server(tmp_path_factory.mktemp("fleet-b")),
    ]
    try:
        start_all(servers)
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def fresh_pair(pair: list[ComfyServer]) -> list[ComfyServer]:
    """The module's pair with empty queues and history: each test sees only its prompts."""
    for server in pair:
        server.post_json("/queue", {"clear": True})
        server.post_json("/interrupt", {})
        wait_for(lambda s=server: queue_ids(s) == ([], []), what="empty queue")
        server.post_json("/history", {"clear": True})
    return pair


# -- helpers ------------------------------------------------------------------------


def queue_ids(server: ComfyServer) -> tuple[list[str], list[str]]:
    q = server.get_json("/queue")
    assert isinstance(q, dict)
    return [i[1] for i in q["queue_running"]], [i[1] for i in q["queue_pending"]]


def history(server: ComfyServer) -> dict[str, Any]:
    data = server.get_json("/history")
    assert isinstance(data, dict)
    return data


def successes(server: ComfyServer) -> set[str]:
    return {p for p, e in history(server).items() if e["status"]["status_str"] == "success"}


def batch_dir(base: Path) -> Path | None:
    dirs = [p for p in base.glob("batch_*") if (p / "metadata.csv").is_file()]
    return dirs[0] if dirs else None


def rows_on(batch: Path, server: ComfyServer) -> list[dict[str, str]]:
    return [r for r in metadata_rows(batch) if r.get("server") == server.address]


def cmd(cfg: Path, servers: list[ComfyServer], *extra: str) -> list[str]:
    args = [CR_BATCH, str(cfg), "--mode", "client"]
    for server in servers:
        args += ["--server", server.address]
    return args + list(extra)


def run_batch(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def start_batch(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def assert_each_server_ran_its_rows_once(batch: Path, servers: list[ComfyServer]) -> None:
    """Every run recorded once; each server's history holds exactly the prompts
    recorded against it (no prompt of ours ran there without being recorded)."""
    rows = assert_batch_complete(batch)
    assert {r["server"] for r in rows} <= {s.address for s in servers}
    for server in servers:
        assert successes(server) == {r["prompt_id"] for r in rows_on(batch, server)}


# -- tests ----------------------------------------------------------------------------


def test_a_sweep_spreads_over_two_servers_each_run_recorded_once(
    fresh_pair: list[ComfyServer], tmp_path: Path
) -> None:
    cfg = write_config(tmp_path, runs=16, size=384)
    res = run_batch(cmd(cfg, fresh_pair, "--window", "2"), tmp_path)
    assert res.returncode == 0, res.stderr
    assert "sweeping over 2 servers" in res.stderr
    batch = batch_dir(tmp_path / "output")
    assert batch is not None
    assert_each_server_ran_its_rows_once(batch, fresh_pair)
    for server in fresh_pair:  # both did work, and the summary says how much
        n = len(rows_on(batch, server))
        assert n >= 3, (server.address, n)
        assert f"  {server.address}: {n} runs" in res.stderr


def test_a_server_missing_a_node_type_is_left_out_with_one_line(
    fresh_pair: list[ComfyServer], tmp_path: Path
) -> None:
    a, b = fresh_pair
    cfg = write_config(tmp_path, runs=4, size=128, only_on_a=True)
    res = run_batch(cmd(cfg, fresh_pair), tmp_path)
    assert res.returncode == 0, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if b.address in ln]
    assert len(lines) == 1, res.stderr
    assert "left out" in lines[0] and ONLY_ON_A in lines[0]
    assert "Traceback" not in res.stderr
    batch = batch_dir(tmp_path / "output")
    assert batch is not None
    rows = assert_batch_complete(batch)
    assert {r["prompt_id"] for r in rows} == successes(a) and not history(b)
    assert {r["server"] for r in rows} == {a.address}  # still says where it ran


def test_ctrl_c_cancels_our_prompts_on_every_server(
    fresh_pair: list[ComfyServer], tmp_path: Path
) -> None:
    cfg = write_config(tmp_path, runs=24, size=1024)
    proc = start_batch(cmd(cfg, fresh_pair, "--window", "3"), tmp_path)
    try:
        wait_for(lambda: all(queue_ids(s)[1] for s in fresh_pair), what="prompts queued on both")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Rerun the same command to resume" in err and "Traceback" not in err
    for server in fresh_pair:  # pending deleted, the running one interrupted
        wait_for(lambda s=server: queue_ids(s) == ([], []), timeout=10, what="empty queue")


def test_resume_adopts_prompts_still_queued_on_any_server(
    fresh_pair: list[ComfyServer], tmp_path: Path
) -> None:
    cfg = write_config(tmp_path, runs=12, size=768)
    args = cmd(cfg, fresh_pair, "--window", "3")
    proc = start_batch(args, tmp_path)
    try:
        wait_for(lambda: all(queue_ids(s)[1] for s in fresh_pair), what="prompts queued on both")
        queued = {s.address: set(queue_ids(s)[1]) for s in fresh_pair}
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # no clean stop: our prompts stay queued
        proc.communicate(timeout=30)
    res = run_batch(args, tmp_path)
    assert res.returncode == 0, res.stderr
    assert "resuming" in res.stderr
    batch = batch_dir(tmp_path / "output")
    assert batch is not None
    assert_each_server_ran_its_rows_once(batch, fresh_pair)
    recorded = {r["prompt_id"]: r["server"] for r in metadata_rows(batch)}
    for address, ids in queued.items():  # adopted where they were queued, not run again
        assert {recorded.get(p) for p in ids} == {address}, (address, ids, recorded)


def test_kill_9_one_server_the_other_finishes_exactly_once_and_it_rejoins(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    a = make_server(tmp_path_factory.mktemp("kill-a"))
    b = make_server(tmp_path_factory.mktemp("kill-b"))
    window = 2
    try:
        start_all([a, b])
        cfg = write_config(tmp_path, runs=48, size=512)
        proc = start_batch(cmd(cfg, [a, b], "--window", str(window)), tmp_path)
        batch = wait_for(lambda: batch_dir(tmp_path / "output"), what="batch")
        wait_for(lambda: len(rows_on(batch, a)) >= 2, what="runs on A")
        ran_on_a = successes(a)
        a.kill()
        killed_at = time.monotonic()
        recorded_on_a = {r["prompt_id"] for r in rows_on(batch, a)}
        wait_for(lambda: len(rows_on(batch, b)) >= len(rows_on(batch, a)) + 4, what="B goes on")
        a.start()  # the same port: the engine's probe finds it and it rejoins
        restarted = time.monotonic() - killed_at
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        rows = assert_batch_complete(batch)
        rejoined = successes(a)  # the restarted A's history: runs after it rejoined
        assert rejoined, f"A did not rejoin (restarted {restarted:.0f}s after the kill):\n{err}"
        assert rejoined == {r["prompt_id"] for r in rows_on(batch, a)} - recorded_on_a
        assert successes(b) == {r["prompt_id"] for r in rows_on(batch, b)}
        # Executed twice: finished on A but not recorded there, plus A's running one.
        twice = len(ran_on_a - recorded_on_a) + 1
        assert twice <= window
        assert len(rows) == 48
        assert "not answering" in err and "rejoins" in err
        for server in (a, b):  # the summary per server counts both of A's lives
            assert f"  {server.address}: {len(rows_on(batch, server))} runs" in err
    finally:
        a.stop(), b.stop()
