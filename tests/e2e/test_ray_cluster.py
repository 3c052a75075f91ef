"""Ray beyond the basics, for real on this machine: a multi-node cluster
(``ray.cluster_utils.Cluster``: a head and worker nodes, each its own raylet on
loopback) losing the node of both workers mid-sweep, the workers restarted by Ray
on a spare node; and an input-set sweep whose outputs all come back through
shared storage, its one worker killed mid-sweep (the restarted worker gets the
set's files again). Every run recorded once, no orphan ComfyUI."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml
from comfy_harness import comfyui_dir, comfyui_python, ensure_provisioned
from PIL import Image
from test_cli_batch import assert_batch_complete, metadata_rows, only_batch
from test_inputs_real import IMAGE_WF, make_sets, sets_config
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

LOOPBACK = {"node_ip_address": "127.0.0.1", "num_cpus": 1}
TWO_GPUS = {**LOOPBACK, "num_gpus": 2}  # fake GPUs: one worker each


@pytest.fixture
def cluster(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A head node without GPUs (the driver's node): workers go to worker nodes."""
    ensure_provisioned()
    from ray.cluster_utils import Cluster

    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")  # loopback-only test cluster
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    monkeypatch.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # all on loopback
    c = Cluster(initialize_head=True, head_node_args={**LOOPBACK, "num_gpus": 0,
                                                      "include_dashboard": False})  # fmt: skip
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


def test_a_removed_node_moves_its_workers_and_every_run_is_recorded_once(
    cluster: Any, tmp_path: Path
) -> None:
    doomed = cluster.add_node(**TWO_GPUS)
    cfg = write_config(tmp_path, {"address": cluster.address}, runs=48)
    data = yaml.safe_load(cfg.read_text())
    data["comfyui"] = {"reconnect_window": 300}  # both workers are gone while Ray moves them
    cfg.write_text(yaml.safe_dump(data))
    proc = cr_batch(cfg, tmp_path)
    try:
        wait_for(lambda: len(comfyuis_on(doomed)) == 2, 240, "both workers on the worker node")
        spare = cluster.add_node(**TWO_GPUS)  # after placement: the workers stay where they are
        wait_for(lambda: len(rows(tmp_path)) >= 1, 240, "the first run")
        cluster.remove_node(doomed)  # its raylet and actors die, and their ComfyUIs with them
        removed_at = len(rows(tmp_path))
        # Ray restarts both workers on the spare node; the sweep cannot end without them.
        wait_for(lambda: len(comfyuis_on(spare)) == 2, 240, "the workers on the spare node")
        out, _ = proc.communicate(timeout=400)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, out
    assert removed_at < 48
    got = assert_once(tmp_path, 48)
    assert {r["server"] for r in got} == {"ray-worker-0", "ray-worker-1"}, out
    wait_for(no_orphans, 30, "worker ComfyUIs to exit")


# The input-set workflow with the set's image scaled up before the blur: runs of a
# few tenths of a second, long enough to kill the worker mid-sweep.
SLOW_SETS_WF = {
    **IMAGE_WF,
    "5": {"class_type": "ImageScale", "inputs": {"image": ["1", 0], "upscale_method":
          "nearest-exact", "width": 640, "height": 640, "crop": "disabled"}},
    "2": {"class_type": "ImageBlur", "inputs": {"image": ["5", 0], "blur_radius": 1,
          "sigma": 1.0}},
}  # fmt: skip


def sets_sweep(tmp: Path) -> tuple[Path, dict[str, int]]:
    colours = make_sets(tmp, "ray")
    (tmp / "wf.json").write_text(json.dumps(SLOW_SETS_WF), encoding="utf-8")
    cfg = sets_config("output", list(range(10, 25, 2)))  # 3 sets x 8 = 24 runs of 0.1-0.5 s
    cfg["ray"] = {
        "address": "local", "cpu": True, "workers": 1, "inline_mb": 0,
        "shared_dir": str(tmp / "shared"),
        "comfyui": {"dir": str(comfyui_dir()), "python": str(comfyui_python()), "args": ["--cpu"]},
    }  # fmt: skip
    path = tmp / "sets.yaml"
    path.write_text(yaml.safe_dump({"workflow_file": "wf.json", **cfg}), encoding="utf-8")
    return path, colours


def test_input_sets_and_shared_storage_outputs_survive_a_killed_worker(tmp_path: Path) -> None:
    ensure_provisioned()
    cfg, colours = sets_sweep(tmp_path)
    proc = cr_batch(cfg, tmp_path)
    try:
        wait_for(lambda: len(rows(tmp_path)) >= 2, 240, "the first runs")
        (comfy,) = worker_comfyuis()
        actor = comfy.parent()
        assert actor is not None
        actor.kill()  # Ray restarts the worker: a new ComfyUI, its input folder empty
        killed_at = len(rows(tmp_path))
        out, _ = proc.communicate(timeout=400)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, out
    assert killed_at < 24
    batch = only_batch(tmp_path / "output")
    assert_batch_complete(batch)
    for row in metadata_rows(batch):  # each set's own image went through, after the kill too
        (rel,) = [o for o in row["outputs"].split(";") if Path(o).name.startswith("blur")]
        with Image.open(batch / rel) as im:
            assert abs(im.convert("L").getpixel((320, 320)) - colours[row["set"]]) <= 2, row
    shared = tmp_path / "shared"
    assert shared.is_dir() and not list(shared.iterdir())  # every output passed through it
    wait_for(no_orphans, 30, "worker ComfyUIs to exit")
