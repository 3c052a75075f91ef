"""The engine's seam to whatever runs prompts: a ``Backend`` (ComfyUI over HTTP,
ComfyUI in-process, a Comfy API v2 service, a Ray worker) and the ``BackendSlot``
that hands it runs with its own queue window."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .history import RunOutcome


class Backend(Protocol):
    async def submit(
        self,
        prompt_id: str,
        prompt: dict[str, Any],
        *,
        client_id: str | None,
        workflow: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """Queue ``prompt`` under ``prompt_id``; returns the prompt as really queued
        (inside ComfyUI, other extensions' on_prompt handlers may rewrite it)."""
        ...

    async def poll(self, prompt_ids: Sequence[str]) -> dict[str, RunOutcome]: ...

    async def active_ids(self) -> set[str]: ...

    async def collect(self, outcome: RunOutcome, dest: Path) -> list[Path]: ...

    async def cancel(self, prompt_ids: Sequence[str]) -> None: ...


@dataclass(frozen=True)
class BackendSlot:
    """One place runs execute: a backend and how many prompts it keeps queued ahead.
    A sweep over one ComfyUI has one slot; a fleet has one per server (or worker)."""

    backend: Backend
    window: int = 3
    name: str = ""
    # A slot that can come back by itself (a Ray worker restarted by Ray): even alone,
    # its runs wait for it instead of stopping the sweep.
    resilient: bool = False
