"""Exploration routes (server_routes/exploration_routes.py) on the real SweepService
with the FakeQueue of conftest.py: bad bodies get a 4xx naming the field; the
rating path (rate through the ratings route, then continue) runs every step as an
ordinary sweep and picks the rated winner; cancel stops the step's sweep. The
real ComfyUI is tests/e2e/test_explore_server.py."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from comfy_sweep.server_routes import exploration_routes
from comfy_sweep.server_routes.routes import add_routes
from comfy_sweep.server_routes.service import SweepService

from .conftest import FakeQueue

X = "/comfy-sweep/explorations"
CONFIG: dict[str, Any] = {
    "sampling_strategy": "explore",
    "num_samples": 8,  # no sampler: search 6 runs in one round (ratings), seeds 2
    "sweep_seed": 5,
    "parameters": {"strength": {"path": "nodes.2.inputs.strength", "min": 0.1, "max": 0.9}},
}


@pytest.fixture
async def xclient(aiohttp_client: Any, service: SweepService) -> TestClient:
    app = web.Application()
    routes = web.RouteTableDef()
    add_routes(routes, service)
    exploration_routes.add_routes(routes, service)
    app.add_routes(routes)
    return await aiohttp_client(app)


async def wait_for(client: TestClient, xid: str, states: tuple[str, ...]) -> dict[str, Any]:
    for _ in range(1000):
        resp = await client.get(f"{X}/{xid}")
        body = await resp.json()
        assert resp.status == 200, body
        if body["state"] in states:
            return dict(body)
        await asyncio.sleep(0.02)
    raise AssertionError(body)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ("[]", 400, None),
        ({"config": CONFIG}, 400, "prompt"),
        ({"prompt": "P", "config": 3}, 400, "config"),
        ({"prompt": "P", "config": {**CONFIG, "sampling_strategy": "sobol"}}, 400,
         "config.sampling_strategy"),
        ({"prompt": "P", "config": {**CONFIG, "num_samples": 0}}, 400, "config.num_samples"),
        ({"prompt": "P", "config": CONFIG, "continue": "yes"}, 400, "continue"),
        ({"prompt": "P", "config": CONFIG, "colour": 1}, 400, "colour"),
        ({"prompt": "P", "config": {**CONFIG, "metrics": {
            "mine": {"type": "command", "command": "python s.py {file}"}}}}, 400,
         "config.metrics.mine.type"),
        ({"prompt": "P", "config": {**CONFIG, "parameters": {
            "strength": {"path": "nodes.2.inputs.nope", "min": 0, "max": 1}}}}, 400,
         "config"),
    ],
)  # fmt: skip
async def test_bad_bodies_name_the_field(
    xclient: TestClient, prompt: dict[str, Any], body: Any, status: int, field: str | None
) -> None:
    if isinstance(body, dict) and body.get("prompt") == "P":
        body = {**body, "prompt": prompt}
    data = body if isinstance(body, str) else None
    resp = await (xclient.post(X, data=data) if data is not None else xclient.post(X, json=body))
    answer = await resp.json()
    assert resp.status == status, answer
    err = answer["error"]
    assert err["message"]
    if field is not None:
        assert str(err.get("field", "")).startswith(field), err
    # nothing was made
    listed = await (await xclient.get(X)).json()
    assert listed == {"explorations": []}


async def test_unknown_ids_and_states(xclient: TestClient) -> None:
    for path in (f"{X}/explore_nope", f"{X}/batch_x", f"{X}/..%2Fx"):
        resp = await xclient.get(path)
        assert resp.status in (403, 404), path
    resp = await xclient.post(f"{X}/explore_nope/continue")
    assert resp.status == 404
    assert (await resp.json())["error"]["code"] == "not_found"


async def _rate(client: TestClient, sweep: str, run_id: int, stars: int) -> None:
    resp = await client.post(
        f"/comfy-sweep/sweeps/{sweep}/runs/{run_id}/rating", json={"rating": stars}
    )
    assert resp.status == 200, await resp.json()


async def test_ratings_choose_and_continue_goes_on(
    xclient: TestClient, prompt: dict[str, Any], service: SweepService
) -> None:
    resp = await xclient.post(X, json={"prompt": prompt, "config": CONFIG, "name": "by hand"})
    made = await resp.json()
    assert resp.status == 202, made
    assert made["state"] == "running" and made["continued"] is False
    xid = made["id"]
    body = await wait_for(xclient, xid, ("rate",))
    assert body["waiting"] == "search1" and "Continue exploring" in body["waiting_text"]
    assert body["actions"] == {"continue": True, "cancel": True}
    sweep = body["waiting_sweep"]
    assert [s["key"] for s in body["steps"]] == ["search1", "seeds"]
    # the step is an ordinary sweep of the panel's list, named after the exploration
    sweeps = (await (await xclient.get("/comfy-sweep/sweeps")).json())["sweeps"]
    assert [(s["id"], s["name"], s["state"]) for s in sweeps] == [
        (sweep, f"search1 of {xid}", "done")
    ]
    resp = await xclient.post(f"{X}/{xid}/continue")  # nothing rated yet: refused
    assert resp.status == 409 and "rated" in (await resp.json())["error"]["message"]
    runs = (await (await xclient.get(f"/comfy-sweep/sweeps/{sweep}")).json())["runs"]
    chosen = runs[3]
    await _rate(xclient, sweep, chosen["run_id"], 5)
    await _rate(xclient, sweep, runs[0]["run_id"], 2)
    resp = await xclient.post(f"{X}/{xid}/continue")
    assert resp.status == 202, await resp.json()
    body = await wait_for(xclient, xid, ("rate",))
    assert body["waiting"] == "seeds"
    assert body["steps"][0]["winner"]["run_id"] == chosen["run_id"]
    seeds = body["waiting_sweep"]
    seed_runs = (await (await xclient.get(f"/comfy-sweep/sweeps/{seeds}")).json())["runs"]
    assert {r["values"]["strength"] for r in seed_runs} == {chosen["values"]["strength"]}
    await _rate(xclient, seeds, seed_runs[-1]["run_id"], 4)
    resp = await xclient.post(f"{X}/{xid}/continue")
    assert resp.status == 202
    body = await wait_for(xclient, xid, ("done",))
    assert body["heroes"][0]["run_id"] == chosen["run_id"]
    assert body["actions"] == {"continue": False, "cancel": False}
    # the report, and its links to a step's sheet sent on to that sweep's files
    resp = await xclient.get(body["report"], allow_redirects=False)
    assert resp.status == 302
    resp = await xclient.get(body["report"])
    html = await resp.text()
    assert resp.status == 200 and 'id="heroes"' in html and f"../{sweep}/contact_sheet.html" in html
    resp = await xclient.get(f"{X}/{xid}/{sweep}/contact_sheet.html", allow_redirects=False)
    assert resp.headers["Location"] == f"../../../sweeps/{sweep}/files/contact_sheet.html"
    resp = await xclient.get(f"{X}/{xid}/files/../explore.json")
    assert resp.status in (403, 404)
    # a rerun of the same request continues it (nothing left to run)
    resp = await xclient.post(X, json={"prompt": prompt, "config": CONFIG, "continue": True})
    again = await resp.json()
    assert again["id"] == xid and again["continued"] is True and again["state"] == "done"
    resp = await xclient.post(f"{X}/{xid}/continue")
    assert resp.status == 409


async def test_cancel_stops_the_step_sweep(
    xclient: TestClient, prompt: dict[str, Any], fake_queue: FakeQueue
) -> None:
    fake_queue.gate.clear()  # the first run holds the queue
    resp = await xclient.post(X, json={"prompt": prompt, "config": CONFIG})
    xid = (await resp.json())["id"]
    for _ in range(500):
        body = await (await xclient.get(f"{X}/{xid}")).json()
        if body["current"]:
            break
        await asyncio.sleep(0.01)
    assert body["current"]["step"] == "search1"
    sweep = body["current"]["sweep_id"]
    resp = await xclient.post(f"{X}/{xid}/cancel")
    fake_queue.gate.set()
    body = await resp.json()
    assert resp.status == 200 and body["state"] == "cancelled", body
    status = await (await xclient.get(f"/comfy-sweep/sweeps/{sweep}")).json()
    assert status["state"] == "cancelled"
    assert body["actions"]["continue"] is True
    resp = await xclient.post(f"{X}/{xid}/continue")  # the same sweep resumed
    assert resp.status == 202
    body = await wait_for(xclient, xid, ("rate",))
    assert body["waiting_sweep"] == sweep


def test_every_exploration_route_is_documented(service: SweepService) -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "routes.md").read_text()
    routes = web.RouteTableDef()
    exploration_routes.add_routes(routes, service)
    for route in routes:
        assert isinstance(route, web.RouteDef)
        path = route.path.replace("{xid}", "{id}").replace("{path:.*}", "{path}")
        assert f"`{route.method} {path}" in doc, (route.method, path)
