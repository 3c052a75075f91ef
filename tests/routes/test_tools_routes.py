"""Stateless routes: version, analyze, plan, config parse/render, and the
validation / error envelope they share."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from comfy_sweep.server_routes.schemas import MAX_BODY_BYTES

from .conftest import make_client, make_service


def assert_error(body: Any, code: str, field: str | None = None) -> None:
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    if field is not None:
        assert body["error"].get("field") == field, body


async def test_version(client: TestClient) -> None:
    resp = await client.get("/comfy-sweep/version")
    body = await resp.json()
    assert resp.status == 200
    assert body["name"] == "comfy-sweep" and body["api"] == 1
    assert {"analyze", "plan", "sweeps", "files", "contact-sheet"} <= set(body["capabilities"])


async def test_analyze_without_object_info(client: TestClient, prompt: dict[str, Any]) -> None:
    resp = await client.post("/comfy-sweep/analyze", json={"prompt": prompt})
    body = await resp.json()
    assert resp.status == 200, body
    paths = {p["path"] for p in body["analysis"]["params"]}
    assert "nodes.3.inputs.blur_radius" in paths
    assert body["analysis"]["object_info_used"] is False
    assert "parameters:" in body["template_yaml"]


async def test_analyze_uses_object_info(
    aiohttp_client: Any, sweeps_root: Any, fake_queue: Any, prompt: dict[str, Any]
) -> None:
    info = {
        "ImageBlur": {
            "input": {
                "required": {
                    "image": ["IMAGE"],
                    "blur_radius": ["INT", {"default": 1, "min": 1, "max": 31, "step": 1}],
                    "sigma": ["FLOAT", {"default": 1.0, "min": 0.1, "max": 10.0, "step": 0.1}],
                }
            },
            "input_order": {"required": ["image", "blur_radius", "sigma"]},
            "output": ["IMAGE"],
            "name": "ImageBlur",
        }
    }
    client = await make_client(aiohttp_client, make_service(sweeps_root, fake_queue, [], info))
    body = await (await client.post("/comfy-sweep/analyze", json={"prompt": prompt})).json()
    assert body["analysis"]["object_info_used"] is True
    blur = next(p for p in body["analysis"]["params"] if p["path"] == "nodes.3.inputs.blur_radius")
    assert blur["bounds"]["max"] == 31


async def test_plan_counts_runs_and_warns_about_ignored_keys(
    client: TestClient, prompt: dict[str, Any], grid_config: dict[str, Any]
) -> None:
    resp = await client.post("/comfy-sweep/plan", json={"prompt": prompt, "config": grid_config})
    body = await resp.json()
    assert resp.status == 200, body
    assert body["total"] == 6 and len(body["runs"]) == 6 and body["truncated"] is False
    assert body["parameters"] == ["strength", "blur_radius"]
    assert {r["values"]["blur_radius"] for r in body["runs"]} == {1, 4, 7}
    assert any("config.workflow_file is ignored" in w for w in body["warnings"])
    assert body["estimate_s"] == pytest.approx(3.0)  # 6 runs x 0.5 s from history


async def test_plan_accepts_yaml_text(client: TestClient, prompt: dict[str, Any]) -> None:
    text = "sampling_strategy: grid\nparameters:\n  r:\n    path: nodes.3.inputs.blur_radius\n    type: values\n    values: [1, 2, 3]\n"
    body = await (
        await client.post("/comfy-sweep/plan", json={"prompt": prompt, "config": text})
    ).json()
    assert body["total"] == 3


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (
            lambda c: c["parameters"]["blur_radius"].update(min="x"),
            "config.parameters.blur_radius.min",
        ),
        (
            lambda c: c["parameters"]["strength"].update(path="nodes.99.inputs.x"),
            "config.parameters.strength",
        ),
        (lambda c: c.update(sampling_strategy="nope"), "config.sampling_strategy"),
    ],
)
async def test_plan_bad_config_names_the_field(
    client: TestClient, prompt: dict[str, Any], grid_config: dict[str, Any], mutate: Any, field: str
) -> None:
    config = copy.deepcopy(grid_config)
    mutate(config)
    resp = await client.post("/comfy-sweep/plan", json={"prompt": prompt, "config": config})
    body = await resp.json()
    assert resp.status == 400, body
    assert body["error"]["code"] in ("invalid_config", "invalid_workflow")
    assert body["error"]["field"].startswith(field), body


async def test_config_parse_and_render_round_trip(client: TestClient) -> None:
    text = "sampling_strategy: lhs\nnum_samples: 5\nparameters:\n  cfg:\n    path: nodes.3.inputs.cfg\n    type: continuous\n    min: 1\n    max: 9\n"
    parsed = await (await client.post("/comfy-sweep/config/parse", json={"yaml": text})).json()
    assert parsed["config"]["num_samples"] == 5
    assert parsed["config"]["parameters"]["cfg"]["max"] == 9
    resp = await client.post("/comfy-sweep/config/render", json={"config": parsed["config"]})
    rendered = await resp.json()
    again = await (
        await client.post("/comfy-sweep/config/parse", json={"yaml": rendered["yaml"]})
    ).json()
    assert again["config"] == parsed["config"]


async def test_config_parse_reports_yaml_line(client: TestClient) -> None:
    resp = await client.post("/comfy-sweep/config/parse", json={"yaml": "a: 1\nb: [1, 2\n"})
    body = await resp.json()
    assert resp.status == 400
    assert_error(body, "invalid_config")
    assert body["error"]["details"]["line"] >= 2


BAD_BODIES: list[tuple[str, Any, str | None]] = [
    ("/comfy-sweep/analyze", {}, "prompt"),
    ("/comfy-sweep/analyze", {"prompt": []}, "prompt"),
    ("/comfy-sweep/analyze", {"prompt": {"nodes": [], "links": []}}, "prompt"),
    ("/comfy-sweep/analyze", [1, 2], None),
    ("/comfy-sweep/plan", {"prompt": {"1": {"class_type": "X", "inputs": {}}}}, "config"),
    ("/comfy-sweep/plan", {"prompt": {"1": "x"}, "config": {}}, "prompt"),
    (
        "/comfy-sweep/plan",
        {"prompt": {"1": {"class_type": "X", "inputs": {}}}, "config": 5},
        "config",
    ),
    ("/comfy-sweep/config/parse", {"yaml": 3}, "yaml"),
    ("/comfy-sweep/config/parse", {"yaml": "- a\n- b\n"}, None),
    ("/comfy-sweep/config/render", {"config": "x"}, "config"),
    ("/comfy-sweep/config/render", {"config": {"num_samples": -1}}, "config.num_samples"),
    ("/comfy-sweep/sweeps", {"config": {}}, "prompt"),
    ("/comfy-sweep/sweeps", None, None),
]


@pytest.mark.parametrize(("path", "body", "field"), BAD_BODIES)
async def test_bad_bodies_are_400_with_field(
    client: TestClient, path: str, body: Any, field: str | None
) -> None:
    resp = await client.post(path, json=body)
    data = await resp.json()
    assert resp.status == 400, data
    assert data["error"]["code"] in ("invalid_request", "invalid_workflow", "invalid_config")
    if field is not None:
        assert data["error"].get("field", "").startswith(field), data


@pytest.mark.parametrize(
    "path",
    [
        "/comfy-sweep/analyze",
        "/comfy-sweep/plan",
        "/comfy-sweep/sweeps",
        "/comfy-sweep/config/parse",
    ],
)
@pytest.mark.parametrize("raw", [b"", b"{", b"\xff\xfe", b"null", b'"text"', b"[]"])
async def test_garbage_is_never_500(client: TestClient, path: str, raw: bytes) -> None:
    resp = await client.post(path, data=raw, headers={"Content-Type": "application/json"})
    body = await resp.json()
    assert resp.status == 400, body
    assert_error(body, body["error"]["code"])


async def test_oversized_body_is_413_from_content_length(client: TestClient) -> None:
    resp = await client.post("/comfy-sweep/plan", data=b"x" * (MAX_BODY_BYTES + 1))
    assert resp.status == 413
    assert_error(await resp.json(), "body_too_large")


async def test_oversized_chunked_body_is_413(client: TestClient) -> None:
    async def chunks() -> Any:
        for _ in range(MAX_BODY_BYTES // (1 << 20) + 2):
            yield b" " * (1 << 20)

    resp = await client.post("/comfy-sweep/analyze", data=chunks())
    assert resp.status == 413
    assert_error(await resp.json(), "body_too_large")
