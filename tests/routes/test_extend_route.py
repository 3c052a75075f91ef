"""POST /comfy-sweep/sweeps/{id}/extend: a stopped sweep grows (issue 3), every
finished run kept; refused while it runs, when the config is not an extension,
and for an unknown id."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient

from .conftest import EXAMPLES, FakeQueue, wait_state


@pytest.fixture
def sobol_config() -> dict[str, Any]:
    """examples/configs/image_sobol.yaml at 4 samples x 2 seeds = 8 runs."""
    data = yaml.safe_load((EXAMPLES / "configs" / "image_sobol.yaml").read_text())
    assert isinstance(data, dict)
    return dict(data, num_samples=4)


def rows(root: Path) -> dict[int, dict[str, str]]:
    with open(root / "metadata.csv", newline="", encoding="utf-8") as f:
        return {int(r["run_id"]): r for r in csv.DictReader(f)}


async def finished_sweep(client: TestClient, prompt: dict[str, Any], config: Any) -> str:
    resp = await client.post("/comfy-sweep/sweeps", json={"prompt": prompt, "config": config})
    assert resp.status == 202, await resp.json()
    sid = str((await resp.json())["id"])
    await wait_state(client, sid, ("done",))
    return sid


async def test_extend_keeps_finished_runs_and_runs_the_new_ones(
    client: TestClient, prompt: dict[str, Any], sobol_config: dict[str, Any], sweeps_root: Path
) -> None:
    sid = await finished_sweep(client, prompt, sobol_config)
    before = rows(sweeps_root / sid)
    assert sorted(before) == list(range(1, 9))
    text = yaml.safe_dump(dict(sobol_config, num_samples=8), sort_keys=False)  # as YAML text
    resp = await client.post(f"/comfy-sweep/sweeps/{sid}/extend", json={"config": text})
    body = await resp.json()
    assert resp.status == 202, body
    assert body["added"] == 8 and body["total"] == 16 and body["state"] == "queued"
    # workflow_file and output.base_dir are ignored with a warning, as on create
    assert any("workflow_file" in w for w in body["warnings"])
    body = await wait_state(client, sid, ("done",))
    assert (body["done"], body["total"]) == (16, 16)
    after = rows(sweeps_root / sid)
    assert sorted(after) == list(range(1, 17))
    for run_id, row in before.items():  # untouched: same prompt, same values
        assert after[run_id]["prompt_id"] == row["prompt_id"]
        assert after[run_id]["strength"] == row["strength"]
    saved = yaml.safe_load((sweeps_root / sid / "config.yaml").read_text())
    assert saved["num_samples"] == 8


async def test_extend_is_refused_while_the_sweep_runs(
    client: TestClient,
    prompt: dict[str, Any],
    sobol_config: dict[str, Any],
    fake_queue: FakeQueue,
) -> None:
    fake_queue.gate.clear()
    resp = await client.post("/comfy-sweep/sweeps", json={"prompt": prompt, "config": sobol_config})
    sid = (await resp.json())["id"]
    await wait_state(client, sid, ("running",))
    more = dict(sobol_config, num_samples=8)
    resp = await client.post(f"/comfy-sweep/sweeps/{sid}/extend", json={"config": more})
    body = await resp.json()
    assert resp.status == 409 and body["error"]["code"] == "conflict"
    assert "wait for it to finish or cancel it" in body["error"]["message"]
    assert (await client.post(f"/comfy-sweep/sweeps/{sid}/cancel")).status == 200
    fake_queue.gate.set()
    body = await wait_state(client, sid, ("cancelled",))
    assert body["total"] == 8  # the refused extension changed nothing


async def test_a_config_that_is_not_an_extension_is_400(
    client: TestClient, prompt: dict[str, Any], sobol_config: dict[str, Any], sweeps_root: Path
) -> None:
    sid = await finished_sweep(client, prompt, sobol_config)
    other = dict(sobol_config, sampling_strategy="random", num_samples=8)
    resp = await client.post(f"/comfy-sweep/sweeps/{sid}/extend", json={"config": other})
    body = await resp.json()
    assert resp.status == 400 and body["error"]["code"] == "invalid_plan"
    assert "sampling_strategy changed from sobol to random" in body["error"]["message"]
    resp = await client.post(f"/comfy-sweep/sweeps/{sid}/extend", json={"config": sobol_config})
    body = await resp.json()
    assert resp.status == 400 and "adds no runs" in body["error"]["message"]
    status = await (await client.get(f"/comfy-sweep/sweeps/{sid}")).json()
    assert (status["state"], status["total"]) == ("done", 8)
    assert len(rows(sweeps_root / sid)) == 8


async def test_extend_of_an_unknown_sweep_is_404(
    client: TestClient, sobol_config: dict[str, Any]
) -> None:
    resp = await client.post("/comfy-sweep/sweeps/nope/extend", json={"config": sobol_config})
    body = await resp.json()
    assert resp.status == 404 and body["error"]["code"] == "not_found"
