"""InProcessBackend: core.engine's Backend on ComfyUI's own queue, in-process.

It behaves like a normal ``POST /prompt`` (server.py ``post_prompt`` in 0.3.75):
``trigger_on_prompt`` first (other extensions rewrite prompts there), then
``await execution.validate_prompt`` checking ``node_errors`` as well as the ok
flag (ok is True when *any* output validates), increasing ``server.number``
values (the queue is a heap; equal numbers fall back to random prompt ids;
``priority="background"`` takes numbers above the counter instead, see
core/queue_priority.py),
and a 6-tuple or 5-tuple item depending on the server version.

Completion is read from ``prompt_queue.get_history(prompt_id=...)`` by polling
from the engine: no ComfyUI internals are patched (wrapping ``task_done`` is
what breaks sweep packs on ComfyUI updates).
"""

from __future__ import annotations

import asyncio
import copy
import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..core import comfy_messages
from ..core.engine.history import RunOutcome, outcome_from_history, run_file_name
from ..core.engine.inputs import read_input_file
from ..core.errors import BackendError, PromptRejected
from ..core.plan.model import InputFile
from ..core.queue_priority import BackgroundNumbers, check_priority
from .comfy_env import ComfyEnv


class InProcessBackend:
    """Queues prompts on the running ComfyUI; remembers each prompt as queued."""

    def __init__(self, env: ComfyEnv) -> None:
        self.env = env
        # prompt id -> prompt as queued, until its history is read (error titles)
        self.queued_prompts: dict[str, dict[str, Any]] = {}
        self.present: set[str] = set()  # input files known to be in the input folder
        # "background": numbers above anything a user's prompt gets (core/queue_priority.py).
        self.priority = "normal"
        self._numbers = BackgroundNumbers()

    async def ensure_inputs(self, files: Sequence[InputFile]) -> None:
        """Copy the input sets' media into ComfyUI's input folder (what an upload
        would do), each content-hashed name once per session."""
        missing = [f for f in files if f.name not in self.present]
        if missing:
            await asyncio.to_thread(self._copy_inputs, missing)

    def _copy_inputs(self, files: Sequence[InputFile]) -> None:
        base = self.env.directory_for_type("input")
        if base is None:
            raise BackendError("ComfyUI has no input folder")
        for f in files:
            target = base / f.subfolder / f.filename
            if not target.is_file():
                data = read_input_file(f)
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(f".{target.name}.part")
                tmp.write_bytes(data)
                os.replace(tmp, target)
            self.present.add(f.name)

    # -- submit -------------------------------------------------------------
    async def submit(
        self,
        prompt_id: str,
        prompt: dict[str, Any],
        *,
        client_id: str | None,
        workflow: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """Queue one prompt; returns the prompt as actually queued (on_prompt
        handlers of other extensions may rewrite it; the engine records that)."""
        server = self.env.prompt_server()
        json_data = _request_body(prompt_id, prompt, client_id, workflow)
        json_data = server.trigger_on_prompt(json_data)
        queued = json_data.get("prompt")
        if not isinstance(queued, dict):
            raise BackendError(f"an on_prompt handler removed the prompt of {prompt_id}")
        number = self._queue_number(server)
        outputs = await self._validate(prompt_id, queued)
        extra_data = dict(json_data.get("extra_data") or {})
        if json_data.get("client_id"):
            extra_data["client_id"] = json_data["client_id"]
        sensitive = {k: extra_data.pop(k) for k in self.env.sensitive_keys() if k in extra_data}
        extra_data["create_time"] = int(time.time() * 1000)
        item: tuple[Any, ...] = (number, prompt_id, queued, extra_data, outputs)
        if self.env.six_tuple_queue():
            item = (*item, sensitive)
        self.queued_prompts[prompt_id] = queued
        server.prompt_queue.put(item)
        return copy.deepcopy(queued)

    def _queue_number(self, server: Any) -> int:
        if self.priority == "background":
            return self._numbers.next()
        # Same order as post_prompt: take the number before validating.
        number = int(server.number)
        server.number += 1
        return number

    def with_priority(self, priority: str) -> InProcessBackend:
        """This backend (same queued-prompt map and input cache) queueing at ``priority``."""
        view = copy.copy(self)
        view.priority = check_priority(priority)
        return view

    async def validate(self, prompt: dict[str, Any]) -> None:
        """Validate without queueing (sweep creation checks its first run)."""
        await self._validate("validate-only", copy.deepcopy(prompt))

    async def _validate(self, prompt_id: str, prompt: dict[str, Any]) -> list[str]:
        ok, error, outputs, node_errors = await self.env.execution().validate_prompt(
            prompt_id, prompt, None
        )
        if not ok or node_errors:
            raise PromptRejected(
                describe_rejection(prompt, error, node_errors),
                details={"error": error, "node_errors": node_errors},
            )
        return list(outputs)

    # -- completion ---------------------------------------------------------
    async def poll(self, prompt_ids: Sequence[str]) -> dict[str, RunOutcome]:
        queue = self.env.prompt_server().prompt_queue
        found: dict[str, RunOutcome] = {}
        for pid in prompt_ids:
            entry = queue.get_history(prompt_id=pid).get(pid)
            if entry is not None:
                found[pid] = outcome_from_history(pid, entry, self.queued_prompts.pop(pid, None))
        return found

    async def active_ids(self) -> set[str]:
        running, pending = self.env.prompt_server().prompt_queue.get_current_queue_volatile()
        return {str(item[1]) for item in [*running, *pending]}

    def running_ids(self) -> set[str]:
        running, _ = self.env.prompt_server().prompt_queue.get_current_queue_volatile()
        return {str(item[1]) for item in running}

    async def cancel(self, prompt_ids: Sequence[str]) -> None:
        """Delete our pending prompts; interrupt only if one of ours is running."""
        ours = set(prompt_ids)
        queue = self.env.prompt_server().prompt_queue
        for pid in ours:
            queue.delete_queue_item(lambda item, pid=pid: item[1] == pid)
        # Small race by design (same as ComfyUI's own /interrupt with a
        # prompt_id): ours may finish between the check and the interrupt.
        if ours & self.running_ids():
            self.env.interrupt()

    # -- outputs ------------------------------------------------------------
    async def collect(self, outcome: RunOutcome, dest: Path) -> list[Path]:
        return await asyncio.to_thread(self._collect_sync, outcome, dest)

    def _collect_sync(self, outcome: RunOutcome, dest: Path) -> list[Path]:
        dest.mkdir(parents=True, exist_ok=True)
        collected: list[Path] = []
        taken: set[str] = set()
        for item in outcome.outputs:
            src = self._source_path(item)
            target = dest / run_file_name(item, taken)
            link_or_copy(src, target)
            collected.append(target)
        return collected

    def _source_path(self, item: dict[str, str]) -> Path:
        base = self.env.directory_for_type(item.get("type", "output"))
        if base is None:
            raise BackendError(f"unknown output folder type {item.get('type')!r}")
        root = base.resolve()
        src = (root / item.get("subfolder", "") / item["filename"]).resolve()
        # History comes from nodes; never follow a name out of ComfyUI's folder.
        if not src.is_relative_to(root) or not src.is_file():
            raise BackendError(f"output file {item['filename']!r} not found under {root}")
        return src


def _request_body(
    prompt_id: str, prompt: dict[str, Any], client_id: str | None, workflow: dict[str, Any] | None
) -> dict[str, Any]:
    """The body a browser would POST to /prompt (what on_prompt handlers expect)."""
    extra_data: dict[str, Any] = {}
    if workflow is not None:
        # Other extensions index extra_pnginfo.workflow unguarded; SaveImage embeds it.
        extra_data["extra_pnginfo"] = {"workflow": workflow}
    body: dict[str, Any] = {
        "prompt": copy.deepcopy(prompt),  # validate_prompt mutates its input
        "prompt_id": prompt_id,
        "extra_data": extra_data,
    }
    if client_id:
        body["client_id"] = client_id
    return body


def link_or_copy(src: Path, target: Path) -> None:
    """Hard link (free, instant) where possible, else copy via a temp file."""
    if target.exists():
        target.unlink()
    try:
        os.link(src, target)
        return
    except OSError:
        pass  # other filesystem, FAT/exFAT, no permission: copy instead
    tmp = target.with_name(f".{target.name}.part")
    shutil.copy2(src, tmp)
    os.replace(tmp, target)


def describe_rejection(prompt: dict[str, Any], error: Any, node_errors: Any) -> str:
    """ComfyUI's validation result in plain words, naming nodes and inputs."""
    return comfy_messages.describe_rejection(error, node_errors, prompt)
