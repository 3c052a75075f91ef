"""aiohttp client of ComfyUI's plain HTTP API (no websockets: the original suite
froze on large downloads over them; HTTP polling is simple and robust).

One ``ComfyClient`` holds one ``ClientSession``. Every call has a timeout;
idempotent calls are retried with exponential backoff (capped) on connection
errors and 5xx answers for up to ``retry_window`` seconds: short for a first
contact (an unreachable address is reported at once), long once a sweep runs,
because a ComfyUI restart takes 5-10 s and should be waited out, not fatal. ``queue_prompt`` is retried too, but only with the same prompt id
and only after checking ``/history`` and ``/queue`` for it, so a retried submit
never queues a prompt twice. Errors surface as ``BackendError`` (one line naming
the address) or ``PromptRejected`` (ComfyUI's 400, in plain words).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from ..core import comfy_messages
from ..core.errors import BackendError, ConfigError, PromptRejected
from ..core.sweep.wire import PREFIX, error_from_envelope
from .address import ServerAddress, parse_address

if TYPE_CHECKING:
    import aiohttp

# aiohttp is imported on first use: the CLI answers --help without it (issue 12).

CHUNK = 1 << 20  # 1 MiB: memory stays flat whatever the output size
T = TypeVar("T")
MAX_BACKOFF = 5.0  # seconds between two attempts, at most


class _Transient(Exception):
    """A failure worth retrying (connection drop, timeout, 5xx)."""


def unreachable(addr: ServerAddress, reason: str) -> BackendError:
    hint = "start it or set --server / comfyui.server_address"
    if addr.base_url.startswith("https://") and ("SSL" in reason or "TLS" in reason):
        # ComfyUI itself speaks plain HTTP; TLS only comes from a proxy in front of it.
        hint = "is it plain http:// (ComfyUI has no TLS of its own)?"
    return BackendError(
        f"cannot reach ComfyUI at {addr.display} ({reason}); {hint}",
        details={"address": addr.display},
    )


def _network_errors() -> tuple[type[BaseException], ...]:
    """What an ``except`` treats as a transient network failure (aiohttp loaded late)."""
    import aiohttp

    return (aiohttp.ClientConnectionError, asyncio.TimeoutError)


def _reason(err: BaseException) -> str:
    import aiohttp

    if isinstance(err, asyncio.TimeoutError):
        return "timed out"
    if isinstance(err, aiohttp.ClientConnectorError):
        return str(err.os_error.strerror or err.os_error) if err.os_error else "connection failed"
    return str(err) or type(err).__name__


class ComfyClient:
    """Async context manager over one aiohttp session talking to one ComfyUI."""

    def __init__(
        self,
        address: str | ServerAddress,
        *,
        auth_token: str | None = None,
        auth_header: str = "Authorization",
        timeout: float = 30.0,
        retry_window: float = 3.5,
        backoff: float = 0.5,
    ) -> None:
        self.address = parse_address(address) if isinstance(address, str) else address
        self._headers: dict[str, str] = {}
        if auth_token:
            value = f"Bearer {auth_token}" if auth_header.lower() == "authorization" else auth_token
            self._headers[auth_header] = value
        self._timeout = timeout
        self.retry_window = max(0.0, retry_window)
        self._backoff = backoff
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> ComfyClient:
        import aiohttp

        # sock_read instead of total: a 1 GiB download legitimately takes minutes.
        tmo = aiohttp.ClientTimeout(total=None, connect=self._timeout, sock_read=self._timeout)
        self._session = aiohttp.ClientSession(timeout=tmo, headers=self._headers)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("ComfyClient used outside 'async with'")
        return self._session

    # -- transport -------------------------------------------------------------

    async def _once(
        self, method: str, path: str, body: Any, params: Mapping[str, str] | None
    ) -> tuple[int, Any]:
        try:
            async with self.session.request(
                method, self.address.url(path), json=body, params=params
            ) as resp:
                data = _json_or_text(await resp.text())
                # A proxy's (or a dying server's) 5xx is worth retrying; one carrying
                # our routes' error envelope is the server's answer (wire contract).
                if resp.status >= 500 and error_from_envelope(data) is None:
                    raise _Transient(f"HTTP {resp.status}")
                return resp.status, data
        except _network_errors() as err:
            raise _Transient(_reason(err)) from err

    async def _retrying(
        self,
        attempt: Callable[[], Awaitable[T]],
        before_retry: Callable[[], Awaitable[bool]] | None = None,
    ) -> T:
        """Run ``attempt`` until it stops raising _Transient or ``retry_window`` is spent.

        ``before_retry`` may end the loop early by returning True (then ``attempt``
        is not called again and None is returned): queue_prompt uses it to notice an
        earlier attempt that reached ComfyUI before the connection dropped."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.retry_window
        delay = self._backoff
        while True:
            try:
                return await attempt()
            except _Transient as err:
                if loop.time() + delay > deadline:
                    raise unreachable(self.address, str(err)) from None
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF)
            if before_retry is not None and await before_retry():
                return None  # type: ignore[return-value]

    async def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: Mapping[str, str] | None = None,
        retry: bool = True,
    ) -> tuple[int, Any]:
        """(status, decoded JSON or text); BackendError once retries are spent."""
        if not retry:
            try:
                return await self._once(method, path, body, params)
            except _Transient as err:
                raise unreachable(self.address, str(err)) from None
        return await self._retrying(lambda: self._once(method, path, body, params))

    async def get_json(
        self, path: str, params: Mapping[str, str] | None = None, *, retry: bool = True
    ) -> Any:
        status, data = await self.request("GET", path, params=params, retry=retry)
        if status != 200:
            # A 404 here nearly always means the address is not ComfyUI's API root
            # (a wrong /prefix, or another web server on that port): show the URL asked.
            hint = " (is this ComfyUI, and the path prefix right?)" if status == 404 else ""
            raise BackendError(
                f"ComfyUI at {self.address.display}: GET {self.address.url(path)} "
                f"answered {status}{hint}"
            )
        return data

    # -- ComfyUI API -----------------------------------------------------------

    async def system_stats(self) -> dict[str, Any]:
        return dict(await self.get_json("/system_stats"))

    async def object_info(self) -> dict[str, Any]:
        return dict(await self.get_json("/object_info"))

    async def history(self, prompt_id: str, *, retry: bool = True) -> dict[str, Any] | None:
        """The finished prompt's history entry, or None while it is not finished."""
        data = await self.get_json(f"/history/{prompt_id}", retry=retry)
        entry = data.get(prompt_id) if isinstance(data, dict) else None
        return entry if isinstance(entry, dict) else None

    async def queue(self, *, retry: bool = True) -> tuple[list[str], list[str]]:
        """(running prompt ids, pending prompt ids)."""
        data = await self.get_json("/queue", retry=retry)
        return _queue_ids(data.get("queue_running")), _queue_ids(data.get("queue_pending"))

    async def delete_from_queue(self, prompt_ids: Sequence[str]) -> None:
        if prompt_ids:
            await self.request("POST", "/queue", {"delete": list(prompt_ids)})

    async def interrupt(self, prompt_id: str | None = None) -> None:
        """Interrupt ``prompt_id`` only if it is the one running (0.3.75 honours the id)."""
        await self.request("POST", "/interrupt", {"prompt_id": prompt_id} if prompt_id else {})

    async def extension_version(self) -> dict[str, Any] | None:
        """comfy-sweep's /comfy-sweep/version, or None on a plain ComfyUI."""
        status, data = await self.request("GET", f"{PREFIX}/version")
        if status == 200 and isinstance(data, dict) and data.get("name") == "comfy-sweep":
            return data
        return None

    async def known(self, prompt_id: str, *, retry: bool = True) -> bool:
        """Whether the server has this prompt (finished, running or pending)."""
        if await self.history(prompt_id, retry=retry) is not None:
            return True
        running, pending = await self.queue(retry=retry)
        return prompt_id in running or prompt_id in pending

    async def queue_prompt(
        self,
        prompt: Mapping[str, Any],
        prompt_id: str,
        client_id: str | None = None,
        extra_pnginfo: Mapping[str, Any] | None = None,
        number: int | None = None,
    ) -> None:
        """POST /prompt with our own id; PromptRejected on ComfyUI's 400.
        ``number``: the queue position to take (lower runs first), else ComfyUI's counter."""
        body: dict[str, Any] = {"prompt": prompt, "prompt_id": prompt_id}
        if number is not None:
            body["number"] = number
        if client_id:
            body["client_id"] = client_id
        if extra_pnginfo:
            body["extra_data"] = {"extra_pnginfo": dict(extra_pnginfo)}
        # A retried submit first asks ComfyUI whether an earlier attempt got through.
        answer = await self._retrying(
            lambda: self._once("POST", "/prompt", body, None),
            before_retry=lambda: self._known_quietly(prompt_id),
        )
        if answer is None or (answer[0] == 200 and not _node_errors(answer[1])):
            return
        status, data = answer
        if status == 200:
            # ComfyUI queued only the outputs that validated ("ok" when any output is
            # valid): a run missing some of its outputs would be recorded done. Take it
            # back and refuse it whole, as the in-process backend does.
            with contextlib.suppress(BackendError):
                await self.delete_from_queue([prompt_id])
                await self.interrupt(prompt_id)  # it may have started already
        raise PromptRejected(
            describe_rejection(data, prompt, status),
            details={"prompt_id": prompt_id, "response": data if isinstance(data, dict) else {}},
        )

    async def _known_quietly(self, prompt_id: str) -> bool:
        with contextlib.suppress(BackendError):
            # One look, no retries: the enclosing retry loop keeps the time budget.
            return await self.known(prompt_id, retry=False)
        return False

    async def download(self, filename: str, subfolder: str, type_: str, dest: Path) -> Path:
        """Stream /view into ``<dest>.part`` in chunks, then rename: flat memory."""
        params = {"filename": filename, "subfolder": subfolder, "type": type_}
        return await self.download_url("/view", dest, params)

    async def download_url(
        self, path: str, dest: Path, params: Mapping[str, str] | None = None
    ) -> Path:
        """GET ``path`` streamed into ``<dest>.part``, renamed when complete."""
        part = dest.with_name(dest.name + ".part")

        async def attempt() -> Path:
            try:
                await self._stream_to(path, params, part)
            except _Transient:
                with contextlib.suppress(OSError):
                    part.unlink()
                raise
            os.replace(part, dest)
            return dest

        return await self._retrying(attempt)

    async def input_exists(self, subfolder: str, filename: str) -> bool:
        """Whether ComfyUI's input folder holds the file (HEAD /view: no body sent)."""
        params = {"filename": filename, "subfolder": subfolder, "type": "input"}

        async def attempt() -> bool:
            try:
                async with self.session.head(self.address.url("/view"), params=params) as resp:
                    if resp.status >= 500:
                        raise _Transient(f"HTTP {resp.status}")
                    return resp.status == 200
            except _network_errors() as err:
                raise _Transient(_reason(err)) from err

        return await self._retrying(attempt)

    async def upload_input(self, subfolder: str, filename: str, data: bytes) -> None:
        """POST /upload/image into the input folder under exactly this name."""

        async def attempt() -> tuple[int, str]:
            import aiohttp

            form = aiohttp.FormData()
            form.add_field(
                "image", data, filename=filename, content_type="application/octet-stream"
            )
            form.add_field("subfolder", subfolder)
            form.add_field("type", "input")
            form.add_field("overwrite", "true")  # content-hashed names: same name, same bytes
            try:
                async with self.session.post(self.address.url("/upload/image"), data=form) as resp:
                    if resp.status >= 500:
                        raise _Transient(f"HTTP {resp.status}")
                    return resp.status, await resp.text()
            except _network_errors() as err:
                raise _Transient(_reason(err)) from err

        status, text = await self._retrying(attempt)
        if status != 200:
            raise BackendError(
                f"ComfyUI at {self.address.display} refused the upload of {subfolder}/{filename}: "
                f"HTTP {status} {text[:200]}"
            )

    async def _stream_to(self, path: str, params: Mapping[str, str] | None, part: Path) -> None:
        try:
            async with self.session.get(self.address.url(path), params=params) as resp:
                if resp.status != 200:
                    await _raise_envelope(resp)
                if resp.status >= 500:
                    raise _Transient(f"HTTP {resp.status}")
                if resp.status != 200:
                    what = params.get("filename") if params else path
                    raise BackendError(
                        f"ComfyUI at {self.address.display} could not serve {what}: HTTP {resp.status}"
                    )
                with open(part, "wb") as f:
                    async for chunk in resp.content.iter_chunked(CHUNK):
                        f.write(chunk)
        except _network_errors() as err:
            raise _Transient(_reason(err)) from err


async def _raise_envelope(resp: aiohttp.ClientResponse) -> None:
    """Raise the error our routes answered with (a file of a server sweep), if any."""
    err = error_from_envelope(_json_or_text(await resp.text()))
    if err is not None:
        raise err


def _node_errors(data: Any) -> bool:
    return isinstance(data, dict) and bool(data.get("node_errors"))


def token_from_env(name: str | None) -> str | None:
    """The auth token from environment variable ``name`` (never printed)."""
    if not name:
        return None
    token = os.environ.get(name)
    if not token:
        raise ConfigError(
            f"environment variable {name} (auth token) is not set", field="comfyui.auth_token_env"
        )
    return token


def _json_or_text(text: str) -> Any:
    import json

    try:
        return json.loads(text)
    except ValueError:
        return text


def _queue_ids(items: object) -> list[str]:
    # Queue items are tuples (number, prompt_id, prompt, extra_data, outputs[, ...]).
    ids: list[str] = []
    if isinstance(items, list):
        for item in items:
            if isinstance(item, list) and len(item) > 1 and isinstance(item[1], str):
                ids.append(item[1])
    return ids


def describe_rejection(data: Any, prompt: Mapping[str, Any], status: int) -> str:
    """ComfyUI's 400 body in plain words: each failing node (id, title, class) and input."""
    if not isinstance(data, dict):
        return f"ComfyUI rejected the prompt (HTTP {status}): {str(data)[:300]}"
    return comfy_messages.describe_rejection(
        data.get("error") or f"HTTP {status}", data.get("node_errors"), prompt
    )
