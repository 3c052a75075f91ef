"""cr-batch --json / cr-run --json against the real ComfyUI (issue 12): NDJSON on
stdout in both of cr-batch's modes, ending in ``end`` with the batch folder and
counts; without --json stdout is the batch folder alone, so $(cr-batch …) works."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_cli_batch import assert_batch_complete, copy_config

pytestmark = pytest.mark.comfy
BIN = Path(sys.executable).parent


def cli(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which(name, path=str(BIN))
    assert exe
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def events(stdout: str) -> list[dict[str, Any]]:
    parsed = [json.loads(line) for line in stdout.splitlines()]
    assert parsed and all("event" in e for e in parsed)
    return parsed


@pytest.mark.parametrize("mode", ["client", "server"])
def test_batch_json_events(
    comfy_server: Any, examples_dir: Path, isolated_cwd: Path, mode: str
) -> None:
    cfg = copy_config(examples_dir, "image_grid", isolated_cwd)
    res = cli("cr-batch", str(cfg), "--server", comfy_server.address, "--mode", mode, "--json",
              cwd=isolated_cwd)  # fmt: skip
    assert res.returncode == 0, res.stderr
    evs = events(res.stdout)
    kinds = [e["event"] for e in evs]
    assert kinds[0] == "start" and kinds[-1] == "end", kinds
    assert kinds.count("done") == 6 and "failed" not in kinds
    start, end = evs[0], evs[-1]
    assert start["mode"] == mode and start["total"] == 6
    batch = Path(end["batch"])
    assert (isolated_cwd / batch).is_dir() and start["batch"] == end["batch"]
    assert (end["state"], end["done"], end["failed"], end["total"], end["exit_code"]) == (
        "done", 6, 0, 6, 0,
    )  # fmt: skip
    done = [e for e in evs if e["event"] == "done"]
    assert sorted(e["run_id"] for e in done) == list(range(1, 7))  # each run once
    assert all(set(e["values"]) == {"strength", "blur_radius"} for e in done)
    assert "next: cr-contact-sheet" in res.stderr  # the hint is for people: stderr
    assert_batch_complete(isolated_cwd / batch)


def test_batch_stdout_is_only_the_folder(
    comfy_server: Any, examples_dir: Path, isolated_cwd: Path
) -> None:
    cfg = copy_config(examples_dir, "image_grid", isolated_cwd)
    res = cli("cr-batch", str(cfg), "--server", comfy_server.address, "--mode", "client",
              cwd=isolated_cwd)  # fmt: skip
    assert res.returncode == 0, res.stderr
    (line,) = res.stdout.splitlines()
    assert (isolated_cwd / line / "metadata.csv").is_file()
    again = cli("cr-batch", str(cfg), "--server", comfy_server.address, cwd=isolated_cwd)
    assert again.returncode == 0 and again.stdout == res.stdout  # already complete: same folder


def test_run_json_events(comfy_server: Any, examples_dir: Path, tmp_path: Path) -> None:
    wf = str(examples_dir / "image_noise_blur.json")
    res = cli("cr-run", wf, "--server", comfy_server.address, "--out", str(tmp_path),
              "--set", "nodes.2.inputs.seed=4242", "--json", cwd=tmp_path)  # fmt: skip
    assert res.returncode == 0, res.stderr
    submitted, done, end = events(res.stdout)
    assert (submitted["event"], done["event"], end["event"]) == ("submitted", "done", "end")
    assert done["prompt_id"] == submitted["prompt_id"] == end["prompt_id"]
    assert done["outputs"] and all(Path(p).is_file() for p in done["outputs"])
    assert end["state"] == "done" and end["exit_code"] == 0
