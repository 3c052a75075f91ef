"""Ray faults beyond one node, on a real multi-node cluster on this machine
(``ray.cluster_utils.Cluster``: a head and worker nodes, each its own raylet on
loopback): a node removed mid-sweep, its worker restarted by Ray on another node,
every run recorded once and no orphan ComfyUI."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from comfy_harness import ensure_provisioned
from test_ray_real import (
    assert_once,
    cr_batch,
    no_orphans,
    rows,
    wait_for,
    worker_comfyuis,
    write_config,
)

ray = pytest.importorskip("ray", reason="comfy-sweep[ray] is not installed")
pytestmark = [pytest.mark.comfy, pytest.mark.slow]

LOOPBACK = {"node_ip_address": "127.0.0.1", "num_cpus": 1, "num_gpus": 1}


@pytest.fixture
def cluster(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A head node and one worker node, one fake GPU each."""
    ensure_provisioned()
    from ray.cluster_utils import Cluster

    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")  # loopback-only test cluster
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    monkeypatch.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # all on loopback
    c = Cluster(initialize_head=True, head_node_args={**LOOPBACK, "include_dashboard": False})
    try:
        yield c
    finally:
        c.shutdown()


def raylet_pid(node: Any) -> int:
    from ray._private import ray_constants

    return int(node.all_processes[ray_constants.PROCESS_TYPE_RAYLET][0].process.pid)


def comfyuis_on(node: Any) -> list[psutil.Process]:
    """The worker ComfyUIs whose actor runs on ``node`` (the actor is a child of
    the node's raylet, the ComfyUI a child of the actor)."""
    pid = raylet_pid(node)
    found = []
    for proc in worker_comfyuis():
        actor = proc.parent()
        if actor is not None and actor.ppid() == pid:
            found.append(proc)
    return found


def test_a_removed_node_moves_its_worker_and_every_run_is_recorded_once(
    cluster: Any, tmp_path: Path
) -> None:
    doomed = cluster.add_node(**LOOPBACK)
    cfg = write_config(tmp_path, {"address": cluster.address}, runs=48)
    proc = cr_batch(cfg, tmp_path)
    try:
        wait_for(lambda: len(rows(tmp_path)) >= 3, 240, "the first runs")
        assert len(comfyuis_on(doomed)) == 1  # one worker per fake GPU: one on each node
        spare = cluster.add_node(**LOOPBACK)
        cluster.remove_node(doomed)  # its raylet and actor die, and the ComfyUI with them
        removed_at = len(rows(tmp_path))
        # Ray restarts the lost worker on the spare node, which starts its own ComfyUI.
        wait_for(lambda: len(comfyuis_on(spare)) == 1, 180, "the worker on the spare node")
        out, _ = proc.communicate(timeout=400)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, out
    assert removed_at < 48
    got = assert_once(tmp_path, 48)
    assert {r["server"] for r in got} == {"ray-worker-0", "ray-worker-1"}, out
    wait_for(no_orphans, 30, "worker ComfyUIs to exit")
