"""comfy-sweep explore end to end on the real ComfyUI, with model-free workflows
(tests/explore_optimum.py): the hidden optimum found (the COMBO exactly, the
score within 2 % of its optimum) with surfing skipped (no sampler), a
report, and a hero.yaml that cr-batch turns into the same bytes; a kill mid-
phase then a rerun continue the same batches, a larger budget extends them;
without an objective the person's ratings (cr-rate) choose the winners."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from comfy_sweep.core.store.reader import StoreReader
from explore_optimum import HIDDEN, ONLY, distance, render_reference, workflow

pytestmark = pytest.mark.comfy
BIN = Path(sys.executable).parent


def explore_cmd(wf: Path, out: Path, server: Any, budget: int, *extra: str) -> list[str]:
    cmd = [str(BIN / "cr-explore"), str(wf), "--budget", str(budget), "-o", str(out)]
    cmd += ["--server", server.address]
    for only in ONLY:
        cmd += ["--only", only]
    return cmd + list(extra)


def run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=cwd, check=False)


def state_of(out: Path) -> tuple[Path, dict[str, Any]]:
    (root,) = [p for p in out.iterdir() if p.name.startswith("explore_")]
    return root, json.loads((root / "explore.json").read_text())


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def setup(comfy_server: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    home = tmp_path_factory.mktemp("explore")
    (home / "wf.json").write_text(json.dumps(workflow()))
    render_reference(comfy_server, home / "ref.png")
    return home, home / "wf.json"


def test_explore_finds_the_hidden_optimum(setup: tuple[Path, Path], comfy_server: Any) -> None:
    home, wf = setup
    out = home / "out"
    res = run(
        explore_cmd(wf, out, comfy_server, 40, "--metric", "sim=similarity:ref.png,psnr"), home
    )
    assert res.returncode == 0, res.stderr[-3000:]
    root, state = state_of(out)
    assert state["state"] == "done"
    assert "no sampler" in state["notes"]["skipped"]["surfing"]
    assert not (root / "phase1_surfing").exists()
    # with an objective the search is one adaptive batch (--search sobol: narrowing rounds)
    assert sorted(state["steps"]) == ["search1", "seeds"]
    search = yaml.safe_load((root / "phase2_search" / "search1.yaml").read_text())
    assert search["sampling_strategy"] == "adaptive" and search["objective"]["metric"] == "sim"
    hero = state["notes"]["heroes"][0]
    assert hero["values"]["rotation"] == HIDDEN["rotation"]
    # SSIM is 1 at the hidden values: the hero lands within 2 % of that optimum. (The
    # blur's sigma barely changes the picture past ~2 with this kernel, so the values
    # themselves are only pinned down where the score is: printed, not asserted.)
    assert hero["score"] >= 0.98, hero
    print("distance of the hero's values from the hidden ones:", distance(hero["values"]))
    assert sum(s["runs"] for s in state["steps"].values()) <= 40
    importance = state["notes"]["importance"]
    assert {e["name"] for e in importance} == {"strength", "sigma", "rotation"}
    report = (root / "explore_report.html").read_text()
    assert 'id="heroes"' in report and "data:image/png;base64," in report
    assert 'id="importance"' in report and "hero.yaml" in report
    for step in state["steps"].values():  # every phase's sheet links the report
        sheet = (root / step["batch"] / "contact_sheet.html").read_text()
        assert 'href="../../explore_report.html"' in sheet
    # hero.yaml run by cr-batch renders the hero runs again, byte for byte
    res = run([str(BIN / "cr-batch"), str(root / "hero.yaml"), "--mode", "client"], home)
    assert res.returncode == 0, res.stderr[-3000:]
    (again,) = (root / "hero").iterdir()
    again_store = StoreReader.open(again)
    made = {r.values["seed"]: sha(again / r.outputs[0]) for r in again_store.records()}
    heroes = [
        h
        for h in state["notes"]["heroes"]
        if h["values"] == {**hero["values"], "seed": h["values"]["seed"]}
    ]
    assert len(made) == len(heroes) >= 1
    for h in heroes:
        assert made[h["values"]["seed"]] == sha(root / h["batch"] / h["outputs"][0])
    prod = yaml.safe_load((root / "production.yaml").read_text())
    assert prod["sampling_strategy"] == "grid" and len(prod["parameters"]["sigma"]["values"]) == 3


def _runs_done(folder: Path) -> int:
    for batch in folder.glob("batch_*"):
        meta = batch / "metadata.csv"
        if meta.is_file():
            return max(0, len(meta.read_text().splitlines()) - 1)
    return 0


def test_kill_mid_phase_then_rerun_continues(comfy_server: Any, tmp_path: Path) -> None:
    wf = tmp_path / "big.json"  # bigger images: runs slow enough to be killed mid-phase
    wf.write_text(json.dumps(workflow(size=640, radius=25)))
    out = tmp_path / "out"
    cmd = explore_cmd(wf, out, comfy_server, 24, "--objective", "sharpness")
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 300
    phase = None
    while time.monotonic() < deadline and proc.poll() is None:
        roots = list(out.glob("explore_*/phase2_search"))
        if roots and _runs_done(roots[0]) >= 2:
            phase = roots[0]
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert phase is not None, "the search never started"
    (batch,) = phase.glob("batch_*")
    before = _runs_done(phase)
    assert before < 12, "killed too late: search1 had finished"
    res = run(cmd, tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "resuming" in res.stderr
    root, state = state_of(out)
    assert state["state"] == "done" and state["steps"]["search1"]["batch"].endswith(batch.name)
    assert len(StoreReader.open(batch).records()) == state["steps"]["search1"]["runs"]
    # A larger budget: the same exploration goes on, round 1 extended in place
    res = run([*cmd[:3], "32", *cmd[4:]], tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "budget 24 -> 32" in res.stderr and "extending" in res.stderr
    root2, state = state_of(out)
    assert root2 == root and state["budget"] == 32 and state["state"] == "done"
    assert state["steps"]["search1"]["batch"].endswith(batch.name)
    assert sum(1 for _ in root.glob("phase3_seeds/batch_*")) >= 1


def _rate(batch: Path, run_id: int, stars: int) -> None:
    res = subprocess.run([str(BIN / "cr-rate"), str(batch), str(run_id), str(stars)],
                         capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert res.returncode == 0, res.stderr


def test_ratings_choose_the_winners(
    setup: tuple[Path, Path], comfy_server: Any, tmp_path: Path
) -> None:
    _, wf = setup
    out = tmp_path / "out"
    cmd = explore_cmd(wf, out, comfy_server, 12)  # no metric: the person decides
    res = run(cmd, tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "Rate the runs of parameter search" in res.stderr and "--continue" in res.stderr
    root, state = state_of(out)
    assert state["state"] == "rate" and state["waiting"] == "search1"
    batch = root / state["steps"]["search1"]["batch"]
    res = run([*cmd, "--continue"], tmp_path)  # nothing rated yet: refused, nothing run
    assert res.returncode == 2 and "no run" in res.stderr and "rated" in res.stderr
    records = StoreReader.open(batch).records()
    chosen = records[len(records) // 2]
    _rate(batch, chosen.run_id, 5)
    _rate(batch, records[0].run_id, 2)
    res = run([*cmd, "--continue"], tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    root, state = state_of(out)
    assert state["steps"]["search1"]["winner"]["run_id"] == chosen.run_id
    assert state["waiting"] == "seeds"
    seeds = StoreReader.open(root / state["steps"]["seeds"]["batch"]).records()
    for rec in seeds:  # the rated run's settings carried into seed mining
        for name in ("strength", "sigma", "rotation"):
            assert rec.values[name] == chosen.values[name]
    _rate(root / state["steps"]["seeds"]["batch"], seeds[-1].run_id, 4)
    res = run([*cmd, "--continue"], tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    _, state = state_of(out)
    assert state["state"] == "done"
    heroes = state["notes"]["heroes"]
    assert heroes[0]["run_id"] == chosen.run_id and heroes[0]["rating"] == 5
    assert heroes[1]["values"]["seed"] == seeds[-1].values["seed"]


def test_a_config_with_sampling_strategy_explore(
    setup: tuple[Path, Path], comfy_server: Any, tmp_path: Path
) -> None:
    home, wf = setup
    config = {
        "workflow_file": str(wf), "sampling_strategy": "explore", "num_samples": 16,
        "objective": "sim", "sweep_seed": 3,
        "metrics": {"sim": {"type": "similarity", "reference": str(home / "ref.png")}},
        "parameters": {
            "strength": {"path": "nodes.2.inputs.strength", "min": 0.05, "max": 0.95},
            "rotation": {"path": "nodes.4.inputs.rotation",
                         "values": ["none", "90 degrees", "180 degrees", "270 degrees"]},
        },
        "output": {"base_dir": str(tmp_path / "out")},
    }  # fmt: skip
    (tmp_path / "explore.yaml").write_text(yaml.safe_dump(config))
    cmd = [str(BIN / "cr-batch"), str(tmp_path / "explore.yaml"), "--server", comfy_server.address]
    res = run(cmd, tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    root, state = state_of(tmp_path / "out")
    assert state["state"] == "done" and state["sweep_seed"] == 3
    hero = state["notes"]["heroes"][0]
    assert hero["values"]["rotation"] == HIDDEN["rotation"]
    assert set(hero["values"]) == {"seed", "strength", "rotation"}  # sigma was not listed
    res = run([*cmd, "--dry-run"], tmp_path)
    assert res.returncode == 2 and "client mode only" in res.stderr
