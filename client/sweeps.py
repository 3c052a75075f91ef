"""Client of our own /comfy-sweep/ routes (docs/routes.md; the shapes are the
wire contract's, core/sweep/wire.py) and the server-mode mirror: the server runs
the sweep on ComfyUI's own queue; this side polls its status and mirrors
outputs, the plan and the metadata into the same local batch layout as client
mode (the local progress.json records the server sweep id). client/remote.py
drives it for ``cr-batch``.

Errors come back as the exception the server raised: the envelope's ``code``
names its class (``wire.error_from_envelope``), with ``field`` and ``details``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from ..core.config.load import config_to_dict, parse_config
from ..core.config.model import SweepConfig
from ..core.errors import BackendError, SweepError
from ..core.plan.model import Plan
from ..core.store.format import RunRecord, parse_metadata
from ..core.store.runstore import RunStore
from ..core.sweep import lifecycle
from ..core.sweep.wire import (
    PREFIX,
    Deleted,
    PlanPreview,
    RunPrompt,
    RunRow,
    SweepCreated,
    SweepExtended,
    SweepList,
    SweepStatus,
    SweepSummary,
    Version,
    error_from_envelope,
    sweep_path,
    without_server_keys,
)
from ..core.workflow import Workflow
from .comfyui import ComfyClient

StatusCallback = Callable[[SweepStatus, list[RunRow]], None]


def envelope_error(status: int, data: Any, what: str) -> SweepError:
    """Our routes' one error envelope as the matching core exception (every code
    of the wire table); BackendError naming ``what`` for anything else."""
    return error_from_envelope(data) or BackendError(f"{what}: HTTP {status}")


class SweepsClient:
    """One method per route; each returns the route's typed body or raises."""

    def __init__(self, client: ComfyClient) -> None:
        self.client = client

    async def _json(
        self, method: str, path: str, body: Any = None, ok: tuple[int, ...] = (200, 202)
    ) -> Any:
        status, data = await self.client.request(method, PREFIX + path, body, retry=method == "GET")
        if status not in ok:
            raise envelope_error(status, data, f"{method} {PREFIX}{path}")
        return data

    async def version(self) -> Version:
        return cast(Version, await self._json("GET", "/version"))

    async def analyze(self, prompt: dict[str, Any], workflow_file: str | None = None) -> Any:
        body: dict[str, Any] = {"prompt": prompt}
        if workflow_file:
            body["workflow_file"] = workflow_file
        return await self._json("POST", "/analyze", body)

    async def plan(self, prompt: dict[str, Any], config: dict[str, Any] | str) -> PlanPreview:
        body = {"prompt": prompt, "config": config}
        return cast(PlanPreview, await self._json("POST", "/plan", body))

    async def config_parse(self, yaml_text: str) -> dict[str, Any]:
        return dict(await self._json("POST", "/config/parse", {"yaml": yaml_text}))

    async def config_render(self, config: dict[str, Any]) -> str:
        return str((await self._json("POST", "/config/render", {"config": config}))["yaml"])

    async def create(
        self,
        prompt: dict[str, Any],
        config: dict[str, Any],
        name: str | None,
        workflow: dict[str, Any] | None = None,
    ) -> SweepCreated:
        body: dict[str, Any] = {"prompt": prompt, "config": config}
        if name:
            body["name"] = name
        if workflow is not None:  # the UI graph, for extra_pnginfo and "Load into graph"
            body["workflow"] = workflow
        return cast(SweepCreated, await self._json("POST", "/sweeps", body))

    async def sweeps(self) -> SweepList:
        return cast(SweepList, await self._json("GET", "/sweeps"))

    async def status(self, sweep_id: str, offset: int = 0, limit: int = 500) -> SweepStatus:
        path = f"/sweeps/{sweep_id}?offset={offset}&limit={limit}"
        return cast(SweepStatus, await self._json("GET", path))

    async def all_runs(self, sweep_id: str) -> tuple[SweepStatus, list[RunRow]]:
        summary = await self.status(sweep_id)
        runs = list(summary.get("runs", []))
        while len(runs) < int(summary.get("page", {}).get("total", len(runs))):
            page = await self.status(sweep_id, offset=len(runs))
            if not page.get("runs"):
                break
            runs += page["runs"]
        return summary, runs

    async def cancel(self, sweep_id: str) -> SweepSummary:
        return cast(SweepSummary, await self._json("POST", f"/sweeps/{sweep_id}/cancel"))

    async def resume(self, sweep_id: str) -> SweepSummary:
        return cast(SweepSummary, await self._json("POST", f"/sweeps/{sweep_id}/resume"))

    async def extend(self, sweep_id: str, config: dict[str, Any]) -> SweepExtended:
        """Grow a stopped sweep (more samples, new grid values); ConflictError while it runs."""
        body = {"config": config}
        return cast(SweepExtended, await self._json("POST", f"/sweeps/{sweep_id}/extend", body))

    async def delete(self, sweep_id: str) -> Deleted:
        return cast(Deleted, await self._json("DELETE", f"/sweeps/{sweep_id}"))

    async def run_prompt(self, sweep_id: str, run_id: int) -> RunPrompt:
        path = f"/sweeps/{sweep_id}/runs/{run_id}/prompt"
        return cast(RunPrompt, await self._json("GET", path))

    async def contact_sheet(self, sweep_id: str) -> str:
        """The sheet's HTML (the route redirects to the sweep's file)."""
        return await self.file_text(sweep_id, "contact-sheet", route=True)

    async def file_text(self, sweep_id: str, rel: str, *, route: bool = False) -> str:
        path = sweep_path(sweep_id, f"/{rel}" if route else f"/files/{rel}")
        status, data = await self.client.request("GET", path)
        if status != 200:
            raise envelope_error(status, data, f"sweep {sweep_id} file {rel}")
        return data if isinstance(data, str) else json.dumps(data)

    async def download(self, sweep_id: str, rel: str, dest: Path) -> None:
        await self.client.download_url(sweep_path(sweep_id, f"/files/{rel}"), dest)

    def cancel_hint(self, sweep_id: str) -> str:
        return f"curl -X POST {self.client.address.url(sweep_path(sweep_id, '/cancel'))}"


# ------------------------------------------------------------------ the mirror
async def mirror_store(
    api: SweepsClient, sweep_id: str, base: Path, extra: dict[str, Any] | None = None
) -> RunStore:
    """A local batch folder holding the server sweep's own config, workflow and plan;
    ``extra`` goes into its progress.json (cr-batch records the config's identity)."""
    cfg = parse_config(await api.file_text(sweep_id, "config.yaml"), source=f"sweep {sweep_id}")
    wf = Workflow.from_data(json.loads(await api.file_text(sweep_id, "workflow.json")))
    plan = Plan.from_json(json.loads(await api.file_text(sweep_id, "plan.json")))
    keys = {**(extra or {}), "mode": "server", "server_sweep_id": sweep_id}
    return RunStore.create(base, cfg, wf, plan, extra=keys)


async def mirror_plan(api: SweepsClient, store: RunStore, sweep_id: str) -> None:
    """After an extension: the server sweep's new plan and config into the local batch."""
    cfg = parse_config(await api.file_text(sweep_id, "config.yaml"), source=f"sweep {sweep_id}")
    plan = Plan.from_json(json.loads(await api.file_text(sweep_id, "plan.json")))
    store.replace_plan(plan, cfg)


async def server_records(api: SweepsClient, sweep_id: str) -> dict[int, RunRecord]:
    """The server's metadata.csv, read by the store's own codec (a torn last
    line, the server appending as we read, is left for the next poll)."""
    text = await api.file_text(sweep_id, "metadata.csv")
    return parse_metadata(text.encode("utf-8"), {}).records


async def mirror_finished(
    api: SweepsClient, store: RunStore, sweep_id: str, runs: list[RunRow]
) -> list[RunRow]:
    """Download and record runs finished on the server but not yet here; returns them."""
    have = {r.run_id for r in store.records()}
    fresh = [r for r in runs if r["status"] in ("done", "failed") and r["run_id"] not in have]
    if not fresh:
        return []
    records = await server_records(api, sweep_id)
    # The server writes metadata.csv behind its run list (write-behind thread): a run
    # whose row has not landed yet is mirrored on a later poll, never with empty timings.
    # A finished sweep reports "done" only once every row is on disk.
    fresh = [r for r in fresh if r["run_id"] in records]
    for run in fresh:
        rec = records[run["run_id"]]
        for rel in rec.outputs:
            dest = store.root / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            await api.download(sweep_id, rel, dest)
        store.run_dir(rec.run_id)
        # Scores follow at the end (mirror_scores): the server merges them after the row.
        store.record_result(dataclasses.replace(rec, scores={}))
    await mirror_thumbnails(api, store, sweep_id, fresh)
    return fresh


async def mirror_scores(api: SweepsClient, store: RunStore, sweep_id: str) -> None:
    """The scores the server computed (``metrics:``; a sweep is final only once
    they are in) into the local batch, one rewrite."""
    records = await server_records(api, sweep_id)
    scores = {i: r.scores for i, r in records.items() if r.scores and store.record(i) is not None}
    if scores:
        store.merge_scores(scores)


async def mirror_thumbnails(
    api: SweepsClient, store: RunStore, sweep_id: str, runs: list[RunRow]
) -> None:
    """Copy the server's thumbnails of these runs (those it has made so far);
    a missing one is left for cr-contact-sheet to make."""
    for run in runs:
        rel = run.get("thumbnail")
        if not rel or Path(rel).is_absolute() or ".." in Path(rel).parts:
            continue
        dest = store.root / rel
        if dest.is_file():
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(SweepError):  # gone or unreadable: made locally later
            await api.download(sweep_id, rel, dest)


async def follow(
    api: SweepsClient,
    store: RunStore,
    sweep_id: str,
    stop: asyncio.Event,
    on_status: StatusCallback,
    interval: float = 1.0,
) -> str:
    """Mirror until the server sweep stops (its final state) or ``stop`` is set
    ("detached"). ``on_status(summary, runs mirrored by this poll)`` after every poll."""
    while True:
        summary, runs = await api.all_runs(sweep_id)
        fresh = await mirror_finished(api, store, sweep_id, runs)
        on_status(summary, fresh)
        if lifecycle.is_final(summary["state"]):
            await mirror_thumbnails(api, store, sweep_id, runs)  # those made after their run
            await mirror_scores(api, store, sweep_id)
            return str(summary["state"])
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
        if stop.is_set():
            return "detached"


def config_payload(cfg: SweepConfig) -> dict[str, Any]:
    """The config as the route takes it: without the keys the server ignores
    (``wire.SERVER_KEYS``: paths and servers are not the client's to choose)."""
    return without_server_keys(config_to_dict(cfg))[0]
