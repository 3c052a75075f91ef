"""Server-side sweeps on the real ComfyUI 0.3.75 with our package loaded:
routes on its own aiohttp server, prompts on its own queue, restarts."""

from __future__ import annotations

import copy
import csv
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from server_http import poll, request

pytestmark = pytest.mark.comfy

API = "/comfy-sweep"


def wait_for(
    server: Any, sid: str, ok: Callable[[dict[str, Any]], bool], timeout: float = 180
) -> dict[str, Any]:
    return poll(server, f"{API}/sweeps/{sid}?limit=1000", ok, timeout)


def slow_prompt(examples_dir: Path, size: int = 1024) -> dict[str, Any]:
    """The example image workflow on a bigger canvas: ~1 s per run on CPU."""
    prompt = json.loads((examples_dir / "image_noise_blur.json").read_text())
    prompt["1"]["inputs"].update(width=size, height=size)
    prompt["4"]["inputs"]["filename_prefix"] = "sweep-e2e/img"
    return prompt


GRID = {
    "sampling_strategy": "grid",
    "parameters": {
        "strength": {"path": "nodes.Noise.inputs.strength", "type": "values", "values": [0.2, 0.6]},
        "blur_radius": {
            "path": "nodes.3.inputs.blur_radius",
            "type": "values",
            "values": [1, 3, 5],
        },
    },
}


def metadata(root: Path) -> list[dict[str, str]]:
    with open(root / "metadata.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def assert_complete(root: Path, total: int) -> None:
    rows = metadata(root)
    assert sorted(int(r["run_id"]) for r in rows) == list(range(1, total + 1)), rows
    for row in rows:
        assert row["status"] == "done", row
        outputs = row["outputs"].split(";")
        assert outputs and all((root / o).is_file() for o in outputs), row


def test_sweep_over_routes_done_cancel_resume(
    comfy_server_factory: Any, examples_dir: Path
) -> None:
    server = comfy_server_factory()
    status, version = request(server, "GET", "/api/comfy-sweep/version")
    assert status == 200 and version["name"] == "comfy-sweep"

    # analyze uses the server's own object_info (ImageBlur's real bounds).
    prompt = json.loads((examples_dir / "image_noise_blur.json").read_text())
    status, analysis = request(server, "POST", f"{API}/analyze", {"prompt": prompt})
    assert status == 200 and analysis["analysis"]["object_info_used"] is True
    blur = next(
        p for p in analysis["analysis"]["params"] if p["path"] == "nodes.3.inputs.blur_radius"
    )
    assert blur["bounds"]["max"] == 31

    # A bad value is refused by ComfyUI's own validation before anything is queued.
    bad = copy.deepcopy(GRID)
    bad["parameters"]["blur_radius"]["values"] = [1, 99]
    status, body = request(server, "POST", f"{API}/sweeps", {"prompt": prompt, "config": bad})
    assert status == 400 and body["error"]["code"] in ("invalid_config", "prompt_rejected"), body

    # A grid sweep reaches done, outputs collected, cache reuse recorded.
    workflow = {"nodes": [], "links": [], "extra": {"marker": "ui-graph"}}
    body = {"prompt": prompt, "config": GRID, "workflow": workflow, "client_id": "e2e-tab"}
    status, made = request(server, "POST", f"{API}/sweeps", body)
    assert status == 202, made
    done = wait_for(server, made["id"], lambda b: b["state"] == "done")
    assert (done["done"], done["failed"]) == (6, 0)
    root = server.output_dir / "sweeps" / made["id"]
    assert_complete(root, 6)
    runs = done["runs"]
    for prev, run in zip(runs, runs[1:], strict=False):
        if prev["values"]["strength"] == run["values"]["strength"]:
            assert "2" in run["cached_nodes"], (prev, run)  # the noise node was reused
    png = root / runs[0]["outputs"][0]
    with Image.open(png) as im:
        assert json.loads(im.info["workflow"])["extra"]["marker"] == "ui-graph"
    status, files = request(server, "GET", f"{API}/sweeps/{made['id']}/files/progress.json")
    assert status == 200 and files["state"] == "done"

    # Cancel mid-way, then resume: every run recorded exactly once.
    big = dict(
        GRID,
        parameters=dict(
            GRID["parameters"],
            blur_radius={
                "path": "nodes.3.inputs.blur_radius",
                "type": "values",
                "values": [5, 9, 13, 17],
            },
        ),
    )
    status, made = request(
        server, "POST", f"{API}/sweeps", {"prompt": slow_prompt(examples_dir), "config": big}
    )
    assert status == 202, made
    sid = made["id"]
    wait_for(server, sid, lambda b: b["done"] >= 2)
    status, cancelled = request(server, "POST", f"{API}/sweeps/{sid}/cancel")
    assert status == 200 and cancelled["state"] == "cancelled" and cancelled["done"] < 8, cancelled
    queue = server.get_json("/queue")
    assert not queue["queue_pending"], queue  # our pending prompts are deleted at once
    # The running one is interrupted; ComfyUI drops it at its next check, a moment later.
    deadline = time.monotonic() + 15
    while queue["queue_running"] and time.monotonic() < deadline:
        time.sleep(0.1)
        queue = server.get_json("/queue")
    assert not queue["queue_running"], queue
    status, body = request(server, "POST", f"{API}/sweeps/{sid}/resume")
    assert status == 202, body
    status, body = request(server, "DELETE", f"{API}/sweeps/{sid}")
    assert status == 409 and body["error"]["code"] == "conflict"  # refused while running
    done = wait_for(server, sid, lambda b: b["state"] == "done")
    assert (done["done"], done["failed"]) == (8, 0)
    assert_complete(server.output_dir / "sweeps" / sid, 8)
    status, body = request(server, "DELETE", f"{API}/sweeps/{sid}")
    assert status == 200 and not (server.output_dir / "sweeps" / sid).exists()


def test_kill_restart_resume_records_each_run_once(
    comfy_server_factory: Any, examples_dir: Path
) -> None:
    server = comfy_server_factory()
    config = dict(
        GRID,
        parameters=dict(
            GRID["parameters"],
            blur_radius={
                "path": "nodes.3.inputs.blur_radius",
                "type": "values",
                "values": [3, 7, 11, 15, 19],
            },
        ),
    )
    status, made = request(
        server, "POST", f"{API}/sweeps", {"prompt": slow_prompt(examples_dir), "config": config}
    )
    assert status == 202, made
    sid, total = made["id"], made["total"]
    wait_for(server, sid, lambda b: b["done"] >= 2)
    server.kill()  # SIGKILL mid-sweep: no shutdown code runs
    progress = server.output_dir / "sweeps" / sid / "progress.json"
    assert json.loads(progress.read_text())["state"] == "running"
    server.start()  # same base/output folders
    # Marked while ComfyUI started, before any request to our routes.
    assert json.loads(progress.read_text())["state"] == "interrupted"
    status, body = request(server, "GET", f"{API}/sweeps/{sid}")
    assert status == 200 and body["state"] == "interrupted", body
    assert 2 <= body["done"] < total
    status, body = request(server, "POST", f"{API}/sweeps/{sid}/resume")
    assert status == 202, body
    done = wait_for(server, sid, lambda b: b["state"] == "done")
    assert (done["done"], done["failed"]) == (total, 0)
    assert_complete(server.output_dir / "sweeps" / sid, total)
