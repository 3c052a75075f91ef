"""Client of our own /comfy-sweep/ routes (docs/routes.md) for ``cr-batch --mode
server``: the server runs the sweep on ComfyUI's own queue; this side polls its
status and mirrors outputs, the plan and the metadata into the same local batch
layout as client mode (the local progress.json records the server sweep id)."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..core.config.load import config_to_dict, parse_config
from ..core.config.model import SweepConfig
from ..core.errors import (
    BackendError,
    ConfigError,
    ConflictError,
    NotFoundError,
    PlanError,
    SweepError,
)
from ..core.plan.model import Plan
from ..core.store.format import RunRecord
from ..core.store.runstore import RunStore
from ..core.workflow import Workflow
from .comfyui import ComfyClient

PREFIX = "/comfy-sweep"
_CODES: dict[str, type[SweepError]] = {
    "invalid_config": ConfigError,
    "invalid_plan": PlanError,
    "not_found": NotFoundError,
    "conflict": ConflictError,
}


def envelope_error(status: int, data: Any, what: str) -> SweepError:
    """Our routes' one error envelope as the matching core exception."""
    err = data.get("error") if isinstance(data, dict) else None
    if not isinstance(err, dict):
        return BackendError(f"{what}: HTTP {status}")
    cls = _CODES.get(str(err.get("code")), BackendError)
    return cls(str(err.get("message", "")), field=err.get("field"), details=err.get("details"))


class SweepsClient:
    def __init__(self, client: ComfyClient) -> None:
        self.client = client

    async def _json(
        self, method: str, path: str, body: Any = None, ok: tuple[int, ...] = (200, 202)
    ) -> Any:
        status, data = await self.client.request(method, PREFIX + path, body, retry=method == "GET")
        if status not in ok:
            raise envelope_error(status, data, f"{method} {PREFIX}{path}")
        return data

    async def create(
        self,
        prompt: dict[str, Any],
        config: dict[str, Any],
        name: str | None,
        workflow: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"prompt": prompt, "config": config}
        if name:
            body["name"] = name
        if workflow is not None:  # the UI graph, for extra_pnginfo and "Load into graph"
            body["workflow"] = workflow
        return dict(await self._json("POST", "/sweeps", body))

    async def status(self, sweep_id: str, offset: int = 0, limit: int = 500) -> dict[str, Any]:
        return dict(await self._json("GET", f"/sweeps/{sweep_id}?offset={offset}&limit={limit}"))

    async def all_runs(self, sweep_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        summary = await self.status(sweep_id)
        runs = list(summary.get("runs", []))
        while len(runs) < int(summary.get("page", {}).get("total", len(runs))):
            page = await self.status(sweep_id, offset=len(runs))
            if not page.get("runs"):
                break
            runs += page["runs"]
        return summary, runs

    async def resume(self, sweep_id: str) -> None:
        await self._json("POST", f"/sweeps/{sweep_id}/resume")

    async def extend(self, sweep_id: str, config: dict[str, Any]) -> dict[str, Any]:
        """Grow a stopped sweep (more samples, new grid values); ConflictError while it runs."""
        return dict(await self._json("POST", f"/sweeps/{sweep_id}/extend", {"config": config}))

    async def file_text(self, sweep_id: str, rel: str) -> str:
        status, data = await self.client.request("GET", f"{PREFIX}/sweeps/{sweep_id}/files/{rel}")
        if status != 200:
            raise envelope_error(status, data, f"sweep {sweep_id} file {rel}")
        return data if isinstance(data, str) else json.dumps(data)

    async def download(self, sweep_id: str, rel: str, dest: Path) -> None:
        await self.client.download_url(f"{PREFIX}/sweeps/{sweep_id}/files/{rel}", dest)

    def cancel_hint(self, sweep_id: str) -> str:
        return f"curl -X POST {self.client.address.url(f'{PREFIX}/sweeps/{sweep_id}/cancel')}"


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _stamp(text: str) -> float | None:
    from datetime import datetime

    if not text:
        return None
    with contextlib.suppress(ValueError):
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    return _float(text)


def parse_metadata(text: str) -> dict[int, dict[str, str]]:
    return {int(r["run_id"]): r for r in csv.DictReader(io.StringIO(text)) if r.get("run_id")}


def record_from(run: dict[str, Any], row: dict[str, str] | None, outputs: list[str]) -> RunRecord:
    row = row or {}
    return RunRecord(
        run_id=int(run["run_id"]),
        status="done" if run["status"] == "done" else "failed",
        values=dict(run.get("values") or {}),
        prompt_id=str(run.get("prompt_id") or row.get("prompt_id", "")),
        queued_at=_stamp(row.get("queued_at", "")),
        started_at=_stamp(row.get("started_at", "")),
        finished_at=_stamp(row.get("finished_at", "")),
        execution_s=_float(row.get("execution_s", "")),
        outputs=outputs,
        error=str(run.get("error") or row.get("error", "")),
        cached_nodes=[n for n in row.get("cached_nodes", "").split(";") if n],
    )


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


async def mirror_finished(
    api: SweepsClient, store: RunStore, sweep_id: str, runs: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Download and record runs finished on the server but not yet here; returns them."""
    have = {r.run_id for r in store.records()}
    fresh = [r for r in runs if r["status"] in ("done", "failed") and int(r["run_id"]) not in have]
    if not fresh:
        return []
    rows = parse_metadata(await api.file_text(sweep_id, "metadata.csv"))
    # The server writes metadata.csv behind its run list (write-behind thread): a run
    # whose row has not landed yet is mirrored on a later poll, never with empty timings.
    # A finished sweep reports "done" only once every row is on disk.
    fresh = [r for r in fresh if int(r["run_id"]) in rows]
    for run in fresh:
        run_id = int(run["run_id"])
        outputs = [str(o) for o in run.get("outputs") or []]
        for rel in outputs:
            dest = store.root / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            await api.download(sweep_id, rel, dest)
        store.run_dir(run_id)
        store.record_result(record_from(run, rows.get(run_id), outputs))
    await mirror_thumbnails(api, store, sweep_id, fresh)
    return fresh


async def mirror_thumbnails(
    api: SweepsClient, store: RunStore, sweep_id: str, runs: list[dict[str, Any]]
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
        with contextlib.suppress(BackendError):
            await api.download(sweep_id, rel, dest)


async def follow(
    api: SweepsClient,
    store: RunStore,
    sweep_id: str,
    stop: asyncio.Event,
    on_status: Callable[[dict[str, Any], list[dict[str, Any]]], None],
    interval: float = 1.0,
) -> str:
    """Mirror until the server sweep ends (its state) or ``stop`` is set ("detached").
    ``on_status(summary, runs mirrored by this poll)`` after every poll."""
    while True:
        summary, runs = await api.all_runs(sweep_id)
        fresh = await mirror_finished(api, store, sweep_id, runs)
        on_status(summary, fresh)
        if summary["state"] in ("done", "cancelled", "interrupted"):
            await mirror_thumbnails(api, store, sweep_id, runs)  # those made after their run
            return str(summary["state"])
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
        if stop.is_set():
            return "detached"


def config_payload(cfg: SweepConfig) -> dict[str, Any]:
    """The config as the route takes it: no paths or server (the server refuses them)."""
    data = config_to_dict(cfg)
    data.pop("workflow_file", None)
    data.get("output", {}).pop("base_dir", None)
    data.get("comfyui", {}).pop("server_address", None)
    return dict(data)
