"""cr-batch with a ``ray:`` section, up to the point where Ray would start: a dry run
never starts (or imports) Ray, a config mistake fails in one line before Ray starts,
and a missing ``comfy-sweep[ray]`` says which extra to install. Each case runs
cr-batch in a fresh interpreter, some with ``ray`` hidden (``sys.modules['ray'] = None``
makes ``import ray`` fail as if it were not installed)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

# cr-batch's main in a fresh interpreter; says at exit whether ray was imported.
RUN = """
import sys
if sys.argv[1] == "hide":
    sys.modules["ray"] = None
from comfy_sweep.cli.batch import main
try:
    main(sys.argv[2:])
finally:
    print("RAY-IMPORTED" if sys.modules.get("ray") else "RAY-NOT-IMPORTED", file=sys.stderr)
"""
WF = {
    "1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}},
    "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "x"}},
}  # fmt: skip


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write(tmp: Path, ray: dict[str, Any]) -> Path:
    (tmp / "wf.json").write_text(json.dumps(WF), encoding="utf-8")
    cfg = {
        "workflow_file": "wf.json",
        "parameters": {"w": {"path": "nodes.1.inputs.width", "values": [8, 16]}},
        "comfyui": {"server_address": f"127.0.0.1:{closed_port()}"},
        "ray": ray,
    }
    path = tmp / "sweep.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def cr_batch(tmp: Path, *args: str, hide_ray: bool = False) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp), "RAY_USAGE_STATS_ENABLED": "0"}
    return subprocess.run(
        [sys.executable, "-c", RUN, "hide" if hide_ray else "keep", *args],
        cwd=tmp, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def error_lines(res: subprocess.CompletedProcess[str]) -> list[str]:
    return [ln for ln in res.stderr.splitlines() if ln and not ln.startswith("RAY-")]


def test_dry_run_with_a_ray_section_does_not_start_ray(tmp_path: Path) -> None:
    cfg = write(tmp_path, {"address": "local", "cpu": True})  # no comfyui.dir: not needed
    res = cr_batch(tmp_path, str(cfg), "--dry-run")
    assert res.returncode == 0, res.stderr
    assert "RAY-NOT-IMPORTED" in res.stderr
    assert "w" in res.stdout and "16" in res.stdout  # the plan table
    hidden = cr_batch(tmp_path, str(cfg), "--dry-run", "--ray", "local", hide_ray=True)
    assert hidden.returncode == 0, hidden.stderr


def test_a_missing_comfyui_dir_fails_in_one_line_before_ray_starts(tmp_path: Path) -> None:
    cfg = write(tmp_path, {"address": "local", "cpu": True})
    res = cr_batch(tmp_path, str(cfg))
    assert res.returncode == 2, res.stderr
    (line,) = error_lines(res)
    assert line.startswith("error: ") and "sweep.yaml:" in line, line
    assert "ray.comfyui.dir: missing" in line, line
    assert "RAY-NOT-IMPORTED" in res.stderr
    assert not list(tmp_path.glob("output/batch_*"))


def test_a_local_cluster_needs_a_comfyui_folder(tmp_path: Path) -> None:
    cfg = write(tmp_path, {"comfyui": {"dir": str(tmp_path / "nowhere")}})
    res = cr_batch(tmp_path, str(cfg), "--ray", "local")
    assert res.returncode == 2, res.stderr
    (line,) = error_lines(res)
    assert "ray.comfyui.dir" in line and "not a ComfyUI folder" in line, line
    assert "RAY-NOT-IMPORTED" in res.stderr


def test_without_the_ray_extra_one_line_names_it(tmp_path: Path) -> None:
    (tmp_path / "comfy").mkdir()
    (tmp_path / "comfy" / "main.py").write_text("", encoding="utf-8")
    cfg = write(tmp_path, {"address": "local", "comfyui": {"dir": str(tmp_path / "comfy")}})
    res = cr_batch(tmp_path, str(cfg), hide_ray=True)
    assert res.returncode == 2, res.stderr
    (line,) = error_lines(res)
    assert "pip install 'comfy-sweep[ray]'" in line, line
