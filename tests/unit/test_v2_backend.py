"""V2Backend's rules on a loopback stand-in of a Comfy API v2 server, for what
comfy-api-proxy cannot be made to do on demand: 429 queue_full with
Retry-After, an answer lost to a timeout after the job was created (or before),
a reused idempotency key, a refused workflow. The stand-in keeps the contract's
rules: single-use keys, released only by a definite refusal or a 429."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from comfy_sweep.client.address import parse_address
from comfy_sweep.client.v2_api import V2Client
from comfy_sweep.client.v2_backend import V2Backend
from comfy_sweep.core.errors import PromptRejected

PROMPT = {"1": {"class_type": "EmptyImage", "inputs": {}}, "9": {"class_type": "SaveImage"}}


class StandIn:
    """Scripted POST /api/v2/jobs answers; jobs succeed at once with one output."""

    def __init__(self, script: list[str]) -> None:
        self.script = script  # per POST: ok | full | slow (created, answer late) | drop | bad
        self.posts: list[str] = []  # the Idempotency-Key of every POST
        self.keys: set[str] = set()
        self.jobs: dict[str, dict[str, Any]] = {}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/v2/jobs", self.post)
        app.router.add_get("/api/v2/jobs", self.list)
        app.router.add_get("/api/v2/jobs/{id}", self.get)
        app.router.add_get("/files/{id}", self.content)
        return app

    async def post(self, request: web.Request) -> web.Response:
        key = request.headers["Idempotency-Key"]
        self.posts.append(key)
        step = self.script.pop(0) if self.script else "ok"
        if step == "full":
            return _error(429, "queue_full", headers={"Retry-After": "1"})
        if step == "bad":
            errors = {"9": {"class_type": "SaveImage", "errors": [{"message": "images missing"}]}}
            return _error(422, "invalid_workflow", node_errors=errors)
        if step == "drop":
            await asyncio.sleep(2)  # the client gives up first; nothing was created
            return _error(503, "upstream_unreachable")
        if key in self.keys:
            return _error(422, "idempotency_key_reuse")
        self.keys.add(key)
        job = self.create((await request.json())["metadata"], request)
        if step == "slow":
            await asyncio.sleep(2)  # created, but the client gives up before the answer
        return web.json_response(job, status=201)

    def create(self, metadata: Any, request: web.Request) -> dict[str, Any]:
        jid = str(uuid.uuid4())
        url = f"http://{request.host}/files/{jid}"
        output = {"node_id": "9", "name": "out.png", "url": url, "type": "image"}
        self.jobs[jid] = {"id": jid, "status": "succeeded", "metadata": metadata,
                          "outputs": [output], "started_at": "2026-01-01T00:00:00+00:00",
                          "completed_at": "2026-01-01T00:00:02+00:00"}  # fmt: skip
        return {**self.jobs[jid], "status": "queued", "outputs": []}

    async def list(self, request: web.Request) -> web.Response:
        return web.json_response({"jobs": list(self.jobs.values())[::-1]})

    async def get(self, request: web.Request) -> web.Response:
        job = self.jobs.get(request.match_info["id"])
        return web.json_response(job) if job else _error(404, "not_found")

    async def content(self, request: web.Request) -> web.Response:
        return web.Response(body=b"PNG:" + request.match_info["id"].encode())


def _error(status: int, code: str, headers: dict[str, str] | None = None, **details: Any) -> Any:
    body = {"error": {"code": code, "message": code.replace("_", " "), "details": details}}
    return web.json_response(body, status=status, headers=headers)


async def run(stand_in: StandIn, aiohttp_server: Any, work: Any) -> Any:
    server = await aiohttp_server(stand_in.app())
    address = parse_address(f"127.0.0.1:{server.port}")
    async with V2Client(address, timeout=0.5, retry_window=2.0) as client:
        return await work(V2Backend(client))


async def test_timeout_after_the_job_was_created_finds_it_without_resending(
    aiohttp_server: Any,
) -> None:
    stand_in = StandIn(["slow"])

    async def work(backend: V2Backend) -> str | None:
        await backend.submit("pid-1", PROMPT, client_id=None, workflow=None)
        return backend.jobs["pid-1"]

    jid = await run(stand_in, aiohttp_server, work)
    assert stand_in.posts == ["pid-1"]  # looked up by its label, never sent again
    assert list(stand_in.jobs) == [jid]


async def test_timeout_before_anything_was_created_resends_the_same_key(
    aiohttp_server: Any,
) -> None:
    stand_in = StandIn(["drop", "ok"])

    async def work(backend: V2Backend) -> str | None:
        await backend.submit("pid-2", PROMPT, client_id=None, workflow=None)
        return backend.jobs["pid-2"]

    jid = await run(stand_in, aiohttp_server, work)
    assert stand_in.posts == ["pid-2", "pid-2"]  # one key for the one submission
    assert list(stand_in.jobs) == [jid]


async def test_twice_unknown_is_left_to_the_engines_lost_prompt_check(
    aiohttp_server: Any,
) -> None:
    stand_in = StandIn(["drop", "drop"])

    async def work(backend: V2Backend) -> tuple[str | None, set[str]]:
        await backend.submit("pid-3", PROMPT, client_id=None, workflow=None)
        return backend.jobs["pid-3"], await backend.active_ids()

    jid, active = await run(stand_in, aiohttp_server, work)
    assert jid is None and "pid-3" not in active and not stand_in.jobs


async def test_queue_full_waits_retry_after_and_keeps_the_key(aiohttp_server: Any) -> None:
    stand_in = StandIn(["full", "full", "ok"])

    async def work(backend: V2Backend) -> tuple[float, int | None]:
        start = time.monotonic()
        await backend.submit("pid-4", PROMPT, client_id=None, workflow=None)
        return time.monotonic() - start, backend.limit_seen

    took, limit = await run(stand_in, aiohttp_server, work)
    assert stand_in.posts == ["pid-4"] * 3 and len(stand_in.jobs) == 1
    assert took >= 2.0  # Retry-After: 1, twice
    assert limit == 0


async def test_a_reused_key_means_our_earlier_attempt_got_through(aiohttp_server: Any) -> None:
    stand_in = StandIn([])
    stand_in.keys.add("pid-5")
    stand_in.jobs["j5"] = {"id": "j5", "status": "running", "metadata": "comfy-sweep:pid-5"}

    async def work(backend: V2Backend) -> tuple[str | None, set[str]]:
        await backend.submit("pid-5", PROMPT, client_id=None, workflow=None)
        return backend.jobs["pid-5"], await backend.active_ids()

    assert await run(stand_in, aiohttp_server, work) == ("j5", {"pid-5"})


async def test_refused_workflow_names_the_node(aiohttp_server: Any) -> None:
    stand_in = StandIn(["bad"])

    async def work(backend: V2Backend) -> None:
        await backend.submit("pid-6", PROMPT, client_id=None, workflow=None)

    with pytest.raises(PromptRejected, match=r"node 9 \(SaveImage\).*images missing"):
        await run(stand_in, aiohttp_server, work)


async def test_poll_and_collect_follow_the_output_links(
    aiohttp_server: Any, tmp_path: Path
) -> None:
    stand_in = StandIn(["ok"])

    async def work(backend: V2Backend) -> tuple[Any, list[Path]]:
        await backend.submit("pid-7", PROMPT, client_id=None, workflow=None)
        outcome = (await backend.poll(["pid-7"]))["pid-7"]
        return outcome, await backend.collect(outcome, tmp_path / "run")

    outcome, paths = await run(stand_in, aiohttp_server, work)
    assert outcome.status == "success" and outcome.execution_s == 2.0
    (jid,) = stand_in.jobs
    assert [p.name for p in paths] == ["out.png"]
    assert paths[0].read_bytes() == b"PNG:" + jid.encode()
