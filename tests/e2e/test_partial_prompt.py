"""A prompt ComfyUI validates only in part (one output node valid, another not) is
refused whole over HTTP, as in-process: ComfyUI would otherwise run the valid part
and the run would be recorded done with outputs missing."""

from __future__ import annotations

import asyncio

import pytest
from comfy_sweep.client.comfyui import ComfyClient
from comfy_sweep.core.engine.events import new_prompt_id
from comfy_sweep.core.errors import PromptRejected

pytestmark = pytest.mark.comfy

PROMPT = {
    "1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 64, "batch_size": 1,
          "color": 0}},
    "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "ok"}},
    "3": {"class_type": "ImageBlur", "inputs": {"image": ["1", 0], "blur_radius": 999,
          "sigma": 1.0}},
    "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "bad"}},
}  # fmt: skip


async def test_a_partly_valid_prompt_is_refused_and_not_left_queued(comfy_server) -> None:
    async with ComfyClient(comfy_server.address) as client:
        pid = new_prompt_id()
        with pytest.raises(PromptRejected) as info:
            await client.queue_prompt(PROMPT, pid)
        assert "blur_radius" in info.value.message and "node 3" in info.value.message
        running, pending = await client.queue()
        assert pid not in pending  # taken back, or interrupted if it had started
        for _ in range(100):
            running, pending = await client.queue()
            if pid not in running:
                break
            await asyncio.sleep(0.1)
        assert pid not in running and pid not in pending
