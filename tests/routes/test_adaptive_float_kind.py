"""An adaptive sweep posted by the panel keeps a FLOAT input a float.

The frontend's graphToPrompt writes sigma 1.0 as ``1``; guessed from that
value, sigma looked like an INT when the adaptive source re-validated the
config without object_info, and every run's sigma was rounded (0.15 -> 0,
which ComfyUI refuses: "Value 0.0 smaller than min of 0.1")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from comfy_sweep.server_routes.service import SweepService

from .conftest import FakeQueue, make_client, make_service, wait_state

IMAGE = ["IMAGE"]
OBJECT_INFO = {  # the four nodes of examples/image_noise_blur.json, as 0.3.75 describes them
    "EmptyImage": {"input": {"required": {
        "width": ["INT", {"default": 512, "min": 1, "max": 16384, "step": 1}],
        "height": ["INT", {"default": 512, "min": 1, "max": 16384, "step": 1}],
        "batch_size": ["INT", {"default": 1, "min": 1, "max": 4096}],
        "color": ["INT", {"default": 0, "min": 0, "max": 16777215, "step": 1}]}},
        "output": IMAGE, "output_node": False},
    "ImageAddNoise": {"input": {"required": {
        "image": IMAGE, "seed": ["INT", {"default": 0, "min": 0, "max": 18446744073709551615}],
        "strength": ["FLOAT", {"default": 0.5, "min": 0.0, "max": 1.0, "step": 0.01}]}},
        "output": IMAGE, "output_node": False},
    "ImageBlur": {"input": {"required": {
        "image": IMAGE, "blur_radius": ["INT", {"default": 1, "min": 1, "max": 31, "step": 1}],
        "sigma": ["FLOAT", {"default": 1.0, "min": 0.1, "max": 10.0, "step": 0.1}]}},
        "output": IMAGE, "output_node": False},
    "SaveImage": {"input": {"required": {"images": IMAGE, "filename_prefix": ["STRING", {}]}},
                  "output": [], "output_node": True},
}  # fmt: skip


@pytest.fixture
async def service(sweeps_root: Path, fake_queue: FakeQueue, events: list[Any]) -> Any:
    svc = make_service(sweeps_root, fake_queue, events, object_info=OBJECT_INFO)
    yield svc
    await svc.shutdown()


@pytest.fixture
async def client(aiohttp_client: Any, service: SweepService) -> TestClient:
    return await make_client(aiohttp_client, service)


async def test_a_float_written_as_an_integer_is_not_rounded(
    client: TestClient, prompt: dict[str, Any], sweeps_root: Path
) -> None:
    prompt["3"]["inputs"]["sigma"] = 1  # as the frontend sends 1.0
    config = {
        "sampling_strategy": "adaptive", "num_samples": 5, "sweep_seed": 7,
        "parameters": {"sigma": {"path": "nodes.3.inputs.sigma", "type": "continuous",
                                 "min": 0.1, "max": 1.0}},
        "metrics": {"sharp": {"type": "sharpness"}},
        "objective": {"metric": "sharp"},
    }  # fmt: skip
    resp = await client.post("/comfy-sweep/sweeps", json={"prompt": prompt, "config": config})
    created = await resp.json()
    assert resp.status == 202, created
    await wait_state(client, str(created["id"]), ("done",))
    folder = sweeps_root / created["id"] / "runs"
    sigmas = [
        json.loads(p.read_text())["3"]["inputs"]["sigma"]
        for p in sorted(folder.glob("*/prompt.json"))
    ]
    assert len(sigmas) == 5, sigmas
    assert all(isinstance(s, float) and 0.1 <= s <= 1.0 for s in sigmas), sigmas
