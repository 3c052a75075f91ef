"""Sweeps that yield to the artist, on the real ComfyUI: with a sweep's window
queued, a prompt queued by hand starts before our queued prompts when the
sweep runs at priority "background", and after them at "normal" (the control
that shows the check can fail). Order is read from ComfyUI's own history
(execution_start timestamps)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from yield_helpers import (
    queue_by_hand,
    slow_prompt,
    sweep_config,
    wait_for,
    wait_started,
    window_full,
    write_config,
)

pytestmark = pytest.mark.comfy
CR_BATCH = str(Path(sys.executable).parent / "cr-batch")
WINDOW = 3


def order_after_hand_prompt(server: Any) -> tuple[float, dict[str, float]]:
    """Wait for our window (1 running + 2 queued), queue a prompt by hand, and
    return its start and the starts of ours that were queued when it was posted."""
    _, ours = wait_for(lambda: window_full(server, WINDOW - 1), 120, "a full window")
    mine, _ = queue_by_hand(server, seed=123)
    starts = wait_started(server, [mine, *ours])
    return starts.pop(mine), starts


@pytest.mark.parametrize("priority", ["background", "normal"])
def test_client_mode_hand_prompt_jumps_our_window(
    comfy_server: Any, tmp_path: Path, priority: str
) -> None:
    cfg = write_config(tmp_path, runs=6, window=WINDOW, priority=priority, size=1024)
    proc = subprocess.Popen(
        [CR_BATCH, str(cfg), "--server", comfy_server.address, "--mode", "client"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        mine, ours = order_after_hand_prompt(comfy_server)
        out, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    if priority == "background":
        assert all(mine < start for start in ours.values()), (mine, ours)
    else:
        assert all(mine > start for start in ours.values()), (mine, ours)


def test_server_mode_panel_sweep_yields_by_default(comfy_server: Any) -> None:
    """A sweep created through the routes (the panel) names no priority: background."""
    config = sweep_config(runs=6, window=WINDOW, priority=None)
    made: Any = comfy_server.post_json(
        "/comfy-sweep/sweeps", {"prompt": slow_prompt(prefix="yield-server"), "config": config}
    )
    mine, ours = order_after_hand_prompt(comfy_server)
    assert all(mine < start for start in ours.values()), (mine, ours)
    wait_for(
        lambda: comfy_server.get_json(f"/comfy-sweep/sweeps/{made['id']}")["state"] == "done",
        180,
        "the server sweep done",
    )
