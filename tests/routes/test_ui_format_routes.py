"""The routes accept a UI-format workflow as ``prompt``: converted with the
in-process /object_info, the UI graph kept for extra_pnginfo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from uiformat_graphs import OBJECT_INFO

from .conftest import EXAMPLES, FakeQueue, make_client, make_service, wait_state

UI = json.loads((EXAMPLES / "ui_noise_blur_subgraph.json").read_text())
CONFIG = {
    "sampling_strategy": "grid",
    "parameters": {"sigma": {"path": "nodes.10:2.inputs.sigma", "type": "values",
                             "values": [0.5, 2.0]}},
}  # fmt: skip


async def test_analyze_converts_a_ui_workflow(
    aiohttp_client: Any, sweeps_root: Path, fake_queue: FakeQueue
) -> None:
    client = await make_client(
        aiohttp_client, make_service(sweeps_root, fake_queue, [], OBJECT_INFO)
    )
    resp = await client.post("/comfy-sweep/analyze", json={"prompt": UI})
    body = await resp.json()
    assert resp.status == 200, body
    paths = {p["path"] for p in body["analysis"]["params"]}
    assert {"nodes.10:1.inputs.seed", "nodes.10:2.inputs.sigma", "nodes.1.inputs.width"} <= paths


async def test_sweep_from_a_ui_workflow_keeps_the_graph(
    aiohttp_client: Any, sweeps_root: Path, fake_queue: FakeQueue
) -> None:
    client = await make_client(
        aiohttp_client, make_service(sweeps_root, fake_queue, [], OBJECT_INFO)
    )
    resp = await client.post("/comfy-sweep/sweeps", json={"prompt": UI, "config": CONFIG})
    made = await resp.json()
    assert resp.status == 202, made
    await wait_state(client, made["id"], ("done",))
    root = sweeps_root / made["id"]
    assert set(json.loads((root / "workflow.json").read_text())) == {"1", "10:1", "10:2", "3"}
    assert json.loads((root / "ui_workflow.json").read_text()) == UI
    assert [s["workflow"] for s in fake_queue.submits] == [UI, UI]  # sent as extra_pnginfo
    sigmas = sorted(p["10:2"]["inputs"]["sigma"] for p in fake_queue.prompts.values())
    assert sigmas == [0.5, 2.0]


async def test_unknown_node_type_is_a_400_naming_the_node(
    aiohttp_client: Any, sweeps_root: Path, fake_queue: FakeQueue
) -> None:
    info = {k: v for k, v in OBJECT_INFO.items() if k != "ImageBlur"}
    client = await make_client(aiohttp_client, make_service(sweeps_root, fake_queue, [], info))
    resp = await client.post("/comfy-sweep/analyze", json={"prompt": UI})
    body = await resp.json()
    assert resp.status == 400, body
    assert body["error"]["code"] == "invalid_workflow"
    message = body["error"]["message"]
    assert "node 2 ('Blur') of type 'ImageBlur'" in message and "custom node pack" in message
