"""Route tests: the real routes and SweepService on a tmp folder, driven through
aiohttp's test client, with a small executor of OUR Backend protocol standing
in for ComfyUI's queue (the real queue is covered in tests/e2e)."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient
from comfy_sweep.core.engine.history import RunOutcome
from comfy_sweep.core.errors import PromptRejected
from comfy_sweep.server_routes.routes import add_routes
from comfy_sweep.server_routes.service import ServiceDeps, SweepService

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


class FakeQueue:
    """A FIFO executor with history: each run writes one PNG-named file."""

    def __init__(self, out_dir: Path, run_s: float = 0.005) -> None:
        self.out_dir = out_dir
        self.run_s = run_s
        self.gate = asyncio.Event()
        self.gate.set()
        self.queue: list[str] = []
        self.running: str | None = None
        self.history: dict[str, RunOutcome] = {}
        self.prompts: dict[str, dict[str, Any]] = {}
        self.submits: list[dict[str, Any]] = []
        self.interrupted: set[str] = set()
        self.reject: str | None = None
        self._worker: asyncio.Task[None] | None = None

    async def validate(self, prompt: dict[str, Any]) -> None:
        if self.reject:
            raise PromptRejected(self.reject)

    async def submit(
        self, prompt_id: str, prompt: dict[str, Any], *, client_id: str | None, workflow: Any
    ) -> dict[str, Any]:
        await self.validate(prompt)
        self.submits.append({"prompt_id": prompt_id, "client_id": client_id, "workflow": workflow})
        self.prompts[prompt_id] = prompt
        self.queue.append(prompt_id)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._work())
        return prompt

    async def _work(self) -> None:
        while self.queue:
            pid = self.queue.pop(0)
            self.running = pid
            await self.gate.wait()
            await asyncio.sleep(self.run_s)
            self.running = None
            if pid in self.interrupted:
                self.history[pid] = RunOutcome(pid, "interrupted", [], "interrupted", 1.0, 2.0)
                continue
            name = f"img_{len(self.history):05d}_.png"
            (self.out_dir / name).write_bytes(json.dumps(self.prompts[pid]).encode())
            out = [{"filename": name, "subfolder": "", "type": "output", "node_id": "4"}]
            self.history[pid] = RunOutcome(pid, "success", out, "", 1.0, 1.5, ["1", "2"])

    async def poll(self, prompt_ids: Sequence[str]) -> dict[str, RunOutcome]:
        return {p: self.history[p] for p in prompt_ids if p in self.history}

    async def active_ids(self) -> set[str]:
        return set(self.queue) | ({self.running} if self.running else set())

    def running_ids(self) -> set[str]:
        return {self.running} if self.running else set()

    async def collect(self, outcome: RunOutcome, dest: Path) -> list[Path]:
        dest.mkdir(parents=True, exist_ok=True)
        paths = []
        for item in outcome.outputs:
            paths.append(
                Path(shutil.copy2(self.out_dir / item["filename"], dest / item["filename"]))
            )
        return paths

    async def cancel(self, prompt_ids: Sequence[str]) -> None:
        self.queue = [p for p in self.queue if p not in prompt_ids]
        if self.running in prompt_ids:
            self.interrupted.add(self.running)

    async def close(self) -> None:
        self.gate.set()
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)


@pytest.fixture
def sweeps_root(tmp_path: Path) -> Path:
    return tmp_path / "output" / "sweeps"


@pytest.fixture
async def fake_queue(tmp_path: Path) -> AsyncIterator[FakeQueue]:
    out = tmp_path / "comfy-output"
    out.mkdir()
    q = FakeQueue(out)
    yield q
    await q.close()


@pytest.fixture
def events() -> list[tuple[str, dict[str, Any]]]:
    return []


def make_service(
    root: Path, backend: Any, events: list[Any], object_info: Any = None
) -> SweepService:
    async def info() -> Any:
        return object_info

    deps = ServiceDeps(
        sweeps_root=lambda: root,
        backend=lambda: backend,
        object_info=info,
        notify=lambda event, data: events.append((event, data)),
        recent_run_seconds=lambda: 0.5,
    )
    return SweepService(deps, sheet_interval=0.05)


async def make_client(aiohttp_client: Any, service: SweepService, *more: Any) -> TestClient:
    """The app with the sweep routes and ``more`` route adders (refine_routes.add_routes...)."""
    app = web.Application()
    routes = web.RouteTableDef()
    add_routes(routes, service)
    for adder in more:
        adder(routes, service)
    app.add_routes(routes)
    return await aiohttp_client(app)


@pytest.fixture
async def service(
    sweeps_root: Path, fake_queue: FakeQueue, events: list[Any]
) -> AsyncIterator[SweepService]:
    svc = make_service(sweeps_root, fake_queue, events)
    yield svc
    await svc.shutdown()


@pytest.fixture
async def client(aiohttp_client: Any, service: SweepService) -> TestClient:
    return await make_client(aiohttp_client, service)


@pytest.fixture(scope="session")
def prompt() -> dict[str, Any]:
    return json.loads((EXAMPLES / "image_noise_blur.json").read_text())


@pytest.fixture(scope="session")
def grid_config() -> dict[str, Any]:
    """examples/configs/image_grid.yaml: 2 strengths x 3 blur radii = 6 runs."""
    data = yaml.safe_load((EXAMPLES / "configs" / "image_grid.yaml").read_text())
    assert isinstance(data, dict)
    return data


async def wait_state(
    client: TestClient, sweep_id: str, states: tuple[str, ...], timeout: float = 20.0
) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        resp = await client.get(f"/comfy-sweep/sweeps/{sweep_id}?limit=1000")
        body = await resp.json()
        assert resp.status == 200, body
        if body["state"] in states:
            return dict(body)
        assert asyncio.get_running_loop().time() < deadline, body
        await asyncio.sleep(0.02)
