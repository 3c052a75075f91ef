"""RemoteExploration: an exploration run by the comfy-sweep extension on a ComfyUI
server (``POST /comfy-sweep/explorations``, docs/routes.md), started and followed
from here (``cr-batch CONFIG --mode server``, ``comfy-sweep explore --mode server``).

Nothing is mirrored: the exploration, its sweeps, contact sheets and report stay
on the server (the panel lists them); this side follows the state and says
where things are. Nothing here prints: every line goes to ``note``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from ..core.errors import BackendError
from ..core.sweep.wire import PREFIX
from .comfyui import ComfyClient
from .sweeps import envelope_error

CAPABILITY = "explorations"


def _quiet(text: str) -> None:
    del text


class RemoteExploration:
    def __init__(
        self, client: ComfyClient, *, note: Callable[[str], None] = _quiet, interval: float = 1.0
    ) -> None:
        self.client = client
        self.note = note
        self.interval = interval  # seconds between polls

    @property
    def where(self) -> str:
        return self.client.address.display

    def url(self, route: str) -> str:
        return self.client.address.url(route)

    async def _json(self, method: str, route: str, body: Any = None) -> dict[str, Any]:
        status, data = await self.client.request(
            method, PREFIX + route, body, retry=method == "GET"
        )
        if status not in (200, 202):
            raise envelope_error(status, data, f"{method} {PREFIX}{route}")
        return dict(data)

    async def require(self) -> None:
        """BackendError unless the server's extension runs explorations."""
        version = await self.client.extension_version()
        if version is None or CAPABILITY not in (version.get("capabilities") or []):
            raise BackendError(
                f"ComfyUI at {self.where} has no comfy-sweep extension that runs explorations; "
                "use --mode client"
            )

    async def start(
        self, prompt: Any, config: dict[str, Any], workflow: Any = None, *, cont: bool = True
    ) -> dict[str, Any]:
        """A new exploration, or (``cont``) the newest one of this workflow and settings."""
        body: dict[str, Any] = {"prompt": prompt, "config": config, "continue": cont}
        if workflow is not None:
            body["workflow"] = workflow
        made = await self._json("POST", "/explorations", body)
        verb = "continuing" if made.get("continued") else "new"
        self.note(f"{verb} exploration {made['id']} on {self.where}")
        for warning in made.get("warnings") or []:
            self.note(f"warning: {warning}")
        return made

    async def status(self, xid: str) -> dict[str, Any]:
        return await self._json("GET", f"/explorations/{xid}")

    async def follow(self, xid: str, stop: asyncio.Event) -> dict[str, Any]:
        """Poll until the exploration stops running (or ``stop`` is set: it keeps
        running there); a note for every step's sweep as it starts and ends."""
        seen: dict[str, str] = {}
        while True:
            summary = await self.status(xid)
            for step in summary.get("steps") or []:
                self._step_note(step, seen)
            if summary["state"] != "running" or stop.is_set():
                return summary
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)

    def _step_note(self, step: dict[str, Any], seen: dict[str, str]) -> None:
        key, status, sweep = str(step["key"]), str(step["status"]), step.get("sweep_id")
        if sweep is None or seen.get(key) == status:
            return
        seen[key] = status
        if status == "running":
            self.note(f"-- {key}: {step['runs']} runs, sweep {sweep}")
        elif status == "done" and step.get("winner"):
            self.note(f"{key}: {step['winner'].get('why', '')}")
