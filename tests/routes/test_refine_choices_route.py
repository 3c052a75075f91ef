"""GET /comfy-sweep/sweeps/{id}/refine: what the panel offers to refine a sweep by."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from comfy_sweep.server_routes import refine_routes
from comfy_sweep.server_routes.service import SweepService

from .conftest import make_client, wait_state


@pytest.fixture
async def client(aiohttp_client: Any, service: SweepService) -> TestClient:
    return await make_client(aiohttp_client, service, refine_routes.add_routes)


async def test_choices_follow_scores_and_ratings(
    client: TestClient, service: SweepService, prompt: dict[str, Any], grid_config: dict[str, Any]
) -> None:
    resp = await client.post("/comfy-sweep/sweeps", json={"prompt": prompt, "config": grid_config})
    sid = str((await resp.json())["id"])
    await wait_state(client, sid, ("done",))
    before = await (await client.get(f"/comfy-sweep/sweeps/{sid}/refine")).json()
    assert before == {"choices": [{"by": "rating", "runs": 0, "goal": "maximize"}],
                      "default": None, "objective": None}  # fmt: skip
    store = await service.require(sid)
    store.merge_scores({1: {"q": 0.5}, 2: {"q": 0.7}})
    rated = await client.post(f"/comfy-sweep/sweeps/{sid}/runs/3/rating", json={"rating": 4})
    assert rated.status == 200, await rated.json()
    resp = await client.get(f"/comfy-sweep/sweeps/{sid}/refine")
    body = await resp.json()
    assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
    assert body["choices"] == [{"by": "score_q", "runs": 2, "goal": "maximize"},
                               {"by": "rating", "runs": 1, "goal": "maximize"}]  # fmt: skip
    assert body["default"] == "score_q"


async def test_choices_of_an_unknown_sweep_are_404(client: TestClient) -> None:
    resp = await client.get("/comfy-sweep/sweeps/nope/refine")
    assert resp.status == 404
    assert (await resp.json())["error"]["code"] == "not_found"
