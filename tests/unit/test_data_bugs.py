"""Regression tests for the two ways a review found to lose or break data, and the
EDIT_ME placeholders a dry run let through (issue 12)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from comfy_sweep.core.config.load import load_config, parse_config, resolve_workflow_path
from comfy_sweep.core.config.validate import validate_config
from comfy_sweep.core.errors import ConfigError, StoreError
from comfy_sweep.core.plan.build import build_plan
from comfy_sweep.core.plan.folders import format_run_folder, sanitize_folder, unique_folder
from comfy_sweep.core.store.format import META_HEAD, META_TAIL, RESERVED_COLUMNS
from comfy_sweep.core.store.runstore import RunStore
from comfy_sweep.core.workflow import Workflow, load_workflow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WF = Workflow.from_data(
    {
        "1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 64}},
        "2": {
            "class_type": "ImageAddNoise",
            "inputs": {"image": ["1", 0], "seed": 4, "strength": 0.5},
        },
    }
)


# ---- 1. a parameter named like a fixed column -------------------------------------
@pytest.mark.parametrize(
    "name", ["status", "error", "run_id", "prompt_id", "queued_at", "score_sharpness", "rating"]
)
def test_a_parameter_named_like_a_column_is_refused_naming_it(name: str) -> None:
    text = f"parameters:\n  {name}: {{path: nodes.2.inputs.strength, values: [0.1, 0.2]}}\n"
    with pytest.raises(ConfigError) as info:
        parse_config(text, source="c.yaml")
    assert info.value.field == f"parameters.{name}"
    assert info.value.message.startswith("c.yaml:2: parameters.")
    assert "column of metadata.csv" in info.value.message


def test_every_fixed_column_is_reserved() -> None:
    assert set(META_HEAD) | set(META_TAIL) <= RESERVED_COLUMNS


def test_dry_run_refuses_a_column_named_parameter(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"workflow_file: {EXAMPLES / 'image_noise_blur.json'}\n"
        "sampling_strategy: grid\n"
        "parameters:\n"
        "  status: {path: nodes.3.inputs.blur_radius, values: [1, 2]}\n"
    )
    out = _cr_batch(cfg, "--dry-run")
    assert out.returncode == 2
    assert "parameters.status" in out.stderr and "Traceback" not in out.stderr


def test_the_reader_refuses_a_duplicated_header(tmp_path: Path) -> None:
    cfg = load_config(EXAMPLES / "configs" / "image_grid.yaml")
    wf = load_workflow(resolve_workflow_path(cfg))
    store = RunStore.create(tmp_path, cfg, wf, build_plan(cfg, wf))
    meta = store.root / "metadata.csv"
    header = meta.read_text().splitlines()[0]
    # What an older version wrote for a parameter called "status".
    meta.write_text(header.replace("run_id,status,", "run_id,status,status,") + "\n")
    with pytest.raises(StoreError, match="duplicated columns: status"):
        RunStore.open(store.root)


# ---- 2. folder names past 255 bytes ------------------------------------------------
@pytest.mark.parametrize("value", ["猫" * 100, "🦊" * 80, "👩‍👩‍👧‍👦" * 30, "é" * 200])
def test_folder_names_are_capped_in_bytes_and_can_be_made(tmp_path: Path, value: str) -> None:
    folder = format_run_folder("{run_id:04d}_{prompt}", 7, {"prompt": value})
    assert len(folder.encode("utf-8")) <= 150
    folder.encode("utf-8").decode("utf-8")  # a whole number of characters
    assert folder.startswith("0007_")
    (tmp_path / folder).mkdir()


def test_capped_folder_names_stay_unique() -> None:
    taken: set[str] = set()
    names = [
        unique_folder(format_run_folder("{p}", i, {"p": "猫" * 100 + str(i)}), i, taken)
        for i in (1, 2, 3)
    ]
    assert len(set(names)) == 3 and all(len(n.encode()) < 255 for n in names)


@pytest.mark.parametrize("name", ["CON", "nul", "COM1.txt", "LPT9"])
def test_windows_reserved_names_are_escaped(name: str) -> None:
    assert sanitize_folder(name, "0001").startswith("_")


# ---- 3. EDIT_ME on a number, caught without a server -------------------------------
def test_text_where_the_workflow_holds_a_number_is_refused_offline() -> None:
    text = "parameters:\n  strength: {path: nodes.2.inputs.strength, values: [0.2, EDIT_ME]}\n"
    cfg = parse_config(text, source="c.yaml")
    with pytest.raises(ConfigError) as info:
        validate_config(cfg, WF, None)
    assert info.value.field == "parameters.strength.values.1"
    assert (
        "'EDIT_ME' is text" in info.value.message
        and "nodes.2.inputs.strength" in info.value.message
    )


def test_dry_run_refuses_edit_me(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"workflow_file: {EXAMPLES / 'image_noise_blur.json'}\n"
        "sampling_strategy: grid\n"
        "parameters:\n"
        "  blur: {path: nodes.3.inputs.blur_radius, values: [EDIT_ME]}\n"
    )
    out = _cr_batch(cfg, "--dry-run", "--server", "127.0.0.1:9")
    assert out.returncode == 2
    assert "parameters.blur.values.0" in out.stderr and "EDIT_ME" in out.stderr


def _cr_batch(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "cr-batch"), str(cfg), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def test_the_analyzer_never_names_a_parameter_like_a_column() -> None:
    from comfy_sweep.core.analyzer import analyze

    wf = Workflow.from_data(
        {"1": {"class_type": "Custom", "inputs": {"status": 3, "error": 0.5, "cfg": 7.0}}}
    )
    names = {p.name for p in analyze(wf).params}
    assert names >= {"status_input", "error_input", "cfg"}
    assert not names & {"status", "error"}
