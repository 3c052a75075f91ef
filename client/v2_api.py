"""aiohttp client of the Comfy API v2 job surface (``/api/v2/jobs``): Comfy
Cloud, or ``comfy-api-proxy`` in front of a self-hosted ComfyUI.

Tested against comfy-api-proxy 0.1.6 (the API is 0.x: see README "Comfy API v2").
Why not the official ``comfy-sdk`` (0.5.0): it brings httpx and pydantic beside
our aiohttp, retries 429s inside ``submit`` on a budget of its own (hidden from
the engine's window), and sends ``metadata`` as a label mapping, which proxy
0.1.6 refuses (it takes one string); we need that label to find a job again
after an ambiguous submit. What we need is five calls, so here they are.

The rules this client keeps:
- ``Idempotency-Key``: single use, one per submission (the caller's prompt id).
  After an ambiguous failure (timeout, dropped connection, 5xx) the job may or
  may not exist: we look for it by our metadata label, and only resend the same
  key (which the server refuses with ``idempotency_key_reuse`` if it had claimed
  it). Never a new key for the same submission: that could run it twice.
- ``429`` (``queue_full``, concurrency limits): wait ``Retry-After`` (at least
  1 s, at most MAX_RETRY_AFTER), then send again with the same key (a 429
  releases it by contract).
- Reads (GET) are retried on connection errors, 5xx and 429 for ``retry_window``.
- The bearer token goes only to the server's own origin, never to a download
  URL on another host (Cloud may hand out signed storage URLs).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from ..core import comfy_messages
from ..core.errors import BackendError, ConfigError, PromptRejected
from .address import ServerAddress
from .comfyui import CHUNK, MAX_BACKOFF, unreachable

MIN_RETRY_AFTER = 1.0  # a "Retry-After: 0" must not make a tight loop
MAX_RETRY_AFTER = 30.0  # a hint, not a bound we take verbatim
TAG_PREFIX = "comfy-sweep:"  # our metadata label: TAG_PREFIX + prompt id


class Ambiguous(Exception):
    """Connection dropped, timed out, or a 5xx: the outcome of a POST is unknown."""


@dataclass
class Answer:
    status: int
    body: Any
    retry_after: float | None = None

    @property
    def code(self) -> str:
        err = self.body.get("error") if isinstance(self.body, dict) else None
        return str(err.get("code") or "") if isinstance(err, dict) else ""

    @property
    def message(self) -> str:
        err = self.body.get("error") if isinstance(self.body, dict) else None
        if isinstance(err, dict):
            return str(err.get("message") or self.code or f"HTTP {self.status}")
        return f"HTTP {self.status}"


def retry_after(headers: Mapping[str, str]) -> float | None:
    raw = headers.get("Retry-After")
    try:
        value = float(raw) if raw is not None else None
    except ValueError:
        return None  # an HTTP date: take our own pace
    return None if value is None else min(max(value, MIN_RETRY_AFTER), MAX_RETRY_AFTER)


def job_tag(prompt_id: str) -> str:
    return TAG_PREFIX + prompt_id


def tag_of(job: Mapping[str, Any]) -> str | None:
    """Our prompt id from a job's metadata (a string, or a label mapping on Cloud)."""
    meta = job.get("metadata")
    if isinstance(meta, Mapping):
        meta = meta.get("comfy_sweep")
        meta = TAG_PREFIX + meta if isinstance(meta, str) else None
    if isinstance(meta, str) and meta.startswith(TAG_PREFIX):
        return meta[len(TAG_PREFIX) :]
    return None


class V2Client:
    """Async context manager over one aiohttp session talking to one v2 server."""

    def __init__(
        self,
        address: ServerAddress,
        *,
        auth_token: str | None = None,
        timeout: float = 30.0,
        retry_window: float = 3.5,
        backoff: float = 0.5,
    ) -> None:
        self.address = address
        self._auth = {"Authorization": f"Bearer {auth_token}"} if auth_token else {}
        self._timeout = timeout
        self.retry_window = max(0.0, retry_window)
        self._backoff = backoff
        self._session: aiohttp.ClientSession | None = None
        self.labels_as_mapping = False  # set when the server refuses a string label

    async def __aenter__(self) -> V2Client:
        tmo = aiohttp.ClientTimeout(total=None, connect=self._timeout, sock_read=self._timeout)
        self._session = aiohttp.ClientSession(timeout=tmo)
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("V2Client used outside 'async with'")
        return self._session

    # -- transport -----------------------------------------------------------
    def _headers(self, url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        same_origin = urlsplit(url)[:2] == urlsplit(self.address.base_url)[:2]
        return {**(self._auth if same_origin else {}), **(extra or {})}

    async def _once(
        self, method: str, path: str, body: Any = None, headers: Mapping[str, str] | None = None
    ) -> Answer:
        url = self.address.url(path)
        try:
            async with self.session.request(
                method, url, json=body, headers=self._headers(url, headers)
            ) as resp:
                text = await resp.text()
                if resp.status >= 500:
                    raise Ambiguous(f"HTTP {resp.status} {_code(_json_or_none(text))}".strip())
                data = json.loads(text) if text else None
                return Answer(resp.status, data, retry_after(resp.headers))
        except (aiohttp.ClientConnectionError, asyncio.TimeoutError) as err:
            raise Ambiguous(_reason(err)) from err
        except ValueError as err:  # not JSON: not a v2 server (or a broken proxy)
            raise BackendError(
                f"{self.address.display}: {method} {url} did not answer JSON; "
                "is this a Comfy API v2 server (comfyui.api: v2)?",
                details={"address": self.address.display},
            ) from err

    async def get(self, path: str) -> Answer:
        """GET with retries on connection errors, 5xx and 429, for ``retry_window``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.retry_window
        delay = self._backoff
        while True:
            try:
                answer = await self._once("GET", path)
                if answer.status != 429:
                    return answer
                wait, reason = answer.retry_after or delay, f"HTTP 429 {answer.code}"
            except Ambiguous as err:
                wait, reason = delay, str(err)
            if loop.time() + wait > deadline:
                raise unreachable(self.address, reason)
            await asyncio.sleep(wait)
            delay = min(delay * 2, MAX_BACKOFF)

    async def get_json(self, path: str) -> Any:
        answer = await self.get(path)
        if answer.status != 200:
            raise BackendError(f"{self.address.display}: GET {path}: {answer.message}")
        return answer.body

    # -- the v2 calls ----------------------------------------------------------
    async def health(self) -> dict[str, Any]:
        answer = await self.get("/api/v2/health")
        if answer.status != 200 or not isinstance(answer.body, dict):
            raise BackendError(
                f"{self.address.display} is not a Comfy API v2 server "
                f"(GET /api/v2/health answered {answer.status})",
                details={"address": self.address.display},
            )
        return answer.body

    async def check_access(self) -> None:
        """One authenticated read: a missing or wrong token fails here, before any batch."""
        answer = await self.get("/api/v2/jobs?limit=1")
        if answer.status in (401, 403):  # the config's token: bad input (exit 2), not an outage
            raise ConfigError(self.refused(answer).message, field="comfyui.auth_token_env")
        if answer.status != 200:
            raise BackendError(f"{self.address.display}: GET /api/v2/jobs: {answer.message}")

    def refused(self, answer: Answer) -> BackendError:
        return BackendError(
            f"Comfy API v2 at {self.address.display} refused our token ({answer.message}); "
            "check comfyui.auth_token_env / --auth-token-env",
            details={"address": self.address.display},
        )

    async def job(self, job_id: str) -> dict[str, Any] | None:
        """The job, or None when the server does not know it (404)."""
        answer = await self.get(f"/api/v2/jobs/{job_id}")
        if answer.status == 404:
            return None
        if answer.status != 200 or not isinstance(answer.body, dict):
            raise BackendError(f"{self.address.display}: job {job_id}: {answer.message}")
        return answer.body

    async def jobs(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest jobs the server lists (one page)."""
        body = await self.get_json(f"/api/v2/jobs?limit={limit}")
        jobs = body.get("jobs") if isinstance(body, dict) else None
        return [j for j in jobs or [] if isinstance(j, dict)]

    async def cancel(self, job_id: str) -> None:
        with contextlib.suppress(Ambiguous):
            await self._once("POST", f"/api/v2/jobs/{job_id}/cancel")

    def submit_body(self, prompt: Mapping[str, Any], prompt_id: str) -> dict[str, Any]:
        label: Any = job_tag(prompt_id)
        if self.labels_as_mapping:
            label = {"comfy_sweep": prompt_id}
        return {"workflow": dict(prompt), "metadata": label}

    async def post_job(self, prompt: Mapping[str, Any], key: str) -> Answer:
        """One POST /api/v2/jobs; Ambiguous when the outcome is unknown."""
        headers = {"Idempotency-Key": key}
        answer = await self._once("POST", "/api/v2/jobs", self.submit_body(prompt, key), headers)
        if (
            answer.status in (400, 422)
            and "metadata" in answer.message
            and not self.labels_as_mapping
        ):
            # A server that takes labels as a mapping (the Cloud contract the SDK
            # follows); a refused request created no job and released the key.
            self.labels_as_mapping = True
            answer = await self._once(
                "POST", "/api/v2/jobs", self.submit_body(prompt, key), headers
            )
        return answer

    async def download(self, url: str, dest: Path) -> Path:
        """Stream ``url`` (a link the server gave) into ``<dest>.part``, then rename."""
        part = dest.with_name(dest.name + ".part")
        loop = asyncio.get_running_loop()
        deadline, delay = loop.time() + self.retry_window, self._backoff
        while True:
            try:
                await self._stream_to(url, part)
                os.replace(part, dest)
                return dest
            except Ambiguous as err:
                with contextlib.suppress(OSError):
                    part.unlink()
                if loop.time() + delay > deadline:
                    raise unreachable(self.address, str(err)) from None
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF)

    async def _stream_to(self, url: str, part: Path) -> None:
        try:
            async with self.session.get(url, headers=self._headers(url)) as resp:
                if resp.status >= 500:
                    raise Ambiguous(f"HTTP {resp.status}")
                if resp.status != 200:
                    raise BackendError(
                        f"{self.address.display} could not serve {url}: HTTP {resp.status}"
                    )
                with open(part, "wb") as f:
                    async for chunk in resp.content.iter_chunked(CHUNK):
                        f.write(chunk)
        except (aiohttp.ClientConnectionError, asyncio.TimeoutError) as err:
            raise Ambiguous(_reason(err)) from err


def rejection(answer: Answer, prompt: Mapping[str, Any]) -> PromptRejected:
    """The server refused the workflow (4xx): ComfyUI's node errors in plain words."""
    err = answer.body.get("error") if isinstance(answer.body, dict) else None
    details = err.get("details") if isinstance(err, dict) else None
    node_errors = details.get("node_errors") if isinstance(details, dict) else None
    text = comfy_messages.describe_rejection(answer.message, node_errors, prompt)
    return PromptRejected(
        text.replace(
            "ComfyUI rejected", f"the v2 server rejected ({answer.code or answer.status})"
        ),
        details={"response": answer.body if isinstance(answer.body, dict) else {}},
    )


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _code(data: Any) -> str:
    return Answer(0, data).code


def _reason(err: BaseException) -> str:
    if isinstance(err, asyncio.TimeoutError):
        return "timed out"
    return str(err) or type(err).__name__
