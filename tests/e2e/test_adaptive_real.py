"""sampling_strategy: adaptive and cr-refine on the real ComfyUI, over a
workflow with a hidden optimum (tests/hidden_optimum.py): the search comes
close to it within its budget, and cr-refine's ranges still contain it while
being narrower than the sweep's."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from comfy_sweep.cli.batch import main as cr_batch
from comfy_sweep.cli.refine import refine as cr_refine
from hidden_optimum import HIDDEN, RANGES, render_reference, sweep_config, workflow

pytestmark = pytest.mark.comfy

BUDGET = 16


def test_adaptive_finds_the_hidden_optimum_and_refine_keeps_it(
    comfy_server, isolated_cwd: Path
) -> None:
    ref = render_reference(comfy_server, isolated_cwd / "ref.png")
    wf = isolated_cwd / "hidden.json"
    wf.write_text(json.dumps(workflow()), encoding="utf-8")
    cfg = isolated_cwd / "adaptive.yaml"
    cfg.write_text(yaml.safe_dump(sweep_config(wf, ref, "adaptive", BUDGET, 3)), encoding="utf-8")

    dry = CliRunner().invoke(cr_batch, [str(cfg), "--dry-run", "--server", comfy_server.address])
    assert dry.exit_code == 0 and "decided as results arrive" in dry.output
    assert "planned runs: 4" in dry.output  # the initial Sobol design only

    res = CliRunner().invoke(
        cr_batch, [str(cfg), "--server", comfy_server.address, "--mode", "client"]
    )
    assert res.exit_code == 0, res.output
    (batch,) = [p for p in (isolated_cwd / "output").iterdir() if p.is_dir()]
    with open(batch / "metadata.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == BUDGET and all(r["status"] == "done" and r["score_like"] for r in rows)
    scores = [float(r["score_like"]) for r in rows]
    assert max(scores) > max(scores[:4])  # the proposals beat the initial design
    assert max(scores) >= 0.9

    out = isolated_cwd / "next.yaml"
    res = CliRunner().invoke(cr_refine, [str(batch), "--by", "like", "--top", "4", "-o", str(out)])
    assert res.exit_code == 0, res.output
    params = yaml.safe_load(out.read_text())["parameters"]
    for name, (lo, hi) in RANGES.items():
        new = params[name]
        assert new["min"] <= HIDDEN[name] <= new["max"], (name, new)
        assert new["max"] - new["min"] < hi - lo, (name, new)
    assert "around the top 4 by score_like" in out.read_text()


def test_a_float_input_saved_as_a_whole_number_stays_a_float(
    comfy_server, isolated_cwd: Path
) -> None:
    """The frontend writes sigma 1.0 as ``1``: without the server's object_info the
    adaptive source would take sigma for an integer and round every proposal."""
    ref = render_reference(comfy_server, isolated_cwd / "ref.png")
    wf = isolated_cwd / "hidden.json"
    wf.write_text(json.dumps(workflow({"sigma": 1})), encoding="utf-8")
    cfg = isolated_cwd / "adaptive.yaml"
    for budget in (4, 7):  # the initial design only, then extended: the store's own config
        data = sweep_config(wf, ref, "adaptive", budget, 5)
        cfg.write_text(yaml.safe_dump(data), encoding="utf-8")
        res = CliRunner().invoke(
            cr_batch, [str(cfg), "--server", comfy_server.address, "--mode", "client"]
        )
        assert res.exit_code == 0, res.output
    (batch,) = [p for p in (isolated_cwd / "output").iterdir() if p.is_dir()]
    plan = json.loads((batch / "plan.json").read_text(encoding="utf-8"))
    sigmas = [r["values"]["sigma"] for r in plan["runs"]]
    assert len(sigmas) == 7 and all(s != round(s) for s in sigmas[4:]), sigmas
