"""Scores for every run as it finishes (``metrics:``), on the real ComfyUI: client
mode through cr-batch, server mode through the extension's routes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from comfy_sweep.cli.batch import main as cr_batch
from test_cli_batch import assert_batch_complete, copy_config, only_batch

pytestmark = pytest.mark.comfy

METRICS = {"sharp": {"type": "sharpness"}, "noise": {"type": "noise"}}


def test_client_mode_scores_every_run_as_it_finishes(
    comfy_server, examples_dir: Path, isolated_cwd: Path
) -> None:
    cfg = copy_config(examples_dir, "image_grid", isolated_cwd, metrics=METRICS)
    res = CliRunner().invoke(
        cr_batch, [str(cfg), "--server", comfy_server.address, "--mode", "client"]
    )
    assert res.exit_code == 0, res.output
    batch = only_batch(isolated_cwd / "output")
    rows = assert_batch_complete(batch)
    assert all(r["score_sharp"] and r["score_noise"] for r in rows)
    # The grid blurs by radius 1, 4, 7: at one noise strength, more blur is less sharp.
    by = {(r["strength"], int(r["blur_radius"])): float(r["score_sharp"]) for r in rows}
    for strength in {k[0] for k in by}:
        assert by[(strength, 1)] > by[(strength, 4)] > by[(strength, 7)]
    saved = yaml.safe_load((batch / "config.yaml").read_text())
    assert saved["metrics"] == METRICS  # cr-score can recompute from the batch alone


def test_server_mode_scores_on_the_server_and_mirrors_them(
    comfy_server, examples_dir: Path, isolated_cwd: Path
) -> None:
    cfg = copy_config(examples_dir, "image_grid", isolated_cwd, metrics=METRICS)
    res = CliRunner().invoke(
        cr_batch, [str(cfg), "--server", comfy_server.address, "--mode", "server"]
    )
    assert res.exit_code == 0, res.output
    assert "server sweep" in res.output
    rows = assert_batch_complete(only_batch(isolated_cwd / "output"))
    assert all(r["score_sharp"] and r["score_noise"] for r in rows)


def test_a_posted_command_scorer_is_refused(comfy_server, examples_dir: Path) -> None:
    import urllib.request

    prompt = json.loads((examples_dir / "image_noise_blur.json").read_text())
    body = {
        "prompt": prompt,
        "config": {
            "sampling_strategy": "grid",
            "parameters": {"b": {"path": "nodes.3.inputs.blur_radius", "values": [1, 2]}},
            "metrics": {"mine": {"type": "command", "command": ["python", "x.py", "{file}"]}},
        },
    }
    req = urllib.request.Request(
        f"http://{comfy_server.address}/comfy-sweep/sweeps",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=30)
    assert info.value.code == 400
    err = json.loads(info.value.read())["error"]
    assert err["field"] == "config.metrics.mine.type"
    assert "COMFY_SWEEP_ALLOW_COMMAND_SCORERS" in err["message"]
