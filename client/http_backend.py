"""``HttpBackend``: the engine's Backend over ComfyUI's plain HTTP API."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..core.engine.history import RunOutcome, outcome_from_history, run_file_name
from ..core.engine.inputs import read_input_file
from ..core.plan.model import InputFile
from ..core.queue_priority import BackgroundNumbers, check_priority
from .comfyui import ComfyClient


def _queued_prompt(entry: dict[str, Any]) -> dict[str, Any] | None:
    # History keeps the queue item (number, prompt_id, prompt, extra_data, outputs).
    item = entry.get("prompt")
    if isinstance(item, list) and len(item) > 2 and isinstance(item[2], dict):
        return item[2]
    return None


class HttpBackend:
    """Submits, polls and collects over HTTP; ComfyUI runs prompts FIFO, so one
    ``/history/{id}`` call for the oldest in-flight prompt per poll is enough
    (with ``priority="background"`` too: our numbers still grow in submit order).
    """

    def __init__(self, client: ComfyClient, *, priority: str = "normal") -> None:
        self.client = client
        self.priority = check_priority(priority)
        self._numbers = BackgroundNumbers()
        self.present: set[str] = set()  # input files known to be on the server this session
        self.uploaded: list[str] = []  # input files this session uploaded (tests, logs)

    async def ensure_inputs(self, files: Sequence[InputFile]) -> None:
        """Upload the input sets' media the server lacks; each name is checked once per
        session (HEAD /view) and content-hashed, so a resume re-uploads nothing."""
        for f in files:
            if f.name in self.present:
                continue
            if not await self.client.input_exists(f.subfolder, f.filename):
                data = await asyncio.to_thread(read_input_file, f)
                await self.client.upload_input(f.subfolder, f.filename, data)
                self.uploaded.append(f.name)
            self.present.add(f.name)

    async def submit(
        self,
        prompt_id: str,
        prompt: dict[str, Any],
        *,
        client_id: str | None,
        workflow: dict[str, Any] | None,
    ) -> dict[str, Any]:
        extra = {"workflow": workflow} if workflow else None
        number = self._numbers.next() if self.priority == "background" else None
        await self.client.queue_prompt(prompt, prompt_id, client_id, extra, number)
        return prompt  # over HTTP, on_prompt rewrites are not visible (history has them)

    async def poll(self, prompt_ids: Sequence[str]) -> dict[str, RunOutcome]:
        """Finished prompts, oldest first, stopping at the first unfinished one."""
        found: dict[str, RunOutcome] = {}
        for pid in prompt_ids:
            entry = await self.client.history(pid)
            if entry is None:
                break
            found[pid] = outcome_from_history(pid, entry, _queued_prompt(entry))
        return found

    async def active_ids(self) -> set[str]:
        running, pending = await self.client.queue()
        return set(running) | set(pending)

    async def collect(self, outcome: RunOutcome, dest: Path) -> list[Path]:
        dest.mkdir(parents=True, exist_ok=True)
        taken: set[str] = set()
        paths: list[Path] = []
        for item in outcome.outputs:
            target = dest / run_file_name(item, taken)
            await self.client.download(item["filename"], item["subfolder"], item["type"], target)
            paths.append(target)
        return paths

    async def cancel(self, prompt_ids: Sequence[str]) -> None:
        """Delete our pending prompts, then interrupt ours if it is the running one."""
        ours = set(prompt_ids)
        running, pending = await self.client.queue()
        await self.client.delete_from_queue([p for p in pending if p in ours])
        for pid in running:
            if pid in ours:
                await self.client.interrupt(pid)
