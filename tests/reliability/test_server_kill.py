"""kill -9 ComfyUI at several points of a server-side sweep (queueing, mid-run,
collecting outputs), restart it on the same folders, POST resume: every planned
run recorded exactly once."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import (
    API,
    GRID6,
    assert_exactly_once,
    example_prompt,
    metadata_rows,
    request,
    wait_until,
)

pytestmark = pytest.mark.comfy


def sweep_status(server: Any, sid: str) -> dict[str, Any]:
    status, body = request(server.url, "GET", f"{API}/sweeps/{sid}?limit=1000")
    assert status == 200, body
    return dict(body)


KILL_POINTS = {
    # right after the 202: the first prompts are being validated and queued
    "queueing": lambda b: True,
    # one run recorded, the next one executing
    "mid_run": lambda b: b["done"] >= 1 and any(r["status"] == "running" for r in b["runs"]),
    # three runs recorded: the engine is linking outputs of the latest ones
    # three runs recorded: outputs of the latest ones are being linked in
    "collecting": lambda b: b["done"] >= 3,
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_kill_comfyui_then_resume_exactly_once(alive: Any, point: str) -> None:
    server = alive
    body = {"prompt": example_prompt(768, f"rel-kill-{point}/img"), "config": GRID6}
    status, made = request(server.url, "POST", f"{API}/sweeps", body)
    assert status == 202, made
    sid, total = made["id"], made["total"]
    assert total == 6
    if point != "queueing":
        wait_until(
            lambda: KILL_POINTS[point](sweep_status(server, sid)), 120, f"kill point {point}"
        )
    server.kill()  # SIGKILL of the process group: no shutdown code runs
    root = server.output_dir / "sweeps" / sid
    recorded = len(metadata_rows(root))
    assert recorded < total, "the sweep finished before the kill: nothing was tested"
    server.start()  # the same base/output folders

    after = sweep_status(server, sid)
    assert after["state"] == "interrupted", after
    assert after["done"] == recorded  # metadata.csv is the source of truth
    status, resumed = request(server.url, "POST", f"{API}/sweeps/{sid}/resume")
    assert status == 202, resumed
    wait_until(lambda: sweep_status(server, sid)["state"] == "done", 180, "resumed sweep done")
    rows = assert_exactly_once(root)
    assert len(rows) == total
    final = sweep_status(server, sid)
    assert (final["done"], final["failed"], final["pending"]) == (total, 0, 0)
    assert sorted(r["run_id"] for r in final["runs"]) == list(range(1, total + 1))
