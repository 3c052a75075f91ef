"""Sweeps on a real Ray cluster on this machine, each worker owning a real ComfyUI
(started from the provisioned one): GPU pinning with fake GPUs, a killed ComfyUI,
a killed actor and a killed driver each end with every run recorded once and no
orphan ComfyUI left behind. Ray's local_mode no longer exists: this is the real
raylet and GCS, on loopback."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
import yaml
from comfy_harness import comfyui_dir, comfyui_python, ensure_provisioned

ray = pytest.importorskip("ray", reason="comfy-sweep[ray] is not installed")
pytestmark = [pytest.mark.comfy, pytest.mark.slow]

BIN = Path(sys.executable).parent
WORKER_MARK = "comfy-sweep-worker-"  # in every worker ComfyUI's command line


def workflow(tmp: Path) -> Path:
    """Runs of ~0.5 s on one CPU thread: long enough to kill things mid-sweep."""
    wf = {
        "1": {"class_type": "EmptyImage", "inputs": {"width": 768, "height": 768,
              "batch_size": 1, "color": 3355443}},
        "2": {"class_type": "ImageAddNoise", "inputs": {"image": ["1", 0], "seed": 42,
              "strength": 0.5}},
        "3": {"class_type": "ImageBlur", "inputs": {"image": ["2", 0], "blur_radius": 3,
              "sigma": 1.0}},
        "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0],
              "filename_prefix": "ray/img"}},
    }  # fmt: skip
    path = tmp / "wf.json"
    path.write_text(json.dumps(wf))
    return path


def write_config(tmp: Path, ray_section: dict[str, object], runs: int = 24) -> Path:
    cfg = {
        "workflow_file": str(workflow(tmp)),
        "sampling_strategy": "grid",
        "parameters": {
            "strength": {"path": "nodes.2.inputs.strength", "values": [0.2, 0.6]},
            "blur_radius": {
                "path": "nodes.3.inputs.blur_radius",
                "type": "linear",
                "min": 1,
                "max": runs // 2,
                "step": 1,
            },
        },  # fmt: skip
        "ray": {
            "workers": 2,
            "comfyui": {
                "dir": str(comfyui_dir()),
                "python": str(comfyui_python()),
                "args": ["--cpu"],
            },
            **ray_section,
        },  # fmt: skip
    }
    path = tmp / "sweep.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def env() -> dict[str, str]:
    # One torch thread per ComfyUI: two of them share this machine's 2 cores. Ray's
    # token auth is off for this loopback-only test cluster (docs/ray.md: real clusters).
    # Ray replaces 127.0.0.1 by the host's own address (the driver's bootstrap address,
    # and `ray start` listens on every interface even with --node-ip-address=127.0.0.1,
    # Ray 2.60): the single-machine switch keeps every socket on loopback.
    return dict(
        os.environ, OMP_NUM_THREADS="1", RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="disabled",
        RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0",
    )  # fmt: skip


def cr_batch(cfg: Path, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(BIN / "cr-batch"), str(cfg)], cwd=cwd, env=env(), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def rows(cwd: Path) -> list[dict[str, str]]:
    batches = list((cwd / "output").glob("batch_*/metadata.csv"))
    if not batches:
        return []
    with open(batches[0], newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def worker_comfyuis() -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmd = proc.info["cmdline"] or []
        if any(WORKER_MARK in part for part in cmd) and "main.py" in cmd:
            found.append(proc)
    return found


def assert_once(cwd: Path, total: int) -> list[dict[str, str]]:
    got = rows(cwd)
    ids = [int(r["run_id"]) for r in got]
    assert sorted(ids) == list(range(1, total + 1)), ids  # every run, each once
    assert all(r["status"] == "done" for r in got)
    for r in got:
        assert (cwd / "output").glob(f"*/{r['outputs']}")
    return got


def no_orphans() -> bool:
    return not worker_comfyuis()


@pytest.fixture
def ray_head(tmp_path: Path) -> Iterator[str]:
    """A running cluster (``ray start --head``) with 2 fake GPUs on 2 CPUs."""
    ensure_provisioned()
    port = 20000 + os.getpid() % 5000
    ray_bin = str(BIN / "ray")
    subprocess.run(
        [ray_bin, "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}",
         "--num-cpus=2", "--num-gpus=2",
         "--include-dashboard=false", "--disable-usage-stats"],
        check=True, env=env(), capture_output=True, timeout=180,
    )  # fmt: skip
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([ray_bin, "stop", "--force"], env=env(), capture_output=True, timeout=120)


def test_gpu_pinning_and_a_killed_comfyui_and_actor(ray_head: str, tmp_path: Path) -> None:
    cfg = write_config(tmp_path, {"address": ray_head})
    proc = cr_batch(cfg, tmp_path)
    try:
        wait_for(lambda: len(rows(tmp_path)) >= 3, 240, "the first runs")
        victim = worker_comfyuis()[0]
        os.killpg(victim.pid, signal.SIGKILL)  # a dead ComfyUI: its actor starts another
        wait_for(lambda: len(rows(tmp_path)) >= 10, 240, "runs after the ComfyUI kill")
        actor = worker_comfyuis()[-1].parent()
        assert actor is not None
        actor.kill()  # a dead actor: Ray restarts it, its runs go to the other worker
        out, _ = proc.communicate(timeout=400)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, out
    assert "devices: 0, 1" in out or "devices: 1, 0" in out, out  # one fake GPU each
    got = assert_once(tmp_path, 24)
    assert {r["server"] for r in got} <= {"ray-worker-0", "ray-worker-1"}
    wait_for(no_orphans, 30, "worker ComfyUIs to exit")


def test_a_killed_driver_leaves_no_orphan_and_a_rerun_resumes(tmp_path: Path) -> None:
    ensure_provisioned()
    cfg = write_config(tmp_path, {"address": "local", "cpu": True})
    proc = cr_batch(cfg, tmp_path)
    try:
        wait_for(lambda: len(rows(tmp_path)) >= 3, 240, "the first runs")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and what it started itself
        proc.wait(timeout=30)
    killed_at = len(rows(tmp_path))
    wait_for(no_orphans, 60, "worker ComfyUIs to exit after the driver died")
    again = cr_batch(cfg, tmp_path)
    out, _ = again.communicate(timeout=400)
    assert again.returncode == 0, out
    assert "resuming" in out
    assert_once(tmp_path, 24)
    assert killed_at < 24
    wait_for(no_orphans, 30, "worker ComfyUIs to exit")
