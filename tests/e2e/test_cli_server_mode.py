"""cr-batch as a thin client of the comfy-sweep extension (real ComfyUI):
the local batch mirrors the server sweep in the client-mode layout with the
same progress lines; a finished sweep is reported, not rerun; a server sweep
is never resumed from this process (--mode client re-attaches via the server,
a plain ComfyUI refuses it in one line); an unknown sweep (404) is one line;
Ctrl-C detaches, says how to re-attach or cancel, and a rerun re-attaches."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from comfy_sweep.cli.batch import main as cr_batch
from comfy_sweep.core.config.load import load_config, resolve_workflow_path
from comfy_sweep.core.plan.build import build_plan
from comfy_sweep.core.store.runstore import RunStore
from comfy_sweep.core.sweep.select import batch_identity
from comfy_sweep.core.workflow import load_workflow
from test_cli_batch import assert_batch_complete, copy_config, only_batch
from test_cli_interrupt import CR_BATCH, rows_recorded, start, wait_for, write_slow_config

pytestmark = pytest.mark.comfy


def batch(cfg: Path, server: str, *extra: str) -> tuple[int, str]:
    res = CliRunner().invoke(cr_batch, [str(cfg), "--server", server, *extra])
    return res.exit_code, res.output


def history_ids(server) -> set[str]:
    data = server.get_json("/history")
    assert isinstance(data, dict)
    return set(data)


def test_server_mode_mirrors_the_client_layout(
    comfy_server, examples_dir: Path, isolated_cwd: Path
) -> None:
    cfg = copy_config(examples_dir, "image_sobol", isolated_cwd)
    code, out = batch(cfg, comfy_server.address)  # auto: the extension answers
    assert code == 0, out
    folder = only_batch(isolated_cwd / "output")
    assert "server sweep" in out and f"cr-contact-sheet {Path('output', folder.name)}" in out
    assert out.count(" done  strength=") == 16  # one progress line per run, as in client mode
    assert "[16/16" in out
    assert_batch_complete(folder)
    progress = json.loads((folder / "progress.json").read_text())
    assert progress["mode"] == "server" and progress["server_sweep_id"]
    assert (folder / "contact_sheet.html").is_file()
    assert "contact sheet (updates as runs finish)" in out
    sheet = json.loads((folder / "contact_sheet.json").read_text())
    assert sheet["batch"]["state"] == "done" and len(sheet["runs"]) == 16
    assert len(list((folder / "thumbnails").glob("thumb_*.jpg"))) == 16
    seen = history_ids(comfy_server)

    code, out = batch(cfg, comfy_server.address)
    assert code == 0 and "is already complete (16 runs)" in out

    # A mirror left unfinished (say, the laptop slept) is re-attached through the
    # server even under --mode client: running it here would run it twice.
    RunStore.open(folder).set_state("interrupted")
    code, out = batch(cfg, comfy_server.address, "--mode", "client")
    assert code == 0, out
    assert "is a server sweep" in out and "re-attached" in out
    assert history_ids(comfy_server) == seen  # nothing queued again
    assert only_batch(isolated_cwd / "output") == folder

    # The server forgot the sweep (data wiped): one line, exit 2.
    RunStore.open(folder).set_state("interrupted", server_sweep_id="batch_gone")
    code, out = batch(cfg, comfy_server.address)
    assert code == 2
    assert out.strip().count("\n") == 0 and "server sweep batch_gone" in out
    assert "unknown to ComfyUI" in out and "--new" in out


def test_ctrl_c_detaches_and_rerun_reattaches(comfy_server, tmp_path: Path) -> None:
    cfg = write_slow_config(tmp_path, runs=6, prefix="detach")
    cmd = [CR_BATCH, str(cfg), "--server", comfy_server.address, "--mode", "server"]
    proc = start(cmd, tmp_path)
    try:
        folder = wait_for(lambda: rows_recorded(tmp_path / "output", 1), what="first mirrored run")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    sid = json.loads((folder / "progress.json").read_text())["server_sweep_id"]
    assert f"detached: sweep {sid} keeps running" in err
    assert "Rerun the same command to re-attach" in err
    assert f"curl -X POST {comfy_server.url}/comfy-sweep/sweeps/{sid}/cancel" in err
    state = comfy_server.get_json(f"/comfy-sweep/sweeps/{sid}?limit=1")["state"]
    assert state in ("queued", "running", "done")  # the server kept it going

    res = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert f"re-attached to server sweep {sid}" in res.stderr
    assert len(assert_batch_complete(folder)) == 6


def test_plain_comfyui_refuses_a_server_sweep(
    comfy_server_factory, examples_dir: Path, isolated_cwd: Path
) -> None:
    plain = comfy_server_factory(link_package=False)  # no comfy-sweep extension
    cfg_path = copy_config(examples_dir, "image_grid", isolated_cwd)
    cfg = load_config(cfg_path)
    wf = load_workflow(resolve_workflow_path(cfg))
    ident = batch_identity(cfg, wf)
    extra = {**ident, "mode": "server", "server_sweep_id": "batch_x", "server_address": "gpu:8188"}
    store = RunStore.create(Path("output"), cfg, wf, build_plan(cfg, wf), extra=extra)
    code, out = batch(cfg_path, plain.address, "--mode", "client")
    assert code == 2
    assert out.strip().count("\n") == 0
    assert f"{store.root} is server sweep batch_x" in out and "--server gpu:8188" in out
    assert history_ids(plain) == set()  # nothing was queued


def test_auto_mode_against_a_plain_comfyui_runs_the_sweep_itself(
    comfy_server_factory, examples_dir: Path, isolated_cwd: Path
) -> None:
    plain = comfy_server_factory(link_package=False)  # no comfy-sweep extension
    cfg_path = copy_config(examples_dir, "image_grid", isolated_cwd)
    code, out = batch(cfg_path, plain.address)  # --mode auto, the default
    assert code == 0, out
    notices = [ln for ln in out.splitlines() if "has no comfy-sweep extension" in ln]
    assert len(notices) == 1 and "running the sweep from this process" in notices[0]
    folder = only_batch(isolated_cwd / "output")
    assert len(assert_batch_complete(folder)) == 6
    assert json.loads((folder / "progress.json").read_text()).get("mode") != "server"
    assert len(history_ids(plain)) == 6  # every run queued by the CLI itself, once
