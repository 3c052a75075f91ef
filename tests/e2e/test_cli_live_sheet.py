"""cr-batch --mode client on the real ComfyUI: the contact sheet (and its
thumbnails) fill in while the sweep runs, and the last render shows it done."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sheet_page import Sheet, launch_chromium

pytestmark = pytest.mark.comfy
CR_BATCH = str(Path(sys.executable).parent / "cr-batch")
SIZE = 1280  # the example at 256 px runs in ~20 ms; this takes ~0.3 s a run on CPU
GRID10 = {
    "strength": {"path": "nodes.Noise.inputs.strength", "type": "values", "values": [0.2, 0.6]},
    "blur_radius": {"path": "nodes.3.inputs.blur_radius", "type": "values",
                    "values": [5, 9, 13, 17, 21]},
}  # fmt: skip
DATA = re.compile(r'<script type="application/json" id="sheet-data">(.*?)</script>', re.S)
LIVE = "document.getElementById('live-status')"


def write_config(folder: Path, examples_dir: Path) -> Path:
    prompt = json.loads((examples_dir / "image_noise_blur.json").read_text())
    prompt["1"]["inputs"].update(width=SIZE, height=SIZE)
    prompt["4"]["inputs"]["filename_prefix"] = "live-sheet/img"
    (folder / "workflow.json").write_text(json.dumps(prompt))
    data = {
        "workflow_file": "workflow.json",
        "sampling_strategy": "grid",
        "parameters": GRID10,
        "output": {"base_dir": "output"},
    }
    path = folder / "live.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def embedded(page: Path) -> dict[str, Any] | None:
    """The run data embedded in the page (None while it is being replaced)."""
    try:
        match = DATA.search(page.read_text(encoding="utf-8"))
    except OSError:
        return None
    return json.loads(match.group(1)) if match else None


@pytest.fixture
def browser() -> Iterator[Any]:
    with launch_chromium() as b:
        yield b


def watch(proc: subprocess.Popen[str], base: Path) -> tuple[list[tuple[int, str]], Path]:
    """(done count, state) of every distinct page seen while ``proc`` runs; the
    first page seen is kept as running_snapshot.html beside it."""
    seen: list[tuple[int, str]] = []
    deadline = time.monotonic() + 50
    page: Path | None = None
    while proc.poll() is None:
        assert time.monotonic() < deadline, "cr-batch took too long"
        page = page or next(base.glob("*/contact_sheet.html"), None)
        data = embedded(page) if page else None
        if page and data:
            point = (int(data["batch"]["done"]), str(data["batch"]["state"]))
            if not seen:
                shutil.copy(page, page.with_name("running_snapshot.html"))
            if not seen or seen[-1] != point:
                seen.append(point)
        time.sleep(0.05)
    assert page is not None, "no contact sheet while the sweep ran"
    return seen, page


def test_client_batch_sheet_fills_in_while_running(
    comfy_server: Any, examples_dir: Path, tmp_path: Path, browser: Any
) -> None:
    cfg = write_config(tmp_path, examples_dir)
    env = {**os.environ, "COMFY_SWEEP_SHEET_INTERVAL": "0.8"}
    cmd = [CR_BATCH, str(cfg), "--server", comfy_server.address, "--mode", "client"]
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        seen, page = watch(proc, tmp_path / "output")
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    wall = time.monotonic() - started
    assert proc.returncode == 0, err
    assert (
        f"contact sheet (updates as runs finish): {Path('output', page.parent.name, page.name)}"
        in err
    )
    running = [done for done, state in seen if state == "running"]
    # Filled in before the process ended: several running pages, more runs each time.
    assert len(running) >= 2 and running == sorted(running) and running[-1] > running[0], seen

    final = embedded(page)
    assert final is not None and final["batch"]["state"] == "done", final and final["batch"]
    assert [r["id"] for r in final["runs"]] == list(range(1, 11))  # every run has a cell
    assert final["batch"]["done"] == 10
    thumbs = sorted(p.name for p in (page.parent / "thumbnails").glob("thumb_*.jpg"))
    assert thumbs == [f"thumb_{i:04d}.jpg" for i in range(1, 11)]
    assert all(r["thumb"] for r in final["runs"]), final["runs"][0]
    assert json.loads((page.parent / "contact_sheet.json").read_text())["batch"]["state"] == "done"
    print(f"\nlive sheet: {len(seen)} pages seen during {wall:.1f}s: {seen}")

    # Opened as a file: the running page says to reload, the final one says done.
    snap = Sheet(browser, (page.parent / "running_snapshot.html").as_uri())
    assert snap.js(f"[{LIVE}.dataset.state, {LIVE}.textContent]") == [
        "static", "sweep still running — reload to see new runs"
    ]  # fmt: skip
    done = Sheet(browser, page.as_uri())
    assert done.js(f"{LIVE}.hidden") is True  # a finished sweep's page is no live page
    summary = done.js("document.getElementById('batch-summary').textContent")
    assert summary == "10 done · 0 failed · 10 planned · done"
    snap_summary = snap.js("document.getElementById('batch-summary').textContent")
    assert snap_summary.endswith(" · running"), snap_summary
    assert done.all_cell_ids() == list(range(1, 11))
    done.assert_inert()


def test_ctrl_c_leaves_a_final_interrupted_page(
    comfy_server: Any, examples_dir: Path, tmp_path: Path
) -> None:
    cfg = write_config(tmp_path, examples_dir)
    cmd = [CR_BATCH, str(cfg), "--server", comfy_server.address, "--mode", "client"]
    env = {**os.environ, "COMFY_SWEEP_SHEET_INTERVAL": "0.5"}
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 40
        while not (page := next((tmp_path / "output").glob("*/contact_sheet.html"), None)):
            assert proc.poll() is None and time.monotonic() < deadline, "no sheet"
            time.sleep(0.05)
        stopped = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        latency = time.monotonic() - stopped
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    data = embedded(page)
    assert data is not None and data["batch"]["state"] == "interrupted", data and data["batch"]
    assert data["batch"]["done"] < 10 and len(data["runs"]) == 10
    done_ids = [r["id"] for r in data["runs"] if r["status"] == "done"]
    assert all(r["thumb"] for r in data["runs"] if r["status"] == "done"), done_ids
    print(f"\nCtrl-C to exit: {latency:.2f}s, {len(done_ids)} runs done")
    assert latency < 10
