"""cr-batch --fail-fast on the real ComfyUI, both modes (QA pass): a run that
ComfyUI fails at execution (h264 refuses an odd frame width) stops the sweep,
the exit code is 1 (runs failed, not 130 = Ctrl-C) and the flag reaches the
server's engine in server mode (it was dropped from the posted config)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from comfy_sweep.cli.batch import main as cr_batch
from comfy_sweep.core.store.runstore import RunStore
from test_cli_batch import only_batch

pytestmark = pytest.mark.comfy


def odd_width_config(examples_dir: Path, dest: Path) -> Path:
    data = {
        "workflow_file": str(examples_dir / "video_noise_blur.json"),
        "sampling_strategy": "grid",
        "parameters": {
            "width": {"path": "nodes.1.inputs.width", "values": [128, 129, 131]},
            "strength": {"path": "nodes.2.inputs.strength", "values": [0.2, 0.4]},
        },
    }
    path = dest / "odd.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("mode", ["client", "server"])
def test_fail_fast_stops_at_the_first_failure_and_exits_1(
    comfy_server, examples_dir: Path, isolated_cwd: Path, mode: str
) -> None:
    cfg = odd_width_config(examples_dir, isolated_cwd)
    args = [str(cfg), "--server", comfy_server.address, "--mode", mode, "--fail-fast"]
    res = CliRunner().invoke(cr_batch, args)
    assert res.exit_code == 1, res.output
    assert "stopped at the first failed run (--fail-fast)" in res.output
    assert "Traceback" not in res.output
    recs = RunStore.open(only_batch(isolated_cwd / "output")).records()
    assert any(r.status == "failed" and r.values["width"] != 128 for r in recs)
    assert len(recs) < 6  # the odd widths after the first failure were never run
