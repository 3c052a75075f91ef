"""SweepService: server-side sweeps on disk under <output dir>/sweeps/<id>/.

Each sweep is a run-store batch (docs/run-store.md) driven by a
core.sweep.session ``SweepSession`` as an asyncio task on ComfyUI's own loop, through a Backend
(InProcessBackend inside ComfyUI; a test double of our Backend protocol in
route tests). The service never writes at import or construction: the sweeps
folder is created by the first sweep, and restart recovery runs on first use.

Restarts: ComfyUI 0.3.75 keeps history in memory only, so a sweep that was
queued/running when the process died cannot be followed; when ComfyUI starts
(``recover``, scheduled by ``register``; else on first use) every such folder
is marked ``interrupted``, and ``resume`` hands it to the engine, which
re-submits exactly the runs not recorded (in-flight prompts unknown to the
fresh server are submitted again; metadata.csv keeps one row per run).

ComfyUI's event loop serves every HTTP request and websocket; a sweep must not
hold it. So a running sweep's store writes (each fsync'd) go to one writer
thread per sweep, in order (the session's write-behind; the engine waits for a
prompt id to be on disk before its prompt is queued); progress events are sent
at most every ``NOTIFY_EVERY`` seconds; thumbnails and the sheet render in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from ..core.analyzer import analyze
from ..core.config.load import config_to_dict, dump_config_yaml, parse_config
from ..core.config.model import SweepConfig
from ..core.config.template import render_config_template
from ..core.config.validate import validate_config
from ..core.engine.backend import Backend
from ..core.errors import (
    ConfigError,
    ConflictError,
    ForbiddenPath,
    MissingExtraError,
    NotFoundError,
    PlanError,
    StoreError,
    SweepError,
)
from ..core.metrics.spec import refuse_unsafe_metrics
from ..core.objectinfo import ObjectInfo
from ..core.plan.build import build_plan, prompt_for_run
from ..core.plan.extend import adds_work, extend_plan
from ..core.store import atomic
from ..core.store.runstore import RunStore
from ..core.sweep import lifecycle
from ..core.sweep.session import SessionOptions, SweepSession
from ..core.sweep.wire import (
    PlanPreview,
    SweepExtended,
    SweepList,
    SweepStatus,
    SweepSummary,
)
from ..core.version import __version__
from ..core.workflow import UI_WORKFLOW_FILE, Workflow
from . import schemas, views
from .refresher import SheetRefresher

log = logging.getLogger("comfy_sweep.server")

EVENT = "comfy-sweep.progress"
OBJECT_INFO_TTL = 60.0  # seconds; file lists (checkpoints, LoRAs) change rarely
MAX_WINDOW = 16
# Sweeps started here share ComfyUI with the artist working in it: unless the
# config says otherwise their prompts queue behind the artist's (issue 15).
PANEL_PRIORITY = "background"
NOTIFY_EVERY = 0.25  # seconds between progress events of one sweep (40 runs/s exist)
CAPABILITIES = ["analyze", "plan", "sweeps", "config", "files", "contact-sheet", "explorations"]


@dataclass
class ServiceDeps:
    """What the service needs from the world (ComfyUI in production)."""

    sweeps_root: Callable[[], Path]
    backend: Callable[[], Backend]
    object_info: Callable[[], Awaitable[dict[str, Any] | None]]
    notify: Callable[[str, dict[str, Any]], None]
    recent_run_seconds: Callable[[], float | None] = lambda: None
    own_address: Callable[[], str | None] = lambda: None
    input_dir: Callable[[], Path | None] = lambda: None  # "name [input]" references

    @classmethod
    def from_comfy(cls, env: Any) -> ServiceDeps:
        from .inprocess import InProcessBackend

        backend = InProcessBackend(env)
        return cls(
            sweeps_root=lambda: env.output_dir() / "sweeps",
            backend=lambda: backend,
            object_info=env.object_info,
            notify=env.send,
            recent_run_seconds=env.recent_run_seconds,
            own_address=env.own_address,
            input_dir=lambda: env.directory_for_type("input"),
        )


@dataclass
class _Active:
    """A sweep this process is driving (its session holds the store's lock)."""

    session: SweepSession
    task: asyncio.Task[None] | None = None
    notified_at: float = 0.0
    notify_later: asyncio.TimerHandle | None = None

    @property
    def store(self) -> RunStore:
        return self.session.store


def _at_priority(backend: Backend, priority: str) -> Backend:
    """The backend queueing at ``priority`` (a test double without the notion keeps its own)."""
    with_priority = getattr(backend, "with_priority", None)
    return backend if with_priority is None else cast(Backend, with_priority(priority))


@contextlib.contextmanager
def _field_prefix(prefix: str) -> Iterator[None]:
    """Errors about the posted config/prompt name the body key first."""
    try:
        yield
    except SweepError as err:
        err.field = f"{prefix}.{err.field}" if err.field else prefix
        raise


class SweepService:
    def __init__(self, deps: ServiceDeps, *, sheet_interval: float = 3.0) -> None:
        self.deps = deps
        self.sheet_interval = sheet_interval
        self._active: dict[str, _Active] = {}
        self._stores: dict[str, RunStore] = {}
        self._recovered = False
        self._object_info: tuple[float, ObjectInfo | None] | None = None

    # ---------------------------------------------------------------- basics
    def version(self) -> dict[str, Any]:
        return {
            "name": "comfy-sweep",
            "version": __version__,
            "api": 1,
            "capabilities": CAPABILITIES,
        }

    def _root(self) -> Path:
        return self.deps.sweeps_root()

    async def _objectinfo(self) -> ObjectInfo | None:
        now = time.monotonic()
        if self._object_info is None or now - self._object_info[0] > OBJECT_INFO_TTL:
            data = await self.deps.object_info()
            self._object_info = (now, ObjectInfo(data) if data else None)
        return self._object_info[1]

    async def object_info(self) -> ObjectInfo | None:
        """The server's object_info (cached for OBJECT_INFO_TTL), None when unknown."""
        return await self._objectinfo()

    def recover(self) -> None:
        """At ComfyUI start: sweeps left queued/running were cut off. Reads one
        small progress.json per sweep; opens (and rewrites) only those."""
        try:
            self._recover()
        except OSError as err:  # an unreadable output folder must not stop ComfyUI
            log.warning("comfy-sweep: cannot scan sweeps for interrupted ones: %s", err)

    def _recover(self) -> None:
        if self._recovered:
            return
        self._recovered = True
        root = self._root()
        for folder in sorted(root.iterdir()) if root.is_dir() else []:
            state = _peek_state(folder)
            if state is not None and lifecycle.is_active(state) and folder.name not in self._active:
                try:
                    self._store(folder.name).set_state(
                        "interrupted", message="ComfyUI stopped while this sweep was running"
                    )
                except SweepError as err:  # locked by a live process, unreadable: leave it
                    log.warning("comfy-sweep: cannot mark %s interrupted: %s", folder.name, err)

    def _store(self, sweep_id: str) -> RunStore:
        if schemas.sweep_id(sweep_id) is None:
            raise NotFoundError(f"no sweep {sweep_id!r}")
        if sweep_id in self._active:
            return self._active[sweep_id].store
        folder = self._root() / sweep_id
        if not (folder / "progress.json").is_file():
            self._stores.pop(sweep_id, None)
            raise NotFoundError(f"no sweep {sweep_id!r}")
        if sweep_id not in self._stores:
            self._stores[sweep_id] = RunStore.open(folder)
        return self._stores[sweep_id]

    async def require(self, sweep_id: str) -> RunStore:
        self._recover()
        return self._store(sweep_id)

    def sweeps_root(self) -> Path:
        """The folder every server sweep (and exploration) lives in."""
        return self._root()

    async def wait(self, sweep_id: str) -> str:
        """The sweep's state once this process stops driving it (an exploration's step)."""
        active = self._active.get(sweep_id)
        if active is not None and active.task is not None:
            await asyncio.shield(active.task)  # a cancelled waiter leaves the sweep running
        return str((await self.require(sweep_id)).progress()["state"])

    # ------------------------------------------------------ stateless tools
    async def analyze(
        self, prompt: dict[str, Any], workflow_file: str = "workflow_api.json"
    ) -> dict[str, Any]:
        oi = await self._objectinfo()
        with _field_prefix("prompt"):
            wf = Workflow.from_data(prompt, "prompt", oi)  # UI format: converted with oi
        analysis = analyze(wf, oi)
        return {
            "analysis": analysis.to_json(),
            "template_yaml": render_config_template(analysis, workflow_file),
        }

    async def _prepare(
        self, prompt: dict[str, Any], config: dict[str, Any], warnings: list[str]
    ) -> tuple[Workflow, Any, ObjectInfo | None, list[str]]:
        oi = await self._objectinfo()
        with _field_prefix("prompt"):
            wf = Workflow.from_data(prompt, "prompt", oi)  # UI format: converted with oi
        with _field_prefix("config"):
            cfg = parse_config(config, source="config")
            _refuse_unsafe(cfg)
            warnings = [*warnings, *validate_config(cfg, wf, oi)]
            _need_optuna(cfg)
        return wf, cfg, oi, warnings

    async def plan(
        self, prompt: dict[str, Any], config: dict[str, Any], warnings: list[str]
    ) -> PlanPreview:
        wf, cfg, oi, warnings = await self._prepare(prompt, config, warnings)
        with _field_prefix("config"):
            plan = await asyncio.to_thread(build_plan, cfg, wf, oi)
        per_run = self.deps.recent_run_seconds()
        return views.plan_json(plan, warnings, per_run * len(plan.runs) if per_run else None)

    def config_parse(self, text: str) -> dict[str, Any]:
        cfg = parse_config(text, source="yaml")
        return {"config": config_to_dict(cfg), "warnings": list(cfg.warnings)}

    def config_render(self, config: dict[str, Any]) -> dict[str, Any]:
        with _field_prefix("config"):
            return {"yaml": dump_config_yaml(parse_config(config, source="config"))}

    # --------------------------------------------------------------- sweeps
    async def create(self, req: schemas.SweepRequest) -> dict[str, Any]:
        self._recover()
        wf, cfg, oi, warnings = await self._prepare(req.prompt, req.config, req.warnings)
        with _field_prefix("config"):
            plan = await asyncio.to_thread(build_plan, cfg, wf, oi)
        await self._prevalidate(prompt_for_run(wf, cfg, plan.runs[0]))
        extra = {"mode": "server", "label": req.name, "client_id": req.client_id}
        store = RunStore.create(self._root(), cfg, wf, plan, extra=extra)
        ui_workflow = req.workflow if req.workflow is not None else wf.ui_graph
        if ui_workflow is not None:
            atomic.write_json(store.root / UI_WORKFLOW_FILE, ui_workflow)
        self._start(store, req.client_id, ui_workflow)
        return {"id": store.name, "total": len(plan.runs), "state": "queued", "warnings": warnings}

    async def _prevalidate(self, prompt: dict[str, Any]) -> None:
        """ComfyUI's own validation of the first run, so a 202 means it will run."""
        validate = getattr(self.deps.backend(), "validate", None)
        if validate is not None:
            with _field_prefix("prompt"):
                await validate(prompt)

    def _start(
        self, store: RunStore, client_id: str | None, ui_workflow: dict[str, Any] | None
    ) -> None:
        cfg = store.config
        options = SessionOptions(
            holder=f"ComfyUI server pid {os.getpid()}",
            window=max(1, min(MAX_WINDOW, cfg.comfyui.queue_window)),
            fail_fast=cfg.comfyui.fail_fast,
            client_id=client_id,
            ui_workflow=ui_workflow,
            write_behind=True,  # fsyncs off ComfyUI's event loop
        )
        from ..media.live_scoring import scorer_for

        refresher = SheetRefresher(store.root, self.sheet_interval)
        scorer = scorer_for(
            store, comfy_address=self.deps.own_address(), input_dir=self.deps.input_dir()
        )
        from ..adaptive.wiring import adaptive_source

        # object_info as validated at create/extend (resume reads it first): with
        # none, an adaptive sweep would guess a FLOAT written as 1 to be an INT.
        info = self._object_info[1] if self._object_info is not None else None
        source = adaptive_source(store, scorer, window=options.window, object_info=info)
        backend = _at_priority(self.deps.backend(), cfg.comfyui.priority or PANEL_PRIORITY)
        session = SweepSession(
            store, backend, options, sheet=refresher, scorer=scorer, source=source
        )
        session.open()  # the lock before the 202: a second writer is refused now
        active = _Active(session)
        session.on_event = lambda ev: self._on_event(active, ev.kind)
        self._active[store.name] = active
        self._stores.pop(store.name, None)
        active.task = asyncio.get_running_loop().create_task(self._drive(active))

    async def _drive(self, active: _Active) -> None:
        store = active.store
        try:
            await active.session.run()
        except SweepError as err:  # server trouble, first prompt refused: resumable
            log.warning("comfy-sweep: sweep %s stopped: %s", store.name, err.message)
        except Exception:  # noqa: BLE001 - a bug must not take ComfyUI's event loop down
            log.exception("comfy-sweep: sweep %s crashed", store.name)
            with contextlib.suppress(SweepError, OSError):  # a full disk: the write failing
                store.set_state("interrupted", message="internal error; see the ComfyUI log")
        finally:
            self._active.pop(store.name, None)
            self._stores[store.name] = store
            self._notify(active)

    def _on_event(self, active: _Active, kind: str) -> None:
        if kind in ("submitted", "done", "failed"):
            self._notify_soon(active)  # per-run events: throttled
        else:
            self._notify(active)

    def _notify_soon(self, active: _Active) -> None:
        """At most one progress event per NOTIFY_EVERY; the last state always
        goes out (a timer sends it when events stop coming)."""
        if active.notify_later is not None:
            return
        delay = active.notified_at + NOTIFY_EVERY - time.monotonic()
        if delay <= 0:
            self._notify(active)
        else:
            active.notify_later = asyncio.get_running_loop().call_later(delay, self._notify, active)

    def _running_ids(self) -> set[str]:
        running = getattr(self.deps.backend(), "running_ids", None)
        return set(running()) if running is not None else set()

    def _live(self, sweep_id: str) -> dict[str, Any]:
        active = self._active.get(sweep_id)
        if active is None:
            return {}
        last = active.session.last
        eta = last.eta_s if last else None
        current = views.current_run(active.store, self._running_ids())
        return {"current": current, "eta_s": eta, "live": True}

    def _notify(self, active: _Active) -> None:
        if active.notify_later is not None:
            active.notify_later.cancel()
            active.notify_later = None
        active.notified_at = time.monotonic()
        s = views.summary(active.store.name, active.store, **self._live(active.store.name))
        keys = ("state", "done", "failed", "total", "eta_s", "current")
        try:
            self.deps.notify(EVENT, {"sweep_id": s["id"], **{k: s.get(k) for k in keys}})
        except Exception:  # a websocket hiccup must never stop a sweep
            log.exception("comfy-sweep: progress event not sent")

    async def shutdown(self) -> None:
        """Stop every sweep this process drives (left ``interrupted``, resumable)."""
        for active in list(self._active.values()):
            active.session.request_stop()
            if active.task is not None:
                await asyncio.gather(active.task, return_exceptions=True)

    async def list_sweeps(self) -> SweepList:
        self._recover()
        root = self._root()
        found: list[SweepSummary] = []
        for folder in root.iterdir() if root.is_dir() else []:
            if _peek_state(folder) is None:
                continue
            with contextlib.suppress(NotFoundError, StoreError):
                found.append(
                    views.summary(folder.name, self._store(folder.name), **self._live(folder.name))
                )
        found.sort(key=lambda s: (str(s["created_at"]), s["id"]), reverse=True)
        return {"sweeps": found}

    async def status(self, sweep_id: str, offset: int, limit: int) -> SweepStatus:
        store = await self.require(sweep_id)
        return views.status(
            sweep_id, store, offset, limit, running=self._running_ids(), live=self._live(sweep_id)
        )

    async def cancel(self, sweep_id: str) -> SweepSummary:
        store = await self.require(sweep_id)
        active = self._active.get(sweep_id)
        if active is not None:
            active.session.request_stop(cancel=True)
            if active.task is not None:
                # shield: a client hanging up must not cancel the engine's cleanup
                await asyncio.shield(active.task)
        elif lifecycle.can_cancel(store.progress()["state"]):
            store.set_state("cancelled")
        else:
            raise ConflictError(
                f"sweep {sweep_id} is {store.progress()['state']}; nothing to cancel"
            )
        return views.summary(sweep_id, store)

    async def resume(self, sweep_id: str) -> SweepSummary:
        store = await self.require(sweep_id)
        state = store.progress()["state"]
        if sweep_id in self._active or not lifecycle.can_resume(state):
            raise ConflictError(lifecycle.resume_conflict(sweep_id, state))
        store.set_state("queued", message="")
        await self._objectinfo()  # for _start's adaptive source
        self._start(
            store, store.progress().get("client_id"), _read_json(store.root / UI_WORKFLOW_FILE)
        )
        return views.summary(sweep_id, store, **self._live(sweep_id))

    async def extend(
        self, sweep_id: str, config: dict[str, Any], warnings: list[str]
    ) -> SweepExtended:
        """More Sobol/random samples or new grid values for a stopped sweep: every
        recorded run is kept with its run_id, the new ones run like a resume."""
        store = await self.require(sweep_id)
        state = store.progress()["state"]
        if sweep_id in self._active or not lifecycle.can_extend(state):
            raise ConflictError(lifecycle.busy_conflict(sweep_id, state, "extend"))
        oi = await self._objectinfo()
        with _field_prefix("config"):
            cfg = parse_config(config, source="config")
            _refuse_unsafe(cfg)
            warnings = [*warnings, *validate_config(cfg, store.workflow, oi)]
            plan = await asyncio.to_thread(
                extend_plan, store.plan, store.config, cfg, store.workflow, oi
            )
        before = len(store.plan.runs)
        if not adds_work(store.plan, plan, store.config, cfg):
            raise PlanError("cannot extend the sweep: the changed config adds no runs")
        if len(plan.runs) > before:
            await self._prevalidate(prompt_for_run(store.workflow, cfg, plan.runs[before]))
        store.replace_plan(plan, cfg)
        store.set_state("queued", message="")
        self._start(
            store, store.progress().get("client_id"), _read_json(store.root / UI_WORKFLOW_FILE)
        )
        summary = views.summary(sweep_id, store, **self._live(sweep_id))
        return {**summary, "added": len(plan.runs) - before, "warnings": warnings}

    async def delete(self, sweep_id: str) -> dict[str, Any]:
        store = await self.require(sweep_id)
        state = store.progress()["state"]
        if sweep_id in self._active or not lifecycle.can_delete(state):
            raise ConflictError(lifecycle.busy_conflict(sweep_id, state, "delete"))
        self._stores.pop(sweep_id, None)
        await asyncio.to_thread(shutil.rmtree, store.root)
        return {"deleted": sweep_id}

    async def file(self, sweep_id: str, rel: str) -> tuple[Path, bool]:
        """A file inside the sweep folder (resolved, symlinks included) and
        whether it may still change (no caching while the sweep runs)."""
        store = await self.require(sweep_id)
        root = store.root.resolve()
        target = (root / rel).resolve()
        if not target.is_relative_to(root):
            raise ForbiddenPath("path leaves the sweep folder", field="path")
        if not target.is_file() or any(p.startswith(".") for p in target.relative_to(root).parts):
            raise NotFoundError(f"no file {rel!r} in sweep {sweep_id}", field="path")
        return target, sweep_id in self._active

    async def run_prompt(self, sweep_id: str, run_id: int) -> dict[str, Any]:
        store = await self.require(sweep_id)
        run = next((r for r in store.plan.runs if r.run_id == run_id), None)
        if run is None:
            raise NotFoundError(f"sweep {sweep_id} has no run {run_id}", field="run_id")
        prompt = _read_json(store.root / "runs" / run.folder / "prompt.json")
        if prompt is None:  # not submitted yet: the prompt it will get
            prompt = prompt_for_run(store.workflow, store.config, run)
        return {"prompt": prompt, "values": dict(run.values)}


def _refuse_unsafe(cfg: SweepConfig) -> None:
    """A posted config's scorers may not run programs (unless the ComfyUI owner set
    COMFY_SWEEP_ALLOW_COMMAND_SCORERS=1) nor read this machine's files or
    environment (unless COMFY_SWEEP_ALLOW_LOCAL_PATHS=1)."""
    refuse_unsafe_metrics(
        cfg.metrics,
        allow_commands=os.environ.get("COMFY_SWEEP_ALLOW_COMMAND_SCORERS") == "1",
        allow_paths=os.environ.get(schemas.ALLOW_LOCAL_PATHS_ENV) == "1",
    )


def _need_optuna(cfg: SweepConfig) -> None:
    """``objective.sampler: tpe`` proposes with Optuna on this machine: a 400 naming the key."""
    from ..adaptive.wiring import require_optuna

    try:
        require_optuna(cfg)
    except MissingExtraError as err:
        raise ConfigError(
            f"objective.sampler: tpe needs optuna on the ComfyUI machine ({err.message})",
            field="objective.sampler",
        ) from None


def _peek_state(folder: Path) -> str | None:
    data = _read_json(folder / "progress.json")
    return data.get("state") if isinstance(data, dict) else None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
