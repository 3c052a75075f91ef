"""A cr-batch process SIGKILLed mid-sweep, then rerun: every run recorded once,
and no prompt executed twice (ComfyUI's own history is the witness)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_cli_batch import assert_batch_complete, copy_config, metadata_rows, only_batch

pytestmark = pytest.mark.comfy
BIN = Path(sys.executable).parent


def wait_rows(batch_base: Path, n: int, timeout: float = 120.0) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if batch_base.is_dir():
            dirs = [p for p in batch_base.iterdir() if (p / "metadata.csv").is_file()]
            if dirs and len(metadata_rows(dirs[0])) >= n:
                return dirs[0]
        time.sleep(0.05)
    raise TimeoutError(f"fewer than {n} runs recorded in {timeout}s")


def test_killed_batch_resumes_without_loss_or_duplicates(
    comfy_server_factory, examples_dir: Path, isolated_cwd: Path
) -> None:
    server = comfy_server_factory()  # fresh: its history holds only this batch
    cfg = copy_config(examples_dir, "image_sobol", isolated_cwd)
    exe = shutil.which("cr-batch", path=str(BIN))
    assert exe
    cmd = [exe, str(cfg), "--server", server.address, "--mode", "client"]
    proc = subprocess.Popen(cmd, cwd=isolated_cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        batch = wait_rows(isolated_cwd / "output", 4)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    killed_at = len(metadata_rows(batch))
    progress = json.loads((batch / "progress.json").read_text())
    assert progress["total"] == 16 and killed_at < 16

    res = subprocess.run(cmd, cwd=isolated_cwd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "resuming" in res.stderr
    assert only_batch(isolated_cwd / "output") == batch  # the same batch, not a new one
    rows = assert_batch_complete(batch)

    # Let ComfyUI drain anything the killed client had queued, then compare.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        queue = server.get_json("/queue")
        assert isinstance(queue, dict)
        if not queue["queue_running"] and not queue["queue_pending"]:
            break
        time.sleep(0.2)
    history = server.get_json("/history")
    assert isinstance(history, dict)
    recorded = {r["prompt_id"] for r in rows}
    assert recorded <= set(history)  # every recorded prompt really ran on the server
    assert len(history) == len(rows) == 16  # ... and no run's prompt ran twice
