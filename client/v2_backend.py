"""``V2Backend``: the engine's Backend over the Comfy API v2 (client/v2_api.py).

The engine names each submission with its own prompt id (recorded in the run
store before the submit). A v2 server mints its own job ids, so the prompt id
travels as the Idempotency-Key and as the job's metadata label; the backend
keeps prompt id -> job id and, after a restart or an ambiguous submit, finds
a job again by its label (``GET /api/v2/jobs``).

Unlike ComfyUI's own queue, a v2 server may run several of an account's jobs
at once and in any order, so every in-flight job is polled (not only the
oldest). A job the server no longer knows (404, or ``expired`` while we wait)
is reported as neither active nor finished: the engine's lost-prompt check
then submits the run again, once, under a new id and key.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ..core.comfy_messages import describe_execution_error
from ..core.engine.history import RunOutcome, run_file_name
from ..core.errors import BackendError
from .v2_api import Ambiguous, Answer, V2Client, rejection, tag_of

ACTIVE = ("queued", "running", "canceling", "pending", "in_progress")
QUEUE_FULL_WINDOW = 600.0  # seconds a submit keeps waiting out 429s before the sweep stops


class V2Backend:
    """Submits, polls, collects and cancels jobs on one v2 server."""

    def __init__(self, client: V2Client, *, queue_full_window: float = QUEUE_FULL_WINDOW) -> None:
        self.client = client
        self.queue_full_window = queue_full_window
        self.jobs: dict[str, str | None] = {}  # our in-flight prompt id -> job id (None: unknown)
        self.listed: dict[str, str] = {}  # every job of ours the server listed, by prompt id
        self.prompts: dict[str, dict[str, Any]] = {}  # for error messages and cache checks
        # How many of ours were in flight when the server last said 429: the
        # account's concurrency limit, for whoever sizes the window.
        self.limit_seen: int | None = None
        self.clock = _Clock()

    # -- submit -------------------------------------------------------------
    async def submit(
        self,
        prompt_id: str,
        prompt: dict[str, Any],
        *,
        client_id: str | None,
        workflow: dict[str, Any] | None,
    ) -> dict[str, Any]:
        # client_id and the UI workflow have no place in the v2 job body.
        self.prompts[prompt_id] = prompt
        self.clock.submitted(prompt_id)
        try:
            self.jobs[prompt_id] = await self._submit(prompt_id, prompt)
        except BaseException:
            self.prompts.pop(prompt_id, None)
            raise
        return prompt  # the server's rewrites, if any, are not visible to us

    async def _submit(self, prompt_id: str, prompt: dict[str, Any]) -> str | None:
        """The job id, or None when the outcome stays unknown (twice ambiguous)."""
        deadline = asyncio.get_running_loop().time() + self.queue_full_window
        ambiguous = False
        while True:
            if ambiguous:
                found = await self._find(prompt_id)
                if found is not None:
                    return found
            try:
                answer = await self.client.post_job(prompt, prompt_id)
            except Ambiguous:
                if ambiguous:
                    return None  # the engine's lost-prompt check takes it from here
                ambiguous = True  # never a new key: look for it, then resend the same key
                continue
            if answer.status == 429:
                await self._wait_queue_full(answer, deadline)
                continue
            return await self._settle(prompt_id, prompt, answer)

    async def _settle(self, prompt_id: str, prompt: dict[str, Any], answer: Answer) -> str | None:
        if answer.status in (200, 201, 202) and isinstance(answer.body, dict):
            return str(answer.body["id"])
        if answer.code == "idempotency_key_reuse":
            return await self._find(prompt_id)  # our earlier attempt got through
        if answer.status in (401, 403):
            raise self.client.refused(answer)
        raise rejection(answer, prompt)

    async def _wait_queue_full(self, answer: Answer, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        wait = answer.retry_after or 2.0
        self.limit_seen = len(self.jobs)
        if loop.time() + wait > deadline:
            raise BackendError(
                f"{self.client.address.display} stayed full ({answer.code or 'HTTP 429'}) "
                f"for {self.queue_full_window:.0f}s; rerun to resume",
                details={"address": self.client.address.display},
            )
        await asyncio.sleep(wait)

    async def _find(self, prompt_id: str) -> str | None:
        await self._learn_ids()
        return self.listed.get(prompt_id)

    async def _learn_ids(self) -> dict[str, str]:
        """Our jobs the server lists (newest page): prompt id -> status."""
        statuses: dict[str, str] = {}
        for job in await self.client.jobs():
            pid = tag_of(job)
            if pid is not None and "id" in job:
                self.listed[pid] = str(job["id"])
                statuses[pid] = str(job.get("status"))
        return statuses

    def _job_id(self, prompt_id: str) -> str | None:
        return self.jobs.get(prompt_id) or self.listed.get(prompt_id)

    # -- completion ---------------------------------------------------------
    async def poll(self, prompt_ids: Sequence[str]) -> dict[str, RunOutcome]:
        if any(p not in self.jobs and p not in self.listed for p in prompt_ids):
            await self._learn_ids()  # resumed: ids submitted by an earlier session
        found: dict[str, RunOutcome] = {}
        for pid in prompt_ids:
            jid = self._job_id(pid)
            job = await self.client.job(jid) if jid else None
            outcome = outcome_from_job(pid, job, self.prompts.get(pid)) if job else None
            if job is not None and outcome is None:
                self.clock.seen(pid, str(job.get("status")))
            elif outcome is not None:
                self.clock.timed(outcome)
                found[pid] = outcome
                self.jobs.pop(pid, None)
                self.prompts.pop(pid, None)
        return found

    async def active_ids(self) -> set[str]:
        """Ours still queued or running (the engine asks for its in-flight ones)."""
        unknown = not self.jobs or None in self.jobs.values()
        listed = await self._learn_ids() if unknown else {}
        active = {pid for pid, status in listed.items() if status in ACTIVE}
        for pid, jid in list(self.jobs.items()):
            if jid and pid not in listed:
                job = await self.client.job(jid)
                if job is not None and job.get("status") in ACTIVE:
                    active.add(pid)
        return active

    async def collect(self, outcome: RunOutcome, dest: Path) -> list[Path]:
        dest.mkdir(parents=True, exist_ok=True)
        taken: set[str] = set()
        paths: list[Path] = []
        for item in outcome.outputs:
            target = dest / run_file_name(item, taken)
            await self.client.download(item["url"], target)
            paths.append(target)
        return paths

    async def cancel(self, prompt_ids: Sequence[str]) -> None:
        for pid in prompt_ids:
            jid = self._job_id(pid)
            if jid:
                await self.client.cancel(jid)


class _Clock:
    """Run times when the server gives none (comfy-api-proxy 0.1.6 leaves
    started_at/completed_at null): observed by polling, so within a poll
    interval. Start = first seen running, else (it ran between two polls) the
    later of its submit and the previous finish; end = first seen finished."""

    def __init__(self) -> None:
        self.submitted_at: dict[str, float] = {}
        self.running_at: dict[str, float] = {}
        self.last_end = 0.0

    def submitted(self, prompt_id: str) -> None:
        self.submitted_at[prompt_id] = time.time()

    def seen(self, prompt_id: str, status: str) -> None:
        if status in ("running", "in_progress"):
            self.running_at.setdefault(prompt_id, time.time())

    def timed(self, outcome: RunOutcome) -> None:
        now = time.time()
        pid = outcome.prompt_id
        queued = self.submitted_at.pop(pid, None)
        running = self.running_at.pop(pid, None)
        if outcome.finished_at is None:
            outcome.finished_at = now
        if outcome.started_at is None and (running or queued):
            outcome.started_at = running or max(queued or 0.0, self.last_end)
        self.last_end = max(self.last_end, outcome.finished_at)


def outcome_from_job(
    prompt_id: str, job: Mapping[str, Any], prompt: Mapping[str, Any] | None
) -> RunOutcome | None:
    """A finished job as a RunOutcome; None while it is queued, running or gone."""
    status = job.get("status")
    kinds = {"succeeded": "success", "failed": "error", "canceled": "interrupted"}
    if status not in kinds:
        return None  # expired jobs are gone: lost, not finished
    outputs = [_output(o) for o in job.get("outputs") or [] if isinstance(o, Mapping)]
    files = [o for o in outputs if o is not None]
    cached: list[str] = []
    if job.get("outputs_reused") and not files and prompt:
        cached = [str(n) for n in prompt]  # every node answered from ComfyUI's cache
    error = _error_text(job.get("error"), prompt) if status == "failed" else ""
    if status == "canceled":
        error = "canceled on the v2 server"
    return RunOutcome(
        prompt_id, kinds[status], files, error,
        _stamp(job.get("started_at")), _stamp(job.get("completed_at")), cached,
    )  # fmt: skip


def _output(item: Mapping[str, Any]) -> dict[str, str] | None:
    url, name = item.get("url"), item.get("name")
    if not isinstance(url, str) or not isinstance(name, str):
        return None
    return {
        "filename": name,
        "subfolder": "",
        "type": "output",
        "node_id": str(item.get("node_id", "x")),
        "url": url,
    }


def _error_text(err: Any, prompt: Mapping[str, Any] | None) -> str:
    if not isinstance(err, Mapping):
        return "the v2 server reported a failure without details"
    data = {
        "node_id": err.get("node_id") or "?",
        "node_type": err.get("class_type"),
        "exception_message": err.get("message") or err.get("code"),
    }
    return describe_execution_error(data, prompt)


def _stamp(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
