"""cr-batch shows the config's warnings and the plan's notes in every mode (QA pass):
a mistyped key was silent in server mode (the default against comfy-sweep), and
the Sobol power-of-two warning and the merged-duplicates note were never printed."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from comfy_sweep.cli.batch import main as cr_batch

TYPO = "c.yaml:3: unknown key 'sampling_stratgy' ignored (did you mean 'sampling_strategy'?)"
SOBOL = (
    "num_samples 10 is not a power of two; Sobol points are balanced at powers of two (nearest: 8)"
)
MERGED = "note: 13 duplicate points merged (identical after integer rounding or discrete values); 3 distinct samples remain"


def write(dest: Path, examples_dir: Path, body: str) -> Path:
    path = dest / "c.yaml"
    path.write_text(f"workflow_file: {examples_dir / 'image_noise_blur.json'}\n{body}")
    return path


def batch(*args: str) -> str:
    res = CliRunner().invoke(cr_batch, list(args))
    assert res.exit_code == 0, res.output
    return res.output


TYPO_CFG = (
    "num_samples: 10\nsampling_stratgy: grid\nparameters:\n"
    "  s: {path: nodes.2.inputs.strength, min: 0.1, max: 0.2}\n"
)
MERGE_CFG = (
    "num_samples: 16\nparameters:\n  b: {path: nodes.3.inputs.blur_radius, min: 1, max: 3}\n"
)


def test_dry_run_prints_plan_warnings_and_notes(examples_dir: Path, isolated_cwd: Path) -> None:
    out = batch(
        str(write(isolated_cwd, examples_dir, TYPO_CFG)), "--server", "127.0.0.1:9", "--dry-run"
    )
    assert out.count(TYPO) == 1 and out.count(SOBOL) == 1
    out = batch(
        str(write(isolated_cwd, examples_dir, MERGE_CFG)), "--server", "127.0.0.1:9", "--dry-run"
    )
    assert MERGED in out


@pytest.mark.comfy
@pytest.mark.parametrize("mode", ["client", "server"])
def test_every_mode_prints_them_once(
    comfy_server, examples_dir: Path, isolated_cwd: Path, mode: str
) -> None:
    cfg = write(isolated_cwd, examples_dir, TYPO_CFG)
    out = batch(str(cfg), "--server", comfy_server.address, "--mode", mode)
    assert out.count(TYPO) == 1 and out.count(SOBOL) == 1
    cfg = write(isolated_cwd, examples_dir, MERGE_CFG)
    out = batch(str(cfg), "--server", comfy_server.address, "--mode", mode, "--new")
    assert out.count(MERGED) == 1
