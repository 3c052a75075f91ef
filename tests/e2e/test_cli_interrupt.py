"""Ctrl-C (SIGINT) on a real ``cr-batch --mode client`` mid-sweep: it stops
submitting, deletes only its own pending prompts from ComfyUI's queue,
interrupts only its own running prompt (a foreign prompt queued by someone
else still runs), exits 130 saying how to resume; the rerun finishes with
every run recorded exactly once."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_cli_batch import assert_batch_complete, metadata_rows

pytestmark = pytest.mark.comfy
CR_BATCH = str(Path(sys.executable).parent / "cr-batch")


def slow_prompt(size: int = 1536, prefix: str = "slow", radius: int = 31) -> dict[str, Any]:
    """~0.5-1 s a run on CPU: a large blur of a noisy canvas (shared by the
    interrupt, priority and fleet tests)."""
    return {
        "1": {"class_type": "EmptyImage", "inputs": {"width": size, "height": size,
              "batch_size": 1, "color": 3355443}},
        "2": {"class_type": "ImageAddNoise", "inputs": {"image": ["1", 0], "seed": 1,
              "strength": 0.5}},
        "3": {"class_type": "ImageBlur", "inputs": {"image": ["2", 0], "blur_radius": radius,
              "sigma": 1.0}},
        "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0],
              "filename_prefix": prefix}},
    }  # fmt: skip


def write_slow_config(
    folder: Path,
    runs: int = 8,
    prefix: str = "slow",
    *,
    prompt: dict[str, Any] | None = None,
    sweep_seed: int = 7,
    name: str = "slow.yaml",
) -> Path:
    """A random sweep of ``runs`` runs over sigma and the seed: every prompt differs."""
    (folder / "workflow.json").write_text(json.dumps(prompt or slow_prompt(prefix=prefix)))
    data = {
        "workflow_file": "workflow.json",
        "sampling_strategy": "random",
        "num_samples": runs,
        "sweep_seed": sweep_seed,
        "parameters": {
            "sigma": {"path": "nodes.3.inputs.sigma", "type": "continuous", "min": 1, "max": 9},
            "seed": {"path": "nodes.2.inputs.seed", "type": "random_seed"},
        },
        "output": {"base_dir": "output"},
    }
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def start(cmd: list[str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(check: Any, timeout: float = 120.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError(f"{what} not reached in {timeout}s")


def rows_recorded(base: Path, n: int) -> Path | None:
    dirs = [p for p in base.glob("batch_*") if (p / "metadata.csv").is_file()]
    return dirs[0] if dirs and len(metadata_rows(dirs[0])) >= n else None


def queue_ids(server) -> tuple[list[str], list[str]]:
    q = server.get_json("/queue")
    return [i[1] for i in q["queue_running"]], [i[1] for i in q["queue_pending"]]


def history_status(server, pid: str) -> str | None:
    entry = server.get_json(f"/history/{pid}").get(pid)
    if not entry:
        return None
    kinds = [m[0] for m in entry["status"]["messages"]]
    return "interrupted" if "execution_interrupted" in kinds else entry["status"]["status_str"]


def test_ctrl_c_cancels_only_our_prompts_and_rerun_finishes(
    comfy_server_factory, tmp_path: Path
) -> None:
    server = comfy_server_factory()  # its own history: only this test's prompts
    cfg = write_slow_config(tmp_path)
    cmd = [CR_BATCH, str(cfg), "--server", server.address, "--mode", "client", "--window", "3"]
    proc = start(cmd, tmp_path)
    try:
        batch = wait_for(lambda: rows_recorded(tmp_path / "output", 1), what="first run")
        wait_for(lambda: len(json.loads((batch / "progress.json").read_text())["submitted"]) >= 2)
        foreign = str(uuid.uuid4())
        body = {"prompt": slow_prompt(prefix="foreign"), "prompt_id": foreign,
                "client_id": "someone-else"}  # fmt: skip
        body["prompt"]["2"]["inputs"]["seed"] = 999
        server.post_json("/prompt", body)
        ours = set(json.loads((batch / "progress.json").read_text())["submitted"].values())
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Rerun the same command to resume" in err and "Traceback" not in err
    progress = json.loads((batch / "progress.json").read_text())
    assert progress["state"] == "interrupted"

    running, pending = queue_ids(server)
    in_flight = set(progress["submitted"].values()) | ours
    assert not in_flight & set(pending)  # our pending prompts were deleted
    assert wait_for(lambda: history_status(server, foreign), what="foreign prompt") == "success"
    statuses = [history_status(server, pid) for pid in in_flight]
    assert set(statuses) <= {None, "interrupted", "success"}, statuses
    assert None in statuses  # a pending prompt of ours was deleted, never ran
    assert (
        "interrupted" in statuses
    )  # ours was running (~1 s runs): interrupted, not the foreign one

    res = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "resuming" in res.stderr
    rows = assert_batch_complete(batch)
    assert len(rows) == 8
    history = server.get_json("/history")
    successes = [p for p in history if history_status(server, p) == "success" and p != foreign]
    assert sorted(successes) == sorted(r["prompt_id"] for r in rows)  # each run ran to the end once
