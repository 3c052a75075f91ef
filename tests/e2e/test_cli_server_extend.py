"""Rerunning cr-batch in auto mode (the extension runs the sweep, real ComfyUI)
with more Sobol samples extends the server sweep (issue 3): the finished runs are
kept untouched (same prompt ids), only the new ones run, in the same folder; the
local mirror's plan and config match the server's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from test_cli_batch import assert_batch_complete, copy_config, metadata_rows, only_batch
from test_cli_extend import edit
from test_cli_server_mode import batch, history_ids

pytestmark = pytest.mark.comfy


def server_file(comfy_server, folder: Path, name: str) -> Path:
    sid = json.loads((folder / "progress.json").read_text())["server_sweep_id"]
    return Path(comfy_server.output_dir) / "sweeps" / sid / name


def test_more_sobol_samples_extend_the_server_sweep(
    comfy_server, examples_dir: Path, isolated_cwd: Path
) -> None:
    cfg = copy_config(examples_dir, "image_sobol", isolated_cwd, num_samples=4)
    code, out = batch(cfg, comfy_server.address)
    assert code == 0, out
    assert "server sweep" in out
    folder = only_batch(isolated_cwd / "output")
    first = {r["run_id"]: r["prompt_id"] for r in metadata_rows(folder)}
    assert len(first) == 8  # 4 samples x 2 seeds
    seen = history_ids(comfy_server)

    edit(cfg, num_samples=8)
    code, out = batch(cfg, comfy_server.address)
    assert code == 0, out
    assert f"extending {Path('output', folder.name)}: 8 → 16 runs (on the server)" in out
    assert "not extending" not in out
    assert only_batch(isolated_cwd / "output") == folder  # no new batch folder
    rows = assert_batch_complete(folder)
    assert len(rows) == 16
    by_id = {r["run_id"]: r["prompt_id"] for r in rows}
    assert {k: by_id[k] for k in first} == first  # the first 8 untouched
    fresh = set(history_ids(comfy_server)) - seen
    assert fresh == set(by_id.values()) - set(first.values())  # only the 8 new ones ran
    # The local mirror holds the server's extended plan and config.
    server_plan = json.loads(server_file(comfy_server, folder, "plan.json").read_text())
    assert json.loads((folder / "plan.json").read_text()) == server_plan
    assert yaml.safe_load((folder / "config.yaml").read_text())["num_samples"] == 8

    code, out = batch(cfg, comfy_server.address)  # the extended sweep is now complete
    assert code == 0 and "already complete (16 runs" in out, out
