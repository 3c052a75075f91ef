"""A UI-format workflow (subgraph, primitive, bypassed node, reroute) through cr-run
and cr-batch against the real ComfyUI: converted with the server's /object_info,
run, and its UI graph kept (ui_workflow.json, the PNG's embedded workflow)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from comfy_sweep.cli.batch import main as cr_batch
from comfy_sweep.cli.run import main as cr_run
from PIL import Image

pytestmark = pytest.mark.comfy
BIN = Path(sys.executable).parent
EXAMPLE = "ui_noise_blur_subgraph.json"
API_IDS = {"1", "10:1", "10:2", "3"}


def write_config(dest: Path, workflow: Path, **changes: Any) -> Path:
    data: dict[str, Any] = {
        "workflow_file": str(workflow),
        "sampling_strategy": "grid",
        "parameters": {
            "sigma": {"path": "nodes.Blur.inputs.sigma", "type": "values", "values": [0.5, 2.0]},
            "seed": {"path": "nodes.10:1.inputs.seed", "type": "values", "values": [1, 2]},
        },
        **changes,
    }
    path = dest / "ui_sweep.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def embedded_workflow(png: Path) -> Any:
    with Image.open(png) as im:
        return json.loads(im.info["workflow"])


def test_cr_run_converts_runs_and_embeds_the_ui_graph(
    comfy_server: Any, examples_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = [str(examples_dir / EXAMPLE), "--server", comfy_server.address, "--out", str(out),
            "--set", "nodes.10:1.inputs.seed=7"]  # fmt: skip
    res = CliRunner().invoke(cr_run, args)
    assert res.exit_code == 0, res.output
    (run_dir,) = [p for p in out.iterdir() if p.is_dir()]
    prompt = json.loads((run_dir / "prompt.json").read_text())
    assert set(prompt) == API_IDS  # reroute, primitive, note, bypassed invert: gone
    assert prompt["10:1"]["inputs"]["seed"] == 7 and prompt["10:2"]["inputs"]["sigma"] == 1.5
    assert prompt["3"]["inputs"]["images"] == ["10:2", 0]
    (png,) = run_dir.glob("*.png")
    with Image.open(png) as im:
        assert im.size == (96, 96)  # the primitive's value reached width and height
    ui = json.loads((examples_dir / EXAMPLE).read_text())
    assert embedded_workflow(png) == ui  # "Load into graph" gets the original graph


def test_cr_batch_client_mode(comfy_server: Any, examples_dir: Path, isolated_cwd: Path) -> None:
    cfg = write_config(isolated_cwd, examples_dir / EXAMPLE)
    res = CliRunner().invoke(cr_batch, [str(cfg), "--server", comfy_server.address,
                                        "--mode", "client"])  # fmt: skip
    assert res.exit_code == 0, res.output
    (batch,) = [p for p in (isolated_cwd / "output").iterdir() if p.is_dir()]
    assert set(json.loads((batch / "workflow.json").read_text())) == API_IDS
    ui = json.loads((examples_dir / EXAMPLE).read_text())
    assert json.loads((batch / "ui_workflow.json").read_text()) == ui
    pngs = sorted(batch.glob("runs/*/*.png"))
    assert len(pngs) == 4
    assert all(embedded_workflow(p) == ui for p in pngs)
    params = [json.loads(p.read_text()) for p in batch.glob("runs/*/params.json")]
    assert {json.dumps(p, sort_keys=True) for p in params} and len(params) == 4


def test_cr_batch_server_mode(comfy_server: Any, examples_dir: Path, isolated_cwd: Path) -> None:
    cfg = write_config(isolated_cwd, examples_dir / EXAMPLE)
    res = CliRunner().invoke(cr_batch, [str(cfg), "--server", comfy_server.address,
                                        "--mode", "server"])  # fmt: skip
    assert res.exit_code == 0, res.output
    (batch,) = [p for p in (isolated_cwd / "output").iterdir() if p.is_dir()]
    progress = json.loads((batch / "progress.json").read_text())
    assert progress["mode"] == "server" and progress["state"] == "done"
    assert set(json.loads((batch / "workflow.json").read_text())) == API_IDS
    sweep = comfy_server.output_dir / "sweeps" / progress["server_sweep_id"]
    ui = json.loads((examples_dir / EXAMPLE).read_text())
    assert json.loads((sweep / "ui_workflow.json").read_text()) == ui


def test_cr_batch_dry_run_needs_object_info(
    comfy_server: Any, examples_dir: Path, isolated_cwd: Path
) -> None:
    cfg = write_config(isolated_cwd, examples_dir / EXAMPLE)
    exe = shutil.which("cr-batch", path=str(BIN))
    assert exe
    res = subprocess.run([exe, str(cfg), "--dry-run", "--server", "127.0.0.1:9"],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert res.returncode == 2
    (line,) = res.stderr.strip().splitlines()
    assert EXAMPLE in line and "UI-format" in line and "--object-info" in line
    saved = isolated_cwd / "object_info.json"
    with urllib.request.urlopen(comfy_server.url + "/object_info", timeout=60) as r:
        saved.write_bytes(r.read())
    res = subprocess.run([exe, str(cfg), "--dry-run", "--server", "127.0.0.1:9",
                          "--object-info", str(saved)],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "planned runs: 4"
