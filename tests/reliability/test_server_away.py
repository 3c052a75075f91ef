"""ComfyUI goes away during a client-side sweep. Back within the retry
budget: cr-batch retries with backoff and finishes. Gone for good: one clear
line, exit 2, a resumable batch that a rerun finishes exactly once."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from comfy_harness import free_port

from .cli_helpers import kill_batch, no_traceback, run_batch, start_batch, write_config
from .conftest import batch_dirs
from .helpers import assert_exactly_once, history_runs, metadata_rows, queue_empty, wait_until
from .proxy import FlakyProxy

pytestmark = pytest.mark.comfy


def first_rows(base: Path, n: int) -> Path:
    def check() -> Path | None:
        dirs = batch_dirs(base)
        return dirs[0] if dirs and len(metadata_rows(dirs[0])) >= n else None

    return Path(wait_until(check, 120, f"{n} recorded runs", step=0.02))


def test_network_blip_is_retried_and_the_sweep_continues(comfy_server: Any, tmp_path: Path) -> None:
    proxy = FlakyProxy(comfy_server.port, free_port()).start()
    prefix = f"rel-blip-{tmp_path.name}/img"
    config = write_config(tmp_path, prefix)
    proc = start_batch(config, proxy.address)
    try:
        batch = first_rows(tmp_path / "output", 1)
        proxy.down()  # connections cut, new ones refused
        time.sleep(1.5)  # within the client's backoff (0.5 + 1 + 2 s)
        proxy.start()
        _, err = proc.communicate(timeout=180)
    finally:
        kill_batch(proc)
        proxy.close()
    assert proc.returncode == 0, err
    assert no_traceback(err)
    assert_exactly_once(batch)
    wait_until(lambda: queue_empty(comfy_server.url), 60, "queue to drain")
    executed = history_runs(comfy_server.get_json("/history"), prefix)  # type: ignore[arg-type]
    assert sum(executed.values()) == 6 and set(executed.values()) == {1}, executed


def test_server_gone_for_good_exits_3_then_rerun_finishes(alive: Any, tmp_path: Path) -> None:
    server = alive
    # A short reconnect window keeps this test quick; the default waits 60 s.
    config = write_config(
        tmp_path, f"rel-gone-{tmp_path.name}/img", comfyui={"reconnect_window": 5}
    )
    proc = start_batch(config, server.address)
    try:
        batch = first_rows(tmp_path / "output", 1)
        server.kill()
        _, err = proc.communicate(timeout=120)
    finally:
        kill_batch(proc)
    assert proc.returncode == 3, err  # ComfyUI unreachable: its own exit code (issue 12)
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and server.address in lines[0], err
    assert no_traceback(err)
    progress = json.loads((batch / "progress.json").read_text())
    assert progress["state"] == "interrupted", progress
    assert not (batch / "store.lock").exists()
    recorded = len(metadata_rows(batch))
    assert 1 <= recorded < 6

    server.start()  # ComfyUI lost its queue and history: in-flight runs run again
    res = run_batch(config, server.address)
    assert res.returncode == 0, res.stderr
    assert "resuming" in res.stderr
    assert batch_dirs(tmp_path / "output") == [batch]
    rows = assert_exactly_once(batch)
    assert len(rows) == 6


def test_outage_of_a_restart_length_is_waited_out(comfy_server: Any, tmp_path: Path) -> None:
    """Away for 8 s (what a ComfyUI restart takes), ComfyUI's state intact."""
    proxy = FlakyProxy(comfy_server.port, free_port()).start()
    config = write_config(tmp_path, f"rel-outage-{tmp_path.name}/img")
    proc = start_batch(config, proxy.address)
    try:
        batch = first_rows(tmp_path / "output", 1)
        proxy.down()
        time.sleep(8)
        proxy.start()
        _, err = proc.communicate(timeout=180)
    finally:
        kill_batch(proc)
        proxy.close()
    wait_until(lambda: queue_empty(comfy_server.url), 60, "queue to drain")
    assert proc.returncode == 0, err
    assert_exactly_once(batch)


def test_comfyui_killed_and_restarted_during_a_sweep(alive: Any, tmp_path: Path) -> None:
    """kill -9 then an immediate restart on the same port: ComfyUI lost its
    queue and history. cr-batch waits the restart out (comfyui.reconnect_window),
    resubmits the prompts the server forgot and finishes: every run exactly once."""
    server = alive
    config = write_config(tmp_path, f"rel-restart-{tmp_path.name}/img")
    proc = start_batch(config, server.address)
    try:
        batch = first_rows(tmp_path / "output", 1)
        server.kill()
        server.start()
        _, err = proc.communicate(timeout=180)
    finally:
        kill_batch(proc)
    assert proc.returncode == 0, err
    assert no_traceback(err)
    assert batch_dirs(tmp_path / "output") == [batch]
    assert_exactly_once(batch)
    wait_until(lambda: queue_empty(server.url), 60, "queue to drain")
