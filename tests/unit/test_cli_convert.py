"""cr-convert (comfy-sweep convert): UI → API with a saved /object_info, and its one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from comfy_sweep.cli.convert import convert
from uiformat_graphs import EXAMPLE_API, OBJECT_INFO, blur_chain, example_workflow


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    ui = tmp_path / "ui.json"
    ui.write_text(json.dumps(example_workflow()))
    info = tmp_path / "object_info.json"
    info.write_text(json.dumps(OBJECT_INFO))
    return ui, info


def run(args: list[str]) -> tuple[int, str, str]:
    res = CliRunner().invoke(convert, args)
    return res.exit_code, res.stdout, res.stderr


def test_writes_the_api_file(files: tuple[Path, Path], tmp_path: Path) -> None:
    ui, info = files
    out = tmp_path / "api.json"
    code, _, err = run([str(ui), "--object-info", str(info), "-o", str(out)])
    assert code == 0, err
    assert json.loads(out.read_text()) == EXAMPLE_API
    assert f"wrote {out} (4 nodes)" in err


def test_prints_to_stdout(files: tuple[Path, Path]) -> None:
    ui, info = files
    code, out, _ = run([str(ui), "--object-info", str(info)])
    assert code == 0 and json.loads(out) == EXAMPLE_API


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ([], "give --server ADDR or --object-info FILE"),
        (["--object-info", "o.json", "--server", "x:1"], "not both"),
        (["--object-info", "missing.json"], "cannot read object_info"),
    ],
)
def test_option_errors(files: tuple[Path, Path], extra: list[str], needle: str) -> None:
    code, _, err = run([str(files[0]), *extra])
    assert code == 2 and needle in err and "Traceback" not in err


def test_api_format_input_is_refused(files: tuple[Path, Path], tmp_path: Path) -> None:
    api = tmp_path / "api.json"
    api.write_text(json.dumps(EXAMPLE_API))
    code, _, err = run([str(api), "--object-info", str(files[1])])
    assert code == 2 and "already in the API format" in err


def test_unknown_node_type_is_one_line(files: tuple[Path, Path], tmp_path: Path) -> None:
    ui = blur_chain()
    ui["nodes"][1]["type"] = "FancyBlur"
    path = tmp_path / "fancy.json"
    path.write_text(json.dumps(ui))
    code, _, err = run([str(path), "--object-info", str(files[1])])
    assert code == 2
    (line,) = err.strip().splitlines()
    assert (
        line.startswith(f"error: {path}: node 2 of type 'FancyBlur'") and "custom node pack" in line
    )
