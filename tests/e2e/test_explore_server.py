"""Explorations run by the real ComfyUI 0.3.75 through our routes
(POST /comfy-sweep/explorations, docs/routes.md), on the model-free workflow
with a hidden optimum of tests/explore_optimum.py: an exploration with an
objective runs its phases, each an ordinary sweep on ComfyUI's queue, to a
report; the person's ratings (the ratings route, then continue) pick the
winner; a ComfyUI killed mid-step is continued from disk, the step's own sweep
resumed. The routes' 4xx answers are tests/routes/test_exploration_routes.py."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from comfy_harness import ONE_THREAD, ComfyServer
from explore_optimum import HIDDEN, render_reference, workflow
from server_http import poll, request

pytestmark = pytest.mark.comfy
X = "/comfy-sweep/explorations"


def wait_for(
    server: Any, xid: str, ok: Callable[[dict[str, Any]], bool], timeout: float = 240
) -> dict[str, Any]:
    return poll(server, f"{X}/{xid}", ok, timeout)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComfyServer]:
    """Its owner lets posted configs read this machine's files (the reference image)."""
    env = {"COMFY_SWEEP_ALLOW_LOCAL_PATHS": "1", **ONE_THREAD}
    srv = ComfyServer(tmp_path_factory.mktemp("comfy-explore"), env=env)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def reference(server: ComfyServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_reference(server, tmp_path_factory.mktemp("ref") / "ref.png")


PARAMS = {
    "strength": {"path": "nodes.2.inputs.strength", "min": 0.05, "max": 0.95},
    "rotation": {"path": "nodes.4.inputs.rotation",
                 "values": ["none", "90 degrees", "180 degrees", "270 degrees"]},
}  # fmt: skip


def test_an_objective_exploration_runs_to_its_report(server: ComfyServer, reference: Path) -> None:
    config = {
        "sampling_strategy": "explore", "num_samples": 16, "objective": "sim", "sweep_seed": 3,
        "metrics": {"sim": {"type": "similarity", "reference": str(reference)}},
        "parameters": PARAMS,
    }  # fmt: skip
    status, made = request(server, "POST", X, {"prompt": workflow(), "config": config})
    assert status == 202, made
    done = wait_for(server, made["id"], lambda b: b["state"] not in ("running",))
    assert done["state"] == "done", done
    hero = done["heroes"][0]
    assert hero["values"]["rotation"] == HIDDEN["rotation"]
    assert set(hero["values"]) == {"seed", "strength", "rotation"}
    keys = [s["key"] for s in done["steps"]]
    assert keys[0] == "search1" and keys[-1] == "seeds"
    # every step an ordinary sweep of this server, in the panel's list, done
    _, listed = request(server, "GET", "/comfy-sweep/sweeps")
    states = {s["id"]: s["state"] for s in listed["sweeps"]}
    assert all(states[s["sweep_id"]] == "done" for s in done["steps"]), (states, done["steps"])
    root = server.output_dir / "sweeps" / made["id"]
    assert (root / "explore.json").is_file() and (root / "hero.yaml").is_file()
    status, html = request(server, "GET", done["report"])
    assert status == 200 and 'id="heroes"' in html and "data:image/png;base64," in html


def _rate(server: ComfyServer, sweep: str, run_id: int, stars: int) -> None:
    path = f"/comfy-sweep/sweeps/{sweep}/runs/{run_id}/rating"
    status, body = request(server, "POST", path, {"rating": stars})
    assert status == 200, body


def test_ratings_pick_the_winner(server: ComfyServer) -> None:
    config = {"sampling_strategy": "explore", "num_samples": 8, "sweep_seed": 4,
              "parameters": PARAMS}  # fmt: skip
    status, made = request(server, "POST", X, {"prompt": workflow(), "config": config})
    assert status == 202, made
    xid = made["id"]
    body = wait_for(server, xid, lambda b: b["state"] == "rate")
    assert body["waiting"] == "search1" and body["actions"]["continue"] is True
    sweep = body["waiting_sweep"]
    status, answer = request(server, "POST", f"{X}/{xid}/continue")
    assert status == 409 and answer["error"]["code"] == "conflict"
    _, runs = request(server, "GET", f"/comfy-sweep/sweeps/{sweep}")
    chosen = runs["runs"][2]
    _rate(server, sweep, chosen["run_id"], 5)
    status, answer = request(server, "POST", f"{X}/{xid}/continue")
    assert status == 202, answer
    body = wait_for(server, xid, lambda b: b["state"] == "rate" and b["waiting"] == "seeds")
    assert body["steps"][0]["winner"]["run_id"] == chosen["run_id"]
    seeds = body["waiting_sweep"]
    _, seed_runs = request(server, "GET", f"/comfy-sweep/sweeps/{seeds}")
    for run in seed_runs["runs"]:  # the rated run's settings carried into seed mining
        assert run["values"]["rotation"] == chosen["values"]["rotation"]
    _rate(server, seeds, seed_runs["runs"][0]["run_id"], 3)
    request(server, "POST", f"{X}/{xid}/continue")
    body = wait_for(server, xid, lambda b: b["state"] == "done")
    assert body["heroes"][0]["run_id"] == chosen["run_id"]


def test_a_restart_mid_step_then_continue(server: ComfyServer) -> None:
    big = workflow(size=640, radius=25)  # runs slow enough to be cut off mid-step
    config = {"sampling_strategy": "explore", "num_samples": 12, "objective": "sharpness",
              "sweep_seed": 2, "parameters": PARAMS}  # fmt: skip
    status, made = request(server, "POST", X, {"prompt": big, "config": config})
    assert status == 202, made
    xid = made["id"]
    body = wait_for(server, xid, lambda b: b["current"] is not None)
    sweep = body["current"]["sweep_id"]

    def some_done(_: dict[str, Any]) -> bool:
        return bool(request(server, "GET", f"/comfy-sweep/sweeps/{sweep}")[1]["done"] >= 2)

    wait_for(server, xid, some_done)
    server.kill()
    server.start()
    status, body = request(server, "GET", f"{X}/{xid}")
    assert status == 200 and body["state"] == "interrupted", body
    assert body["actions"] == {"continue": True, "cancel": True}
    _, swept = request(server, "GET", f"/comfy-sweep/sweeps/{sweep}")
    assert swept["state"] == "interrupted" and swept["done"] < swept["total"]
    status, body = request(server, "POST", f"{X}/{xid}/continue")
    assert status == 202 and body["state"] == "running", body
    done = wait_for(server, xid, lambda b: b["state"] != "running")
    assert done["state"] == "done", done
    assert done["steps"][0]["sweep_id"] == sweep  # the step's own sweep, resumed
    _, swept = request(server, "GET", f"/comfy-sweep/sweeps/{sweep}?limit=1000")
    assert swept["state"] == "done" and swept["done"] == swept["total"] == len(swept["runs"])


def test_cr_batch_mode_server_runs_it_there(
    server: ComfyServer, reference: Path, tmp_path: Path
) -> None:
    import subprocess
    import sys

    import yaml

    (tmp_path / "wf.json").write_text(json.dumps(workflow()))
    (tmp_path / "ref.png").write_bytes(reference.read_bytes())
    config = {
        "workflow_file": "wf.json", "sampling_strategy": "explore", "num_samples": 8,
        "sweep_seed": 9, "objective": "sim", "parameters": PARAMS,
        "metrics": {"sim": {"type": "similarity", "reference": "ref.png"}},  # beside the config
    }  # fmt: skip
    (tmp_path / "explore.yaml").write_text(yaml.safe_dump(config))
    cmd = [str(Path(sys.executable).parent / "cr-batch"), str(tmp_path / "explore.yaml"),
           "--server", server.address, "--mode", "server"]  # fmt: skip
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "new exploration explore_" in res.stderr and "report: http://" in res.stderr
    assert "hero: run" in res.stderr
    xid = res.stderr.split("new exploration ")[1].split()[0]
    assert not (tmp_path / "output").exists()  # nothing runs or is kept here
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0 and f"continuing exploration {xid}" in res.stderr, res.stderr


def test_cr_explore_mode_server_waits_for_ratings(server: ComfyServer, tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "wf.json").write_text(json.dumps(workflow()))
    cmd = [str(Path(sys.executable).parent / "cr-explore"), str(tmp_path / "wf.json"),
           "--budget", "6", "--only", "nodes.2.inputs.strength=0.1:0.9", "--seed", "11",
           "--server", server.address, "--mode", "server"]  # fmt: skip
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "Rate the runs of parameter search (search1)" in res.stderr
    assert "--mode server --continue" in res.stderr
    res = subprocess.run([*cmd, "--continue"], capture_output=True, text=True, timeout=300,
                         check=False)  # fmt: skip
    assert res.returncode != 0 and "rated or picked yet" in res.stderr, res.stderr
