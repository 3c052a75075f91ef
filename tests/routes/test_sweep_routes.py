"""Sweep lifecycle over the routes: create, status paging, cancel, resume,
delete, restart recovery, files and contact sheet."""

from __future__ import annotations

import asyncio
import csv
import json
import os
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from comfy_sweep.core.config.load import parse_config
from comfy_sweep.core.plan.build import build_plan
from comfy_sweep.core.store.runstore import RunStore
from comfy_sweep.core.workflow import Workflow
from yarl import URL

from .conftest import FakeQueue, make_client, make_service, wait_state


async def create(
    client: TestClient, prompt: dict[str, Any], config: Any, **extra: Any
) -> dict[str, Any]:
    resp = await client.post(
        "/comfy-sweep/sweeps", json={"prompt": prompt, "config": config, **extra}
    )
    body = await resp.json()
    assert resp.status == 202, body
    return dict(body)


def metadata_ids(root: Path) -> list[int]:
    with open(root / "metadata.csv", newline="", encoding="utf-8") as f:
        return [int(row["run_id"]) for row in csv.DictReader(f)]


async def test_sweep_runs_to_done_with_outputs(
    client: TestClient,
    prompt: dict[str, Any],
    grid_config: dict[str, Any],
    sweeps_root: Path,
    fake_queue: FakeQueue,
    events: list[Any],
) -> None:
    workflow = {"nodes": [], "links": [], "version": 0.4}
    made = await create(
        client, prompt, grid_config, client_id="tab-1", workflow=workflow, name="my sweep"
    )
    assert made["total"] == 6 and made["state"] == "queued"
    body = await wait_state(client, made["id"], ("done",))
    assert (body["done"], body["failed"], body["pending"]) == (6, 0, 0)
    assert body["name"] == "my sweep" and body["current"] is None
    root = sweeps_root / made["id"]
    assert sorted(metadata_ids(root)) == [1, 2, 3, 4, 5, 6]
    for row in body["runs"]:
        assert row["status"] == "done" and row["cached_nodes"] == ["1", "2"]
        assert len(row["outputs"]) == 1 and (root / row["outputs"][0]).is_file()
    # The browser's client id and UI workflow ride along with every prompt.
    assert {s["client_id"] for s in fake_queue.submits} == {"tab-1"}
    assert all(s["workflow"] == workflow for s in fake_queue.submits)
    # Progress events carry the sweep id; the last one says done.
    progress = [d for e, d in events if e == "comfy-sweep.progress" and d["sweep_id"] == made["id"]]
    assert progress and progress[-1]["state"] == "done" and progress[-1]["done"] == 6


async def test_listing_paging_and_prompt(
    client: TestClient, prompt: dict[str, Any], grid_config: dict[str, Any]
) -> None:
    first = await create(client, prompt, grid_config)
    await wait_state(client, first["id"], ("done",))
    second = await create(client, prompt, grid_config)
    await wait_state(client, second["id"], ("done",))
    listed = await (await client.get("/comfy-sweep/sweeps")).json()
    assert [s["id"] for s in listed["sweeps"]][:2] == [second["id"], first["id"]]
    page = await (await client.get(f"/comfy-sweep/sweeps/{first['id']}?offset=2&limit=3")).json()
    assert [r["run_id"] for r in page["runs"]] == [3, 4, 5]
    assert page["page"] == {"offset": 2, "limit": 3, "total": 6}
    run = page["runs"][0]
    got = await (await client.get(f"/comfy-sweep/sweeps/{first['id']}/runs/3/prompt")).json()
    assert got["values"] == run["values"]
    assert got["prompt"]["3"]["inputs"]["blur_radius"] == run["values"]["blur_radius"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=1001", "limit"),
        ("limit=0", "limit"),
        ("offset=-1", "offset"),
        ("limit=abc", "limit"),
    ],
)
async def test_bad_paging_is_400(
    client: TestClient, prompt: dict[str, Any], grid_config: dict[str, Any], query: str, field: str
) -> None:
    made = await create(client, prompt, grid_config)
    resp = await client.get(f"/comfy-sweep/sweeps/{made['id']}?{query}")
    body = await resp.json()
    assert resp.status == 400 and body["error"]["field"] == field


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/comfy-sweep/sweeps/nope"),
        ("POST", "/comfy-sweep/sweeps/nope/cancel"),
        ("POST", "/comfy-sweep/sweeps/nope/resume"),
        ("DELETE", "/comfy-sweep/sweeps/nope"),
        ("GET", "/comfy-sweep/sweeps/nope/files/metadata.csv"),
        ("GET", "/comfy-sweep/sweeps/nope/contact-sheet"),
        ("GET", "/comfy-sweep/sweeps/nope/runs/1/prompt"),
        ("GET", "/comfy-sweep/sweeps/.hidden"),
    ],
)
async def test_unknown_sweep_is_404(client: TestClient, method: str, path: str) -> None:
    resp = await client.request(method, path)
    body = await resp.json()
    assert resp.status == 404 and body["error"]["code"] == "not_found"


async def test_unknown_run_is_404(
    client: TestClient, prompt: dict[str, Any], grid_config: dict[str, Any]
) -> None:
    made = await create(client, prompt, grid_config)
    resp = await client.get(f"/comfy-sweep/sweeps/{made['id']}/runs/99/prompt")
    assert resp.status == 404
    resp = await client.get(f"/comfy-sweep/sweeps/{made['id']}/runs/x/prompt")
    assert resp.status == 400


async def test_rejected_first_prompt_is_400_and_nothing_created(
    client: TestClient,
    prompt: dict[str, Any],
    grid_config: dict[str, Any],
    fake_queue: FakeQueue,
    sweeps_root: Path,
) -> None:
    fake_queue.reject = "node 3 (ImageBlur) input blur_radius: Value 99 bigger than max of 31"
    resp = await client.post("/comfy-sweep/sweeps", json={"prompt": prompt, "config": grid_config})
    body = await resp.json()
    assert resp.status == 400 and body["error"]["code"] == "prompt_rejected"
    assert "blur_radius" in body["error"]["message"]
    assert not sweeps_root.exists() or not any(sweeps_root.iterdir())


async def test_server_keys_are_ignored_with_a_warning(
    client: TestClient,
    prompt: dict[str, Any],
    grid_config: dict[str, Any],
    sweeps_root: Path,
    tmp_path: Path,
) -> None:
    elsewhere = tmp_path / "elsewhere"
    config = dict(
        grid_config, output={"base_dir": str(elsewhere)}, comfyui={"server_address": "10.0.0.1:1"}
    )
    made = await create(client, prompt, config)
    joined = " ".join(made["warnings"])
    assert "config.output.base_dir is ignored" in joined
    assert "config.comfyui.server_address is ignored" in joined
    assert (sweeps_root / made["id"] / "progress.json").is_file()
    assert not elsewhere.exists()


async def test_bad_name_is_refused(
    client: TestClient, prompt: dict[str, Any], grid_config: dict[str, Any]
) -> None:
    resp = await client.post(
        "/comfy-sweep/sweeps", json={"prompt": prompt, "config": grid_config, "name": "../x"}
    )
    body = await resp.json()
    assert resp.status == 400 and body["error"]["field"] == "name"


async def test_cancel_resume_delete(
    client: TestClient,
    prompt: dict[str, Any],
    grid_config: dict[str, Any],
    fake_queue: FakeQueue,
    sweeps_root: Path,
) -> None:
    fake_queue.gate.clear()  # hold the first run "running" in ComfyUI
    made = await create(client, prompt, grid_config)
    sid = made["id"]
    body = await wait_state(client, sid, ("running",))
    while body["current"] is None:  # the engine fills its window, then one runs
        body = await wait_state(client, sid, ("running",))
    assert body["current"]["run_id"] == 1
    assert (await client.delete(f"/comfy-sweep/sweeps/{sid}")).status == 409
    assert (await client.post(f"/comfy-sweep/sweeps/{sid}/resume")).status == 409
    resp = await client.post(f"/comfy-sweep/sweeps/{sid}/cancel")
    assert resp.status == 200
    fake_queue.gate.set()
    body = await wait_state(client, sid, ("cancelled",))
    assert body["done"] < 6
    assert fake_queue.queue == []  # our pending prompts left ComfyUI's queue
    assert (await client.post(f"/comfy-sweep/sweeps/{sid}/cancel")).status == 409
    resp = await client.post(f"/comfy-sweep/sweeps/{sid}/resume")
    assert resp.status == 202
    body = await wait_state(client, sid, ("done",))
    assert body["done"] == 6
    assert sorted(metadata_ids(sweeps_root / sid)) == [1, 2, 3, 4, 5, 6]  # each exactly once
    assert (await client.post(f"/comfy-sweep/sweeps/{sid}/cancel")).status == 409
    resp = await client.delete(f"/comfy-sweep/sweeps/{sid}")
    assert resp.status == 200 and (await resp.json()) == {"deleted": sid}
    assert not (sweeps_root / sid).exists()
    assert (await client.get(f"/comfy-sweep/sweeps/{sid}")).status == 404


def crashed_sweep(root: Path, prompt: dict[str, Any], grid_config: dict[str, Any]) -> RunStore:
    """A sweep folder as a killed server leaves it: running, one run in flight."""
    wf = Workflow.from_data(prompt)
    cfg = parse_config(dict(grid_config, workflow_file=None))
    store = RunStore.create(root, cfg, wf, build_plan(cfg, wf), extra={"mode": "server"})
    store.set_state("running")
    store.record_submitted(1, "0f0f0f0f-dead-4bad-8bad-000000000001", prompt)
    return store


async def test_restart_marks_interrupted_and_resume_runs_each_once(
    aiohttp_client: Any,
    prompt: dict[str, Any],
    grid_config: dict[str, Any],
    sweeps_root: Path,
    fake_queue: FakeQueue,
) -> None:
    store = crashed_sweep(sweeps_root, prompt, grid_config)
    service = make_service(sweeps_root, fake_queue, [])
    client = await make_client(aiohttp_client, service)
    body = await (await client.get(f"/comfy-sweep/sweeps/{store.name}")).json()
    assert body["state"] == "interrupted" and "stopped" in body["message"]
    assert (await client.post(f"/comfy-sweep/sweeps/{store.name}/resume")).status == 202
    body = await wait_state(client, store.name, ("done",))
    assert body["done"] == 6 and "message" not in body
    assert sorted(metadata_ids(store.root)) == [1, 2, 3, 4, 5, 6]
    await service.shutdown()


async def test_files_are_confined_and_not_cached_while_running(
    client: TestClient,
    prompt: dict[str, Any],
    grid_config: dict[str, Any],
    fake_queue: FakeQueue,
    sweeps_root: Path,
    tmp_path: Path,
) -> None:
    fake_queue.gate.clear()
    made = await create(client, prompt, grid_config)
    sid = made["id"]
    base = f"/comfy-sweep/sweeps/{sid}/files"
    resp = await client.get(f"{base}/plan.json")
    assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
    assert json.loads(await resp.read())["parameters"] == ["strength", "blur_radius"]
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    os.symlink(secret, sweeps_root / sid / "link.txt")
    for raw in (
        f"{base}/..%2F..%2Fsecret.txt",
        f"{base}/runs%5C..%5Cplan.json",
        f"{base}/%2e%2e/%2e%2e/secret.txt",
        f"{base}/link.txt",
        f"{base}//etc/passwd",
    ):
        resp = await client.get(URL(raw, encoded=True))
        body = await resp.json()
        assert resp.status in (403, 404), (raw, body)
        assert "secret" not in json.dumps(body)
    assert (await client.get(URL(f"{base}/link.txt", encoded=True))).status == 403
    assert (await client.get(URL(f"{base}/%2e%2e/plan.json", encoded=True))).status in (403, 404)
    assert (await client.get(f"{base}/nothing.png")).status == 404
    fake_queue.gate.set()
    await wait_state(client, sid, ("done",))
    resp = await client.get(f"{base}/metadata.csv")
    assert resp.status == 200 and resp.headers["Cache-Control"] != "no-store"


async def test_contact_sheet_redirect_resolves(
    client: TestClient, prompt: dict[str, Any], grid_config: dict[str, Any]
) -> None:
    made = await create(client, prompt, grid_config)
    await wait_state(client, made["id"], ("done",))
    for _ in range(100):  # the final sheet is written right after the state flips
        resp = await client.get(f"/comfy-sweep/sweeps/{made['id']}/contact-sheet")
        if resp.status == 200:
            break
        await asyncio.sleep(0.05)
    assert resp.status == 200, await resp.text()
    assert str(resp.url).endswith(f"/comfy-sweep/sweeps/{made['id']}/files/contact_sheet.html")
    assert "<html" in (await resp.text()).lower()
    resp = await client.get(
        f"/comfy-sweep/sweeps/{made['id']}/contact-sheet", allow_redirects=False
    )
    assert resp.status == 302 and resp.headers["Location"] == "files/contact_sheet.html"
