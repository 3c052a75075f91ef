"""A loopback TCP forwarder that can be taken down and brought back on the
same port: the network between cr-batch and ComfyUI "goes away" while
ComfyUI itself keeps its queue and history."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from concurrent.futures import Future
from typing import Any


class FlakyProxy:
    def __init__(self, target_port: int, port: int) -> None:
        self.target_port = target_port
        self.port = port
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _call(self, coro: Any) -> Any:
        fut: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return fut.result(timeout=30)

    def start(self) -> FlakyProxy:
        if not self.thread.is_alive():
            self.thread.start()
        self._call(self._listen())
        return self

    async def _listen(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self.writers.update((writer, up_w))
        await asyncio.gather(self._pipe(reader, up_w), self._pipe(up_r, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()
        self.writers.discard(writer)

    def down(self) -> None:
        """Refuse new connections and cut every open one."""
        self._call(self._down())

    async def _down(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            server.close()
        for w in list(self.writers):
            w.transport.abort()
        self.writers.clear()
        if server is not None:  # waits for the handlers (3.12+): abort them first
            await server.wait_closed()

    def close(self) -> None:
        if self.thread.is_alive():
            self.down()
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
