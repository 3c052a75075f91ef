"""cr-batch in client mode against the real ComfyUI: every example config."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from comfy_sweep.cli.batch import main as cr_batch
from comfy_sweep.core.plan.model import Plan

pytestmark = pytest.mark.comfy
BIN = Path(sys.executable).parent
CONFIGS = ["image_sobol", "image_lhs", "image_grid", "image_random", "image_linear", "video_grid"]


def copy_config(examples_dir: Path, name: str, dest: Path, **changes: object) -> Path:
    """The example config in ``dest`` with workflow_file pointing back to the example."""
    data = yaml.safe_load((examples_dir / "configs" / f"{name}.yaml").read_text())
    data["workflow_file"] = str((examples_dir / "configs" / data["workflow_file"]).resolve())
    data.update(changes)
    path = dest / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def only_batch(base: Path) -> Path:
    (batch,) = [p for p in base.iterdir() if p.is_dir()]
    return batch


def metadata_rows(batch: Path) -> list[dict[str, str]]:
    with open(batch / "metadata.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def assert_batch_complete(batch: Path) -> list[dict[str, str]]:
    plan = Plan.from_json(json.loads((batch / "plan.json").read_text()))
    rows = metadata_rows(batch)
    assert sorted(int(r["run_id"]) for r in rows) == [r.run_id for r in plan.runs]  # each once
    by_id = {int(r["run_id"]): r for r in rows}
    for run in plan.runs:
        row = by_id[run.run_id]
        assert row["status"] == "done", row
        run_dir = batch / "runs" / run.folder
        params = json.loads((run_dir / "params.json").read_text())
        assert params  # exact parameters of the run
        outputs = row["outputs"].split(";")
        assert outputs and all(
            (batch / o).is_file() and (batch / o).stat().st_size > 0 for o in outputs
        )
        assert row["prompt_id"] and float(row["execution_s"]) >= 0
        assert not list(run_dir.glob("*.part"))
    return rows


@pytest.mark.parametrize("name", CONFIGS)
def test_batch_each_example_config(
    comfy_server, examples_dir: Path, isolated_cwd: Path, name: str
) -> None:
    cfg = copy_config(examples_dir, name, isolated_cwd)
    res = CliRunner().invoke(
        cr_batch, [str(cfg), "--server", comfy_server.address, "--mode", "client"]
    )
    assert res.exit_code == 0, res.output
    batch = only_batch(isolated_cwd / "output")
    assert f"cr-contact-sheet {Path('output', batch.name)}" in res.output
    rows = assert_batch_complete(batch)
    assert json.loads((batch / "progress.json").read_text())["state"] == "done"
    if name == "video_grid":
        assert all(r["outputs"].endswith(".mp4") or ".mp4" in r["outputs"] for r in rows)


def test_dry_run_needs_no_server(examples_dir: Path, isolated_cwd: Path) -> None:
    cfg = copy_config(examples_dir, "image_grid", isolated_cwd)
    res = CliRunner().invoke(cr_batch, [str(cfg), "--dry-run", "--server", "127.0.0.1:9"])
    assert res.exit_code == 0, res.output
    assert res.output.strip().splitlines()[-1] == "planned runs: 6"
    assert not (isolated_cwd / "output").exists()


def test_out_of_bounds_value_is_refused_before_queueing(
    comfy_server, examples_dir: Path, isolated_cwd: Path
) -> None:
    params = {"radius": {"path": "nodes.3.inputs.blur_radius", "type": "values", "values": [1, 99]}}
    cfg = copy_config(examples_dir, "image_grid", isolated_cwd, parameters=params)
    exe = shutil.which("cr-batch", path=str(BIN))
    assert exe
    res = subprocess.run(
        [exe, str(cfg), "--server", comfy_server.address, "--mode", "client"],
        capture_output=True, text=True, timeout=120, cwd=isolated_cwd,
    )  # fmt: skip
    assert res.returncode == 2, res.stderr
    assert "99" in res.stderr and "blur_radius" in res.stderr or "radius" in res.stderr
    assert "Traceback" not in res.stderr
    assert not (isolated_cwd / "output").exists() or not any((isolated_cwd / "output").iterdir())


def test_stopped_server_is_one_line_exit_3(
    comfy_server_factory, examples_dir: Path, isolated_cwd: Path
) -> None:
    server = comfy_server_factory()
    server.stop()
    cfg = copy_config(examples_dir, "image_grid", isolated_cwd)
    exe = shutil.which("cr-batch", path=str(BIN))
    assert exe
    res = subprocess.run(
        [exe, str(cfg), "--server", server.address, "--mode", "client"],
        capture_output=True, text=True, timeout=120, cwd=isolated_cwd,
    )  # fmt: skip
    assert res.returncode == 3  # ComfyUI unreachable: its own exit code (issue 12)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert f"cannot reach ComfyUI at {server.address}" in lines[0]
    assert "comfyui.server_address" in lines[0]


def test_server_mode_produces_the_same_layout(
    comfy_server, examples_dir: Path, isolated_cwd: Path
) -> None:
    cfg = copy_config(examples_dir, "image_grid", isolated_cwd)
    res = CliRunner().invoke(
        cr_batch, [str(cfg), "--server", comfy_server.address, "--mode", "server"]
    )
    assert res.exit_code == 0, res.output
    batch = only_batch(isolated_cwd / "output")
    progress = json.loads((batch / "progress.json").read_text())
    assert progress["mode"] == "server" and progress["server_sweep_id"]
    assert progress["state"] == "done"
    assert_batch_complete(batch)
