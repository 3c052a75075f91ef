"""cr-run of the prompt ComfyUI ran just before (QA pass): ComfyUI answers it from
its cache with no outputs at all; cr-run said nothing and saved nothing."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from click.testing import CliRunner
from comfy_sweep.cli.run import main as cr_run

pytestmark = pytest.mark.comfy


def test_rerunning_the_same_prompt_says_why_nothing_was_saved(
    comfy_server, examples_dir: Path, tmp_path: Path
) -> None:
    # A seed nobody else uses, so the first run really executes on the shared server.
    seed = f"nodes.Noise.inputs.seed={secrets.randbelow(2**40)}"
    args = [str(examples_dir / "image_noise_blur.json"), "--server", comfy_server.address]
    args += ["--set", seed, "--set", "nodes.4.inputs.filename_prefix=qa-cached/img"]
    first = CliRunner().invoke(cr_run, [*args, "--out", str(tmp_path / "a")])
    assert first.exit_code == 0 and ".png" in first.output and "warning" not in first.output
    again = CliRunner().invoke(cr_run, [*args, "--out", str(tmp_path / "b")])
    assert again.exit_code == 0, again.output
    assert "warning: ComfyUI reported no outputs: every node came from its cache" in again.output
    assert not list((tmp_path / "b").rglob("*.png"))
