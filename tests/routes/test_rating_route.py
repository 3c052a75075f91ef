"""POST /comfy-sweep/sweeps/{id}/runs/{run_id}/rating: a finished run's stars
and pick written to metadata.csv through the service's own store (also while
the sweep runs); every bad input a 4xx naming the field."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from comfy_sweep.core.store.runstore import RunStore
from comfy_sweep.core.sweep import wire

from .conftest import FakeQueue, wait_state
from .test_contract import assert_shape


def rows(root: Path) -> dict[int, dict[str, str]]:
    with open(root / "metadata.csv", newline="", encoding="utf-8") as f:
        return {int(r["run_id"]): r for r in csv.DictReader(f)}


async def start(client: TestClient, prompt: dict[str, Any], config: Any) -> str:
    resp = await client.post("/comfy-sweep/sweeps", json={"prompt": prompt, "config": config})
    assert resp.status == 202, await resp.json()
    return str((await resp.json())["id"])


async def rate(client: TestClient, sid: str, run: Any, body: Any) -> tuple[int, Any]:
    url = f"/comfy-sweep/sweeps/{sid}/runs/{run}/rating"
    kw = {"data": body} if isinstance(body, (str, bytes)) else {"json": body}
    resp = await client.post(url, **kw)
    return resp.status, await resp.json()


async def test_rating_and_pick_are_written_and_cleared(
    client: TestClient, prompt: dict[str, Any], grid_config: Any, sweeps_root: Path
) -> None:
    sid = await start(client, prompt, grid_config)
    await wait_state(client, sid, ("done",))
    assert await rate(client, sid, 2, {"rating": 4, "picked": True}) == (
        200, {"run_id": 2, "rating": 4, "picked": True})  # fmt: skip
    row = rows(sweeps_root / sid)[2]
    assert (row["rating"], row["picked"]) == ("4", "true")
    assert rows(sweeps_root / sid)[1]["rating"] == ""  # other runs untouched
    # a partial update leaves the other field as it is
    assert (await rate(client, sid, 2, {"rating": 5}))[1] == {
        "run_id": 2,
        "rating": 5,
        "picked": True,
    }
    assert (await rate(client, sid, 2, {"picked": False}))[1]["picked"] is False
    assert_shape((await rate(client, sid, 2, {"picked": False}))[1], wire.RunMark)
    assert rows(sweeps_root / sid)[2]["rating"] == "5"
    assert (await rate(client, sid, 2, {"rating": 0}))[1] == {
        "run_id": 2,
        "rating": 0,
        "picked": False,
    }
    assert rows(sweeps_root / sid)[2]["rating"] == ""
    # readable by everything that reads the store (refine, adaptive)
    await rate(client, sid, 3, {"rating": 2})
    assert RunStore.open(sweeps_root / sid).record(3).extra == {"rating": "2"}  # type: ignore[union-attr]


async def test_the_served_sheet_shows_the_rating(
    client: TestClient, prompt: dict[str, Any], grid_config: Any, sweeps_root: Path
) -> None:
    sid = await start(client, prompt, grid_config)
    await wait_state(client, sid, ("done",))
    await rate(client, sid, 1, {"rating": 3, "picked": True})
    data: dict[str, Any] = {}
    for _ in range(100):  # re-rendered in a thread, debounced
        resp = await client.get(f"/comfy-sweep/sweeps/{sid}/files/contact_sheet.json")
        data = json.loads(await resp.text()) if resp.status == 200 else {}
        run = next((r for r in data.get("runs", []) if r["id"] == 1), None)
        if run and run["m"].get("rating") == 3:
            break
        await asyncio.sleep(0.05)
    run = next(r for r in data["runs"] if r["id"] == 1)
    assert run["m"]["rating"] == 3 and run["pk"] is True


async def test_rating_while_the_sweep_runs(
    client: TestClient, fake_queue: FakeQueue, prompt: dict[str, Any], grid_config: Any,
    sweeps_root: Path,
) -> None:  # fmt: skip
    fake_queue.run_s = 0.3
    sid = await start(client, prompt, grid_config)
    for _ in range(200):
        body = await (await client.get(f"/comfy-sweep/sweeps/{sid}")).json()
        if body["done"] >= 1:
            break
        await asyncio.sleep(0.02)
    assert body["state"] == "running", body
    assert (await rate(client, sid, 1, {"rating": 5, "picked": True}))[0] == 200
    status, err = await rate(client, sid, 6, {"rating": 1})  # not finished yet
    assert status == 409 and "not finished" in err["error"]["message"]
    await wait_state(client, sid, ("done",))
    final = rows(sweeps_root / sid)
    assert len(final) == 6 and all(r["status"] == "done" for r in final.values())
    assert (final[1]["rating"], final[1]["picked"]) == ("5", "true")  # kept by the sweep's writes


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rating": 6}, "rating"),
        ({"rating": -1}, "rating"),
        ({"rating": 2.5}, "rating"),
        ({"rating": "4"}, "rating"),
        ({"rating": True}, "rating"),
        ({"picked": "yes"}, "picked"),
        ({"picked": 1}, "picked"),
        ({}, "rating"),
        ({"rating": 3, "stars": 2}, "stars"),
        ([3], None),
        ("not json", None),
    ],
)
async def test_bad_bodies_are_400_naming_the_field(
    client: TestClient, prompt: dict[str, Any], grid_config: Any, sweeps_root: Path,
    body: Any, field: str | None,
) -> None:  # fmt: skip
    sid = await start(client, prompt, grid_config)
    await wait_state(client, sid, ("done",))
    before = (sweeps_root / sid / "metadata.csv").read_text()
    status, err = await rate(client, sid, 1, body)
    assert status == 400 and err["error"]["code"] == "invalid_request", err
    assert err["error"].get("field") == field
    assert (sweeps_root / sid / "metadata.csv").read_text() == before


async def test_unknown_sweep_or_run_is_404_and_bad_run_id_400(
    client: TestClient, prompt: dict[str, Any], grid_config: Any
) -> None:
    sid = await start(client, prompt, grid_config)
    await wait_state(client, sid, ("done",))
    status, err = await rate(client, sid, 99, {"rating": 3})
    assert status == 404 and err["error"]["field"] == "run_id"
    status, err = await rate(client, "no-such-sweep", 1, {"rating": 3})
    assert status == 404 and err["error"]["code"] == "not_found"
    status, err = await rate(client, sid, "x1", {"rating": 3})
    assert status == 400 and err["error"]["field"] == "run_id"
    resp = await client.post(f"/comfy-sweep/sweeps/{sid}/runs/1/rating", data=b"x" * 2_000_000)
    assert resp.status == 413
