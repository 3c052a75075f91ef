"""cr-analyze through click's CliRunner: outputs, exit codes, --json, --server."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from comfy_sweep.cli.analyze import main, workflow_file_for
from shared_paths import SHARED_WORKFLOWS

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "image_noise_blur.json"
SHARED = SHARED_WORKFLOWS
SAVED = SHARED / "object_info_0.3.75.json"
needs_shared = pytest.mark.skipif(not SAVED.exists(), reason="shared workflows not present")


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # the default config file lands in the current directory
    return tmp_path


def run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.stdout, result.stderr


@needs_shared
def test_default_output_in_cwd(tmp_path: Path) -> None:
    wf = SHARED / "api" / "lora.json"
    result = CliRunner().invoke(main, [str(wf), "--object-info", str(SAVED)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "lora_batch_config.yaml"
    config = yaml.safe_load(out.read_text())
    assert (tmp_path / config["workflow_file"]).resolve() == wf.resolve()
    assert {"seed", "cfg", "steps", "lora_strength_model"} <= set(config["parameters"])
    assert "nodes.11.inputs.strength_model" in result.stdout and "wrote" in result.stdout
    assert "not among the server's files" in result.stderr  # model-less object_info
    again = CliRunner().invoke(main, [str(wf), "--object-info", str(SAVED)])
    assert again.exit_code == 2 and "--force" in again.output


@needs_shared
def test_json_only_on_stdout(tmp_path: Path) -> None:
    wf = SHARED / "api" / "sdxl_refiner_prompt_example.json"
    code, out, _ = run([str(wf), "--object-info", str(SAVED), "--json"])
    assert code == 0
    data = json.loads(out)
    assert data["schema_version"] == 1 and data["object_info_used"]
    end = [p for p in data["params"] if p["path"] == "nodes.11.inputs.end_at_step"]
    assert end[0]["suggestion"] == {"type": "values", "values": [10000]}
    assert not list(tmp_path.rglob("*.yaml"))  # --json without -o writes nothing


def test_example_without_object_info(tmp_path: Path) -> None:
    target = tmp_path / "cfg.yaml"
    code, out, err = run([str(EXAMPLE), "-o", str(target)])
    assert code == 0, err
    assert "no object_info" in err
    config = yaml.safe_load(target.read_text())
    # workflow_file is relative to the config's folder, or absolute when the two
    # share no folder but the root (no ../../.. climbing to the top)
    assert (target.parent / config["workflow_file"]).resolve() == EXAMPLE.resolve()
    shared = os.path.commonpath([target.parent.resolve(), EXAMPLE.resolve()])
    if shared == os.path.sep:
        assert config["workflow_file"] == EXAMPLE.resolve().as_posix()
    assert "parameters" in config and "output" in config


def test_ui_format_refused(tmp_path: Path) -> None:
    ui = tmp_path / "ui.json"
    ui.write_text(json.dumps({"nodes": [], "links": []}))
    code, _, err = run([str(ui)])
    assert code == 2
    assert "ui.json: this is a UI-format workflow" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["missing.json"], "cannot read workflow"),
        ([str(EXAMPLE), "--object-info", "nope.json"], "cannot read object_info"),
        ([str(EXAMPLE), "--server", "x:1", "--object-info", "o.json"], "not both"),
    ],
)
def test_bad_input_exit_2(args: list[str], needle: str) -> None:
    code, _, err = run(args)
    assert code == 2 and needle in err


def test_unreachable_server_one_line(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, out, err = run([str(EXAMPLE), "--server", f"127.0.0.1:{port}", "--json"])
    assert code == 3 and out == ""  # unreachable has its own exit code (issue 12), not 2
    assert err.count("\n") == 1 and "cannot reach ComfyUI" in err


@pytest.mark.comfy
def test_server_object_info(tmp_path: Path, comfy_server) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run([str(EXAMPLE), "--server", comfy_server.address, "--json"])
    assert code == 0, err
    data = json.loads(out)
    assert data["object_info_used"] is True
    assert not [w for w in data["warnings"] if "not in object_info" in w]


def test_workflow_file_is_relative_only_below_a_shared_folder(tmp_path: Path) -> None:
    wf = tmp_path / "workflows" / "wan" / "workflow.json"
    assert workflow_file_for(wf, tmp_path / "workflows" / "wan" / "c.yaml") == "workflow.json"
    assert workflow_file_for(wf, tmp_path / "workflows" / "wan" / "configs" / "c.yaml") == (
        "../workflow.json"
    )
    assert (
        workflow_file_for(wf, tmp_path / "elsewhere" / "c.yaml") == "../workflows/wan/workflow.json"
    )
    # only the root in common: absolute, never ../../.. up to it
    assert workflow_file_for(Path("/opt/wf.json"), tmp_path / "c.yaml") == "/opt/wf.json"


def test_config_that_exists_is_one_line(tmp_path: Path) -> None:
    target = tmp_path / "cfg.yaml"
    target.write_text("x: 1\n")
    code, _, err = run([str(EXAMPLE), "-o", str(target)])
    assert (
        code == 2
        and err == f"error: {target} exists; pass --force to overwrite or -o to choose another\n"
    )
    assert target.read_text() == "x: 1\n"
