"""The Ray actor: one GPU slot that owns one long-lived ComfyUI.

Plain class (``ray.remote`` wraps it in raycluster/driver.py), async methods on
the actor's event loop. It talks to its own ComfyUI with the same client and
backend as the CLI (client/http_backend.py), and hands outputs back to the
driver, which alone writes the run store: small files as bytes through Ray's
object store, larger ones as a file in shared storage with a checksum.
A ComfyUI that died is started again before the next call (the engine resubmits
the prompts it lost, once).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..client.comfyui import ComfyClient
from ..client.http_backend import HttpBackend
from ..core.engine.history import RunOutcome
from .process import ComfyProcess, Launch


@dataclass
class OutputFile:
    """One output on its way to the driver: ``data`` inline, or a ``shared`` path."""

    name: str
    sha256: str
    size: int
    data: bytes | None = None
    shared: str | None = None


class ComfyWorker:
    def __init__(self, launch: Launch, inline_bytes: int, shared_dir: str | None) -> None:
        self.launch = launch
        self.inline_bytes = inline_bytes
        self.shared_dir = shared_dir
        self.comfy = ComfyProcess(launch)
        self.comfy.start()  # blocking on purpose: the actor is ready when its ComfyUI is
        self.restarts = 0
        self.present: set[str] = set()  # input files known to be in this ComfyUI's input folder
        self._client: ComfyClient | None = None
        self._backend: HttpBackend | None = None
        self._lock: asyncio.Lock | None = None

    async def backend(self) -> HttpBackend:
        """The backend to this worker's ComfyUI, started again if it died."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not self.comfy.alive():
                self.restarts += 1
                await asyncio.to_thread(self.comfy.start)
            if self._backend is None:
                self._client = ComfyClient(self.comfy.address, retry_window=10.0)
                await self._client.__aenter__()
                self._backend = HttpBackend(self._client)
            return self._backend

    # -- what the driver calls --------------------------------------------------
    async def ready(self) -> dict[str, Any]:
        backend = await self.backend()
        return {
            "object_info": await backend.client.object_info(),
            "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
            "pid": os.getpid(),
            "comfy_pid": self.comfy.proc.pid if self.comfy.proc else None,
            "node": os.uname().nodename,
        }

    async def submit(
        self,
        prompt_id: str,
        prompt: dict[str, Any],
        client_id: str | None,
        workflow: dict[str, Any] | None,
    ) -> dict[str, Any]:
        backend = await self.backend()
        return await backend.submit(prompt_id, prompt, client_id=client_id, workflow=workflow)

    async def poll(self, prompt_ids: Sequence[str]) -> dict[str, RunOutcome]:
        return await (await self.backend()).poll(prompt_ids)

    async def active_ids(self) -> set[str]:
        return await (await self.backend()).active_ids()

    async def cancel(self, prompt_ids: Sequence[str]) -> None:
        await (await self.backend()).cancel(prompt_ids)

    async def collect(self, outcome: RunOutcome) -> list[OutputFile]:
        backend = await self.backend()
        tmp = Path(tempfile.mkdtemp(prefix="collect-", dir=self.comfy.home))
        try:
            paths = await backend.collect(outcome, tmp)
            return [self._ship(p) for p in paths]
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _ship(self, path: Path) -> OutputFile:
        digest = _sha256(path)
        size = path.stat().st_size
        if size <= self.inline_bytes or self.shared_dir is None:
            return OutputFile(path.name, digest, size, data=path.read_bytes())
        dest = Path(self.shared_dir) / uuid.uuid4().hex / path.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), dest)
        return OutputFile(path.name, digest, size, shared=str(dest))

    async def missing_inputs(self, names: Sequence[str]) -> list[str]:
        """Which input-set files (``subfolder/filename``) this worker's ComfyUI lacks.
        Asked by the driver before every run: a restarted actor (a new ComfyUI with an
        empty input folder, maybe on another node) must get them again."""
        backend = await self.backend()
        missing = []
        for name in names:
            if name in self.present:
                continue
            subfolder, _, filename = name.rpartition("/")
            if await backend.client.input_exists(subfolder, filename):
                self.present.add(name)
            else:
                missing.append(name)
        return missing

    async def put_input(self, subfolder: str, filename: str, data: bytes) -> None:
        """An input set's file, sent by the driver, into this worker's ComfyUI input folder."""
        backend = await self.backend()
        await backend.client.upload_input(subfolder, filename, data)
        self.present.add(f"{subfolder}/{filename}")

    def kill_comfy(self) -> int | None:
        """Tests: SIGKILL this worker's ComfyUI (a crash); returns its pid."""
        proc = self.comfy.proc
        if proc is None:
            return None
        os.killpg(proc.pid, 9)
        proc.wait(timeout=30)
        return proc.pid

    def stats(self) -> dict[str, Any]:
        return {
            "restarts": self.restarts,
            "comfy_pid": self.comfy.proc.pid if self.comfy.proc else None,
        }

    async def shutdown(self) -> None:
        if self._client is not None:
            await self._client.close()
        self.comfy.stop()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
