"""POST /comfy-sweep/sweeps/{id}/refine (the panel's "Refine from this sweep"), and
an adaptive sweep run by the server's service through the same session seam."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient
from comfy_sweep.server_routes import refine_routes
from comfy_sweep.server_routes.service import SweepService

from .conftest import make_client, wait_state


@pytest.fixture
async def client(aiohttp_client: Any, service: SweepService) -> TestClient:
    return await make_client(aiohttp_client, service, refine_routes.add_routes)


async def finished(client: TestClient, prompt: dict[str, Any], config: Any) -> str:
    resp = await client.post("/comfy-sweep/sweeps", json={"prompt": prompt, "config": config})
    assert resp.status == 202, await resp.json()
    sid = str((await resp.json())["id"])
    await wait_state(client, sid, ("done",))
    return sid


async def test_refine_answers_the_next_config_with_its_reasons(
    client: TestClient, service: SweepService, prompt: dict[str, Any], grid_config: dict[str, Any]
) -> None:
    sid = await finished(client, prompt, grid_config)
    store = await service.require(sid)
    # the best runs used strength 0.2 and blur radius 4
    store.merge_scores({r.run_id: {"q": 1.0 if r.values["strength"] == 0.2 else 0.1}
                        for r in store.plan.runs})  # fmt: skip
    resp = await client.post(f"/comfy-sweep/sweeps/{sid}/refine", json={"by": "q", "top": 3})
    body = await resp.json()
    assert resp.status == 200, body
    assert body["config"]["parameters"]["strength"]["values"] == [0.2]
    assert "# strength: 2 values → 1 (0.2) around the top 3 by score_q" in body["yaml"]
    assert yaml.safe_load(body["yaml"])["parameters"]["strength"]["values"] == [0.2]
    assert any("top 3 of 6 runs" in n for n in body["notes"])
    prod = await client.post(
        f"/comfy-sweep/sweeps/{sid}/refine", json={"by": "score_q", "production": True}
    )
    assert (await prod.json())["config"]["sampling_strategy"] == "grid"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 400, "by"),
        ({"by": "q", "top": 0}, 400, "top"),
        ({"by": "q", "production": "yes"}, 400, "production"),
        ({"by": "q", "goal": "up"}, 400, "goal"),
        ({"by": "nope"}, 400, "by"),
    ],
)
async def test_bad_requests_name_the_field(
    client: TestClient, prompt: dict[str, Any], grid_config: dict[str, Any],
    body: dict[str, Any], status: int, field: str,
) -> None:  # fmt: skip
    sid = await finished(client, prompt, grid_config)
    resp = await client.post(f"/comfy-sweep/sweeps/{sid}/refine", json=body)
    err = (await resp.json())["error"]
    assert resp.status == status and err["field"] == field


async def test_refine_of_an_unknown_sweep_is_404(client: TestClient) -> None:
    resp = await client.post("/comfy-sweep/sweeps/nope/refine", json={"by": "q"})
    assert resp.status == 404


async def test_the_server_runs_an_adaptive_sweep_to_its_budget(
    client: TestClient, prompt: dict[str, Any], sweeps_root: Path
) -> None:
    config = {  # the default sampler (gp): no optuna on the ComfyUI machine needed
        "sampling_strategy": "adaptive", "num_samples": 7, "sweep_seed": 3,
        "parameters": {
            "strength": {"path": "nodes.2.inputs.strength", "min": 0.0, "max": 1.0},
            "sigma": {"path": "nodes.3.inputs.sigma", "min": 0.5, "max": 4.0},
        },
        "metrics": {"sharp": {"type": "sharpness"}},
        "objective": {"metric": "sharp"},
    }  # fmt: skip
    resp = await client.post("/comfy-sweep/sweeps", json={"prompt": prompt, "config": config})
    created = await resp.json()
    assert resp.status == 202 and created["total"] == 4  # the initial design
    body = await wait_state(client, str(created["id"]), ("done",))
    assert (body["done"], body["total"]) == (7, 7)
    plan = yaml.safe_load((sweeps_root / created["id"] / "plan.json").read_text())
    assert len({r["sample_index"] for r in plan["runs"]}) == 7
