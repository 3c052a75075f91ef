"""cr-batch through the Comfy API v2: comfy-api-proxy (pinned, tests/v2_proxy.py)
on loopback in front of the real ComfyUI, with a bearer token."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_cli_batch import assert_batch_complete, copy_config, only_batch
from v2_proxy import ApiProxy, proxy_problem

pytestmark = pytest.mark.comfy
CR_BATCH = str(Path(sys.executable).parent / "cr-batch")
TOKEN_ENV = "COMFY_SWEEP_TEST_V2_TOKEN"
TOKEN = "sweep-test-token"


@pytest.fixture
def api_proxy(comfy_server: Any, tmp_path: Path) -> Iterator[ApiProxy]:
    problem = proxy_problem()
    if problem:
        pytest.skip(problem)
    proxy = ApiProxy(comfy_server.url, tmp_path, token=TOKEN).start()
    yield proxy
    proxy.stop()


def v2_config(examples_dir: Path, folder: Path, proxy: ApiProxy) -> Path:
    comfy = {"api": "v2", "server_address": proxy.address, "auth_token_env": TOKEN_ENV}
    return copy_config(examples_dir, "image_grid", folder, comfyui=comfy)


def cr_batch(cfg: Path, cwd: Path, token: str = TOKEN) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, TOKEN_ENV: token}
    return subprocess.run(
        [CR_BATCH, str(cfg)], capture_output=True, text=True, timeout=300, cwd=cwd, env=env
    )


def test_cr_batch_through_the_v2_proxy_records_every_run_once(
    api_proxy: ApiProxy, examples_dir: Path, tmp_path: Path
) -> None:
    cfg = v2_config(examples_dir, tmp_path, api_proxy)
    res = cr_batch(cfg, tmp_path)
    assert res.returncode == 0, res.stderr
    assert "6 done, 0 failed of 6" in res.stderr
    batch = only_batch(tmp_path / "output")
    rows = assert_batch_complete(batch)  # each run once, its outputs on disk, timed
    assert len({r["prompt_id"] for r in rows}) == len(rows)
    assert json.loads((batch / "progress.json").read_text())["state"] == "done"
    again = cr_batch(cfg, tmp_path)  # rerun: complete, nothing submitted
    assert again.returncode == 0 and "already complete" in again.stderr


def test_a_wrong_token_is_one_line(api_proxy: ApiProxy, examples_dir: Path, tmp_path: Path) -> None:
    cfg = v2_config(examples_dir, tmp_path, api_proxy)
    res = cr_batch(cfg, tmp_path, token="wrong")
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    assert api_proxy.address in lines[0]


def test_a_fleet_of_a_plain_server_and_a_v2_proxy(
    comfy_server: Any, api_proxy: ApiProxy, examples_dir: Path, tmp_path: Path
) -> None:
    """comfyui.servers mixing kinds: one plain ComfyUI and one Comfy API v2 service
    (here the proxy in front of the same ComfyUI): every run once, both used."""
    servers = [
        comfy_server.address,
        {"address": api_proxy.address, "api": "v2", "auth_token_env": TOKEN_ENV},
    ]
    cfg = copy_config(
        examples_dir, "image_grid", tmp_path, comfyui={"servers": servers, "queue_window": 1}
    )
    res = cr_batch(cfg, tmp_path)
    assert res.returncode == 0, res.stderr
    assert "sweeping over 2 servers" in res.stderr
    rows = assert_batch_complete(only_batch(tmp_path / "output"))
    assert {r["server"] for r in rows} == {comfy_server.address, api_proxy.address}
