"""Our routes and the real SweepService on a tmp folder, served by aiohttp on
a loopback port from a background thread, so synchronous hypothesis tests can
throw raw HTTP at them. ComfyUI's queue is stood in by the FakeQueue of
tests/routes (a fake of OUR Backend protocol, not of ComfyUI)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from aiohttp import web
from comfy_harness import free_port
from comfy_sweep.server_routes.routes import add_routes
from routes.conftest import FakeQueue, make_service


class RouteServer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.events: list[Any] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sweeps_root(self) -> Path:
        return self.root / "output" / "sweeps"

    def start(self) -> RouteServer:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(30)
        return self

    async def _start(self) -> None:
        out = self.root / "comfy-output"
        out.mkdir(parents=True, exist_ok=True)
        self.queue = FakeQueue(out)
        self.service = make_service(self.sweeps_root, self.queue, self.events)
        app = web.Application()
        routes = web.RouteTableDef()
        add_routes(routes, self.service)
        app.add_routes(routes)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    async def _stop(self) -> None:
        await self.service.shutdown()
        await self.queue.close()
        await self.runner.cleanup()
        # Keep-alive handlers of aborted clients would be destroyed pending.
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
