"""``RayBackend``: the engine's Backend over one Ray worker (raycluster/worker.py).

Every call is an actor method call. A worker that died (its actor or its node) is
a server that stopped answering: BackendError naming it, so the engine's fleet
handling puts its in-flight runs back for the other workers and probes it until
Ray has restarted it. Errors the worker raises itself (a prompt ComfyUI refused)
come back as the same core exceptions.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import Any

from ..core.engine.history import RunOutcome
from ..core.engine.inputs import read_input_file
from ..core.errors import BackendError, ConfigError, SweepError
from ..core.plan.model import InputFile
from .worker import OutputFile


class RayBackend:
    def __init__(self, actor: Any, name: str) -> None:
        self.actor = actor
        self.name = name

    async def _call(self, method: str, *args: Any) -> Any:
        import ray.exceptions as rex

        ref: Awaitable[Any] = getattr(self.actor, method).remote(*args)
        try:
            return await ref
        except rex.RayTaskError as err:  # the worker raised: ours come back as they were
            cause = getattr(err, "cause", None)
            if isinstance(cause, SweepError):
                raise cause from None
            raise BackendError(f"Ray worker {self.name}: {err}") from None
        except (rex.RayActorError, rex.ActorUnavailableError, rex.ObjectLostError) as err:
            raise BackendError(
                f"Ray worker {self.name} is gone ({type(err).__name__})",
                details={"address": self.name},
            ) from None

    async def submit(
        self,
        prompt_id: str,
        prompt: dict[str, Any],
        *,
        client_id: str | None,
        workflow: dict[str, Any] | None,
    ) -> dict[str, Any]:
        queued: dict[str, Any] = await self._call("submit", prompt_id, prompt, client_id, workflow)
        return queued

    async def poll(self, prompt_ids: Sequence[str]) -> dict[str, RunOutcome]:
        found: dict[str, RunOutcome] = await self._call("poll", list(prompt_ids))
        return found

    async def active_ids(self) -> set[str]:
        ids: set[str] = await self._call("active_ids")
        return ids

    async def cancel(self, prompt_ids: Sequence[str]) -> None:
        await self._call("cancel", list(prompt_ids))

    async def collect(self, outcome: RunOutcome, dest: Path) -> list[Path]:
        files = await self._call("collect", outcome)
        return await asyncio.to_thread(_receive, files, dest)

    async def ensure_inputs(self, files: Sequence[InputFile]) -> None:
        """Send the input-set files the worker lacks. The worker is asked every time (one
        actor call): Ray may have restarted it since, with an empty input folder."""
        missing = set(await self._call("missing_inputs", [f.name for f in files]))
        for f in files:
            if f.name in missing:
                data = await asyncio.to_thread(read_input_file, f)
                await self._call("put_input", f.subfolder, f.filename, data)


def _receive(files: Sequence[OutputFile], dest: Path) -> list[Path]:
    """Write the worker's outputs into the run folder (``.part`` then rename), checking
    each checksum: a damaged file is refused. A shared-storage file is removed once
    copied (or refused)."""
    dest.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in files:
        try:
            paths.append(_receive_one(f, dest))
        finally:
            if f.shared is not None:
                shutil.rmtree(Path(f.shared).parent, ignore_errors=True)
    return paths


def _receive_one(f: OutputFile, dest: Path) -> Path:
    target = dest / f.name
    part = target.with_name(target.name + ".part")
    if f.data is not None:
        part.write_bytes(f.data)
    elif f.shared is not None:
        try:
            shutil.copyfile(f.shared, part)
        except FileNotFoundError:
            raise ConfigError(
                f"ray.shared_dir: a worker wrote {f.shared} but this driver cannot read it; "
                "shared_dir must be the same storage on the driver and every node",
                field="ray.shared_dir",
            ) from None
    if _sha256(part) != f.sha256:
        part.unlink()
        raise BackendError(f"output {f.name} arrived damaged (checksum mismatch); refused")
    os.replace(part, target)
    return target


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
