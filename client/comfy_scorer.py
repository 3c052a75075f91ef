"""Scoring on ComfyUI: upload an image, run a scoring workflow, read its number.

The scoring workflow (API format) has a marked input, a LoadImage-like
``nodes.<id>.inputs.image`` that gets the uploaded file's name, and a marked
output node whose UI result holds the score (e.g. "Preview Any" after an
aesthetic, PickScore or CLIP node: ``{"text": ["0.73"]}`` in the history entry).

Uploads go to ComfyUI's ``input/comfy-sweep-scoring/`` under a content-hash
name, so scoring the same image again reuses the file and ComfyUI's cache.
Synchronous entry point ``score_images`` for worker threads: it runs its own
event loop and session (one per call), so it never touches a caller's loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp

from ..core.errors import BackendError
from ..core.metrics.results import Answer, answer_from_ui
from ..core.workflow import InputRef, Workflow
from .comfyui import ComfyClient

SUBFOLDER = "comfy-sweep-scoring"
POLL_S = 0.2


async def upload_image(client: ComfyClient, data: bytes, suffix: str = ".png") -> str:
    """POST /upload/image; the value a LoadImage input takes (``subfolder/name``)."""
    name = hashlib.sha256(data).hexdigest()[:24] + suffix
    form = aiohttp.FormData()
    form.add_field("image", data, filename=name, content_type="application/octet-stream")
    form.add_field("subfolder", SUBFOLDER)
    form.add_field("type", "input")
    form.add_field("overwrite", "true")
    try:
        async with client.session.post(client.address.url("/upload/image"), data=form) as resp:
            body = await resp.json(content_type=None) if resp.status == 200 else None
            status = resp.status
    except (aiohttp.ClientError, asyncio.TimeoutError) as err:
        raise BackendError(f"ComfyUI at {client.address.display}: upload failed: {err}") from None
    if not isinstance(body, dict) or "name" not in body:
        raise BackendError(f"ComfyUI at {client.address.display}: /upload/image answered {status}")
    sub = str(body.get("subfolder") or "")
    return f"{sub}/{body['name']}" if sub else str(body["name"])


def _error_of(entry: Mapping[str, Any]) -> str | None:
    status = entry.get("status") or {}
    if status.get("status_str") != "error":
        return None
    for event, data in status.get("messages") or []:
        if event == "execution_error" and isinstance(data, dict):
            return f"{data.get('node_type', 'a node')}: {data.get('exception_message', '').strip()}"
    return "the scoring prompt failed"


async def run_scoring_prompt(
    client: ComfyClient, prompt: Mapping[str, Any], output_node: str, timeout: float
) -> Answer:
    """Queue ``prompt``, wait for its history entry, read ``output_node``'s UI result."""
    prompt_id = str(uuid.uuid4())
    # With no client_id, ComfyUI 0.3.75 leaves a cached output node's UI result
    # out of the history entry (execution.py:414-418), and scoring an image a
    # second time is all cache: a client id (of no websocket) keeps it in.
    await client.queue_prompt(prompt, prompt_id, client_id=f"comfy-sweep-scorer-{prompt_id}")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (entry := await client.history(prompt_id)) is None:
        if loop.time() > deadline:
            await client.delete_from_queue([prompt_id])
            raise TimeoutError(f"the scoring prompt did not finish within {timeout:g} s")
        await asyncio.sleep(POLL_S)
    error = _error_of(entry)
    if error:
        raise RuntimeError(error)
    ui = (entry.get("outputs") or {}).get(output_node)
    if not isinstance(ui, dict):
        raise ValueError(
            f"node {output_node} gave no UI result (is it an output node such as Preview Any?)"
        )
    return answer_from_ui(ui)


async def _score_all(
    address: str,
    auth_token: str | None,
    workflow: Workflow,
    ref: InputRef,
    output_node: str,
    images: Sequence[tuple[bytes, str]],
    timeout: float,
) -> list[Answer]:
    answers = []
    async with ComfyClient(address, auth_token=auth_token, timeout=min(timeout, 30.0)) as client:
        for data, suffix in images:
            name = await upload_image(client, data, suffix)
            prompt = workflow.apply({ref: name})
            answers.append(await run_scoring_prompt(client, prompt, output_node, timeout))
    return answers


def score_images(
    address: str,
    workflow: Workflow,
    ref: InputRef,
    output_node: str,
    images: Sequence[tuple[bytes, str]],
    *,
    auth_token: str | None = None,
    timeout: float = 60.0,
) -> list[Answer]:
    """One answer per (file bytes, suffix) image; call from a worker thread."""
    return asyncio.run(_score_all(address, auth_token, workflow, ref, output_node, images, timeout))
