"""A bad server address names where it came from (QA pass): --server on the command
line (cr-run and cr-analyze have no config at all), or the config file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from comfy_sweep.cli.analyze import main as cr_analyze
from comfy_sweep.cli.batch import main as cr_batch
from comfy_sweep.cli.run import main as cr_run

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "image_noise_blur.json"
SCHEME = "server address 'ftp://x': only http:// and https:// are supported"


def run(command, args: list[str]) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    res = CliRunner().invoke(command, args)
    return res.exit_code, res.output


@pytest.mark.parametrize("command", [cr_run, cr_analyze])
def test_bad_server_option_is_blamed_on_the_option(command) -> None:  # type: ignore[no-untyped-def]
    assert run(command, [str(EXAMPLE), "--server", "ftp://x"]) == (
        2,
        f"error: --server: {SCHEME}\n",
    )


def test_bad_server_in_cr_batch(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"workflow_file: {EXAMPLE}\ncomfyui:\n  server_address: ftp://x\n"
        "parameters:\n  s: {path: nodes.2.inputs.strength, values: [0.1]}\n"
    )
    assert run(cr_batch, [str(cfg)]) == (2, f"error: {cfg}:3: comfyui.server_address: {SCHEME}\n")
    assert run(cr_batch, [str(cfg), "--server", "ftp://x"]) == (2, f"error: --server: {SCHEME}\n")
