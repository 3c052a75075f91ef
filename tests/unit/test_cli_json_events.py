"""Machine-readable output and environment variables (issue 12), without a server:
--json is NDJSON on stdout ending in an ``end`` line, errors included; the human
lines stay on stderr; COMFY_SWEEP_SERVER sets --server."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from click.testing import CliRunner
from comfy_sweep.cli.batch import main as cr_batch
from comfy_sweep.cli.run import main as cr_run

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "image_noise_blur.json"


def config(tmp_path: Path, server: str = "127.0.0.1:8188") -> Path:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"workflow_file: {EXAMPLE}\ncomfyui:\n  server_address: {server}\n"
        "parameters:\n  s: {path: nodes.2.inputs.strength, values: [0.1, 0.2, 0.3]}\n"
    )
    return cfg


def events(stdout: str) -> list[dict[str, object]]:
    lines = stdout.splitlines()
    assert lines, "no output"
    parsed = [json.loads(line) for line in lines]  # every stdout line is one JSON object
    assert all(isinstance(e, dict) and "event" in e for e in parsed)
    return parsed


def free_port() -> int:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_dry_run_json_is_the_plan_then_end(tmp_path: Path) -> None:
    res = CliRunner().invoke(cr_batch, [str(config(tmp_path)), "--dry-run", "--json"])
    assert res.exit_code == 0, res.output
    plan, end = events(res.stdout)
    assert plan["event"] == "plan" and plan["total"] == 3
    assert [r["values"]["s"] for r in plan["runs"]] == [0.1, 0.2, 0.3]  # type: ignore[index,union-attr]
    assert end == {"event": "end", "exit_code": 0}


def test_unreachable_server_is_exit_3_with_an_error_event(tmp_path: Path) -> None:
    address = f"127.0.0.1:{free_port()}"
    args = [str(EXAMPLE), "--server", address, "--out", str(tmp_path), "--json"]
    res = CliRunner().invoke(cr_run, args)
    assert res.exit_code == 3, res.output
    error, end = events(res.stdout)
    assert error["event"] == "error" and error["error"]["code"] == "backend_error"  # type: ignore[index]
    assert error["error"]["details"] == {"address": address}  # type: ignore[index]
    assert end == {"event": "end", "exit_code": 3}
    assert res.stderr.count("\n") == 1 and f"cannot reach ComfyUI at {address}" in res.stderr


def test_without_json_stdout_stays_empty_on_errors(tmp_path: Path) -> None:
    cfg = config(tmp_path, server="ftp://x")
    res = CliRunner().invoke(cr_batch, [str(cfg)])
    assert res.exit_code == 2 and res.stdout == ""
    assert "comfyui.server_address" in res.stderr


def test_server_from_the_environment(tmp_path: Path) -> None:
    env = {"COMFY_SWEEP_SERVER": "ftp://x"}
    res = CliRunner(env=env).invoke(cr_run, [str(EXAMPLE), "--out", str(tmp_path)])
    assert res.exit_code == 2 and res.stderr.startswith("error: --server: server address 'ftp://x'")
    # ... and it beats the config file's comfyui.server_address (documented precedence)
    res = CliRunner(env=env).invoke(cr_batch, [str(config(tmp_path))])
    assert res.exit_code == 2 and res.stderr.startswith("error: --server: ")
    # the command line beats the environment
    res = CliRunner(env=env).invoke(
        cr_batch, [str(config(tmp_path)), "--server", "127.0.0.1:9", "--dry-run"]
    )
    assert res.exit_code == 0, res.output


def test_window_and_mode_from_the_environment(tmp_path: Path) -> None:
    env = {"COMFY_SWEEP_MODE": "sideways"}
    res = CliRunner(env=env).invoke(cr_batch, [str(config(tmp_path)), "--dry-run"])
    assert res.exit_code == 2 and "sideways" in res.stderr  # click names the bad value
    env = {"COMFY_SWEEP_WINDOW": "0"}
    res = CliRunner(env=env).invoke(cr_batch, [str(config(tmp_path)), "--dry-run"])
    assert res.exit_code == 2 and "--window" in res.stderr
