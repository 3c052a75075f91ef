"""RemoteSweep: a sweep run by the comfy-sweep extension on a ComfyUI server and
mirrored into a local batch folder (``cr-batch`` in server mode, or in auto mode
when the extension answers).

``create`` starts one, ``reattach`` continues one whose mirror is here (through
the server, never by running its prompts from this process: that would run the
sweep twice), ``extend`` grows one on the server, and ``follow`` mirrors it
until it stops, returning the same ``EngineSummary`` as a client-mode sweep.

Nothing here prints: notes go to the ``note`` callback, progress to the
``FollowProgress`` and the contact sheet's refresh to the ``sheet`` the caller
(cli/batch.py) supplies. The note texts are what users read (tests/e2e check them).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..core.config.model import SweepConfig
from ..core.engine.events import EngineSummary
from ..core.errors import BackendError, ConflictError, NotFoundError
from ..core.store.runstore import RunStore
from ..core.sweep import lifecycle
from ..core.sweep.session import summarize
from ..core.sweep.wire import RunRow, SweepStatus
from ..core.workflow import Workflow
from .comfyui import ComfyClient
from .sweeps import SweepsClient, config_payload, follow, mirror_plan, mirror_store

DETACHED = "detached"
"""``EngineSummary.state`` of a follow that the user stopped (Ctrl-C): the
server keeps running the sweep; rerunning the command re-attaches."""


class FollowProgress(Protocol):
    """Told about every poll (``fresh``: the runs mirrored by it); closed when
    following ends, before the closing notes."""

    def __call__(self, summary: SweepStatus, fresh: list[RunRow]) -> None: ...

    def close(self) -> None: ...


class Pokeable(Protocol):
    def poke(self) -> None: ...


@dataclass
class Created:
    store: RunStore  # the local mirror
    sweep_id: str
    total: int
    warnings: list[str]  # the server's, then the plan's


def _quiet(text: str) -> None:
    del text


def server_sweep_id(store: RunStore) -> str:
    return str(store.progress()["server_sweep_id"])


class RemoteSweep:
    def __init__(
        self,
        client: ComfyClient,
        *,
        holder: str,
        note: Callable[[str], None] = _quiet,
        interval: float = 1.0,
    ) -> None:
        self.client = client
        self.api = SweepsClient(client)
        self.holder = holder  # who holds the mirror's lock (named to a second writer)
        self.note = note
        self.interval = interval  # seconds between polls

    @property
    def where(self) -> str:
        return self.client.address.display

    async def available(self, *, required: bool) -> bool:
        """Whether the server runs the comfy-sweep extension. When it does not:
        BackendError if ``required`` (--mode server), else a notice and False
        (the caller runs the sweep from this process)."""
        if await self.client.extension_version() is not None:
            return True
        if required:
            raise BackendError(
                f"ComfyUI at {self.where} has no comfy-sweep extension; use --mode client"
            )
        self.note(
            f"ComfyUI at {self.where} has no comfy-sweep extension: "
            "running the sweep from this process"
        )
        return False

    async def create(
        self, cfg: SweepConfig, wf: Workflow, base: Path, ident: dict[str, str]
    ) -> Created:
        """Start ``cfg`` (its command-line overrides applied) as a server sweep and
        mirror its config, workflow and plan into a new batch folder under ``base``."""
        created = await self.api.create(wf.to_json(), config_payload(cfg), None, wf.ui_graph)
        sid = str(created["id"])
        extra = {**ident, "server_address": self.where}
        store = await mirror_store(self.api, sid, base, extra)
        warnings = [str(w) for w in created.get("warnings") or []]
        return Created(store, sid, int(created["total"]), [*warnings, *store.plan.warnings])

    async def reattach(self, store: RunStore, *, rerun: str, client_mode: bool = False) -> None:
        """Continue the server sweep mirrored in ``store`` (resumed on the server
        when it stopped). ``rerun``: the command that re-attaches (named when this
        server has no extension); ``client_mode``: the user asked for --mode client."""
        sid = server_sweep_id(store)
        if await self.client.extension_version() is None:
            origin = store.progress().get("server_address") or "the ComfyUI that runs it"
            raise ConflictError(
                f"{store.root} is server sweep {sid}, run by the comfy-sweep extension on "
                f"{origin}; ComfyUI at {self.where} has no extension: re-attach with "
                f"{rerun} --server {origin} (or start afresh with --new)"
            )
        if client_mode:
            self.note(
                f"{store.root} is a server sweep: following it on the server (not --mode client)"
            )
        state = await self._state(store, sid)
        if lifecycle.can_resume(state):
            await self.api.resume(sid)
        self.note(f"re-attached to server sweep {sid} ({store.root})")

    async def _state(self, store: RunStore, sid: str) -> str:
        try:
            return str((await self.api.status(sid, limit=1))["state"])
        except NotFoundError:
            raise NotFoundError(
                f"server sweep {sid} (mirrored in {store.root}) is unknown to ComfyUI at "
                f"{self.where} (its data was removed?); start afresh with --new",
                details={"folder": str(store.root)},
            ) from None

    async def extend(
        self, store: RunStore, cfg: SweepConfig, fingerprint: str, *, rerun: str
    ) -> None:
        """The rerun's config grows the server sweep: the server extends it (every
        finished run kept) and the mirror takes its new plan. Without the
        extension: ``reattach``'s one-line refusal."""
        sid = server_sweep_id(store)
        if await self.client.extension_version() is None:
            await self.reattach(store, rerun=rerun)  # refuses, naming the server
        try:
            grown = await self.api.extend(sid, config_payload(cfg))
        except ConflictError:
            raise ConflictError(
                f"server sweep {sid} ({store.root}) is still running on {self.where}: "
                f"wait for it to finish (rerun without changes to follow it) or cancel it "
                f"({self.api.cancel_hint(sid)}), then rerun to extend it",
                details={"folder": str(store.root)},
            ) from None
        total = int(grown["total"])
        self.note(
            f"extending {store.root}: {total - int(grown['added'])} → {total} runs (on the server)"
        )
        with store.lock(self.holder):
            await mirror_plan(self.api, store, sid)
            store.set_state("queued", config_fingerprint=fingerprint)

    async def follow(
        self,
        store: RunStore,
        *,
        stop: asyncio.Event,
        progress: FollowProgress,
        sheet: Pokeable | None = None,
    ) -> EngineSummary:
        """Poll and mirror the server sweep until it stops, or until ``stop`` is set
        (state ``DETACHED``: the server keeps running it). ``sheet`` is poked as
        runs are mirrored (thumbnails the server had not made yet are made here)."""
        sid = server_sweep_id(store)
        start = time.monotonic()

        def on_status(summary: SweepStatus, fresh: list[RunRow]) -> None:
            progress(summary, fresh)
            if fresh and sheet is not None:
                sheet.poke()

        try:
            with store.lock(self.holder):
                state = await follow(self.api, store, sid, stop, on_status, self.interval)
                store.set_state("done" if state == "done" else "interrupted")
        finally:
            progress.close()
        self._closing_notes(sid, state)
        # No execution time: the wall time here is only how long we followed the sweep.
        return summarize(store, state, time.monotonic() - start)

    def _closing_notes(self, sid: str, state: str) -> None:
        if state == DETACHED:
            self.note(f"detached: sweep {sid} keeps running on {self.where}.")
            self.note(
                f"Rerun the same command to re-attach, or cancel it: {self.api.cancel_hint(sid)}"
            )
        elif state != "done":
            self.note(f"server sweep {sid} is {state} on {self.where}.")
