"""Explorations run by ComfyUI's own server (docs/explore.md, docs/routes.md).

A thin driver: the course is the pure core ``Explorer`` (next_action / record /
finish, core/explore/explorer.py) and the state rules are core/explore/lifecycle.py.
Each step runs as an ordinary sweep of the ``SweepService`` (its own contact
sheet, listed in the panel, queued on ComfyUI's queue at background priority);
the driver waits for it, records it and moves on.

On disk only: ``<output>/sweeps/explore_<time>/`` holds ``explore.json`` (the
Explorer's state, with the sweep id of every step), the posted workflow
(``workflow.json``, ``ui_workflow.json``), each step's config and the report;
the step sweeps are ordinary sweep folders beside it. A ComfyUI restart marks a
running exploration ``interrupted`` (as its step's sweep); ``continue`` rebuilds
the Explorer from those files and resumes that sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..core.analyzer import analyze
from ..core.config.load import parse_config
from ..core.config.model import SweepConfig
from ..core.errors import (
    ConfigError,
    ConflictError,
    ForbiddenPath,
    NotFoundError,
    StoreError,
    SweepError,
)
from ..core.explore import lifecycle
from ..core.explore.explorer import Done, Explorer, Run, Wait
from ..core.explore.folder import PREFIX, find_exploration, load_state, new_folder, now_iso
from ..core.explore.folder import save_state as _save_state
from ..core.explore.model import REPORT_FILE, ExploreState, text_sha
from ..core.explore.report import write_report
from ..core.explore.settings import with_builtin_objective
from ..core.explore.setup import (
    DEFAULT_SEARCH,
    common_of,
    config_only,
    explorer_for,
    make_settings,
    new_state,
    rebuild_explorer,
)
from ..core.explore.space import build_space
from ..core.metrics.spec import metrics_to_raw
from ..core.store import atomic
from ..core.workflow import UI_WORKFLOW_FILE, Workflow
from . import exploration_views as views
from . import schemas
from .service import SweepService, _field_prefix, _refuse_unsafe

log = logging.getLogger("comfy_sweep.server")

EVENT = "comfy-sweep.exploration"
WORKFLOW_FILE = "workflow.json"


@dataclass
class ExplorationRequest(schemas.SweepRequest):
    """A sweep request's fields, and whether to continue the newest exploration of
    this workflow and settings."""

    cont: bool = False


@dataclass
class _Driving:
    """An exploration this process drives."""

    explorer: Explorer
    task: asyncio.Task[None] | None = None
    stop: bool = False
    step: str | None = None  # the step whose sweep runs now
    sweep: str | None = None


def _objective_name(cfg: SweepConfig) -> str | None:
    return cfg.objective.metric if cfg.objective is not None else None


class ExplorationService:
    def __init__(self, sweeps: SweepService) -> None:
        self.sweeps = sweeps
        self._driving: dict[str, _Driving] = {}
        self._recovered = False

    def _base(self) -> Path:
        return self.sweeps.sweeps_root()

    # ---------------------------------------------------------------- start
    async def create(self, req: ExplorationRequest) -> tuple[dict[str, Any], bool]:
        """A new exploration (or, with ``cont``, the newest one of the same workflow and
        settings continued): its summary, and whether it is a new one."""
        self._recover()
        info = await self.sweeps.object_info()
        with _field_prefix("prompt"):
            wf = Workflow.from_data(req.prompt, "prompt", info)
        with _field_prefix("config"):
            cfg = parse_config(req.config, source="config")
            if cfg.sampling_strategy != "explore":
                raise ConfigError(
                    "an exploration's config has sampling_strategy: explore",
                    field="sampling_strategy",
                )
            _refuse_unsafe(cfg)
            only = config_only(cfg) if cfg.parameters else ()
            raw = with_builtin_objective(metrics_to_raw(cfg.metrics), _objective_name(cfg))
            settings, objective = make_settings(raw, _objective_name(cfg), only, DEFAULT_SEARCH)
            space = build_space(analyze(wf, info), only)
        seed = cfg.sweep_seed if cfg.sweep_seed is not None else _draw_seed()
        state = new_state("", wf, settings, seed, cfg.num_samples, now_iso())
        found = find_exploration(self._base(), None, state.fingerprint) if req.cont else None
        if found is not None:
            return await self._rerun(found.name, cfg.num_samples), False
        probe = explorer_for(self._base() / "new", state, space, common_of(settings, "", seed))
        await self._check_first_step(req.prompt, probe)  # the split and the first step: 400 now
        root = await asyncio.to_thread(self._make_folder, req, wf, state)
        common = common_of(settings, str(root / WORKFLOW_FILE), seed)
        explorer = explorer_for(root, state, space, common)
        self._start(root.name, explorer)
        return self._view(root.name, explorer.state), True

    async def _check_first_step(self, prompt: dict[str, Any], probe: Explorer) -> None:
        """The first step's config planned now (bad values: a 400, not a stopped exploration)."""
        action = probe.next_action()
        if isinstance(action, Run):
            config, _ = schemas.strip_server_keys(yaml.safe_load(action.config_text), "config")
            await self.sweeps.plan(prompt, config, [])

    def _make_folder(self, req: ExplorationRequest, wf: Workflow, state: ExploreState) -> Path:
        root = new_folder(self._base())
        atomic.write_json(root / WORKFLOW_FILE, wf.to_json())
        ui = req.workflow if req.workflow is not None else wf.ui_graph
        if ui is not None:
            atomic.write_json(root / UI_WORKFLOW_FILE, ui)
        state.workflow = str(root / WORKFLOW_FILE)
        state.notes.update(name=req.name or "", client_id=req.client_id, warnings=req.warnings)
        _save_state(root, state)
        return root

    async def _rerun(self, xid: str, budget: int) -> dict[str, Any]:
        """A rerun of the same exploration: go on where it is (a larger budget plans again)."""
        root, state = self._load(xid)
        if xid in self._driving:
            return self._view(xid, self._driving[xid].explorer.state)
        if state.budget == budget and state.state == "done":
            return self._view(xid, state)
        state.budget = budget
        explorer = await self._explorer(root, state)
        if state.state == "rate" and not await self._rated(explorer):
            await asyncio.to_thread(self._save, explorer)
            return self._view(xid, state)
        self._start(xid, explorer)
        return self._view(xid, explorer.state)

    # ---------------------------------------------------------------- actions
    async def resume(self, xid: str) -> dict[str, Any]:
        """``continue``: after the person rated the waiting step, or after a stop."""
        self._recover()
        await self._settled(xid)
        root, state = self._load(xid)
        if xid in self._driving or not lifecycle.can_continue(state.state):
            raise ConflictError(lifecycle.continue_conflict(xid, state.state))
        explorer = await self._explorer(root, state)
        if state.state == "rate" and not await self._rated(explorer):
            sweep = views.sweep_of(state, state.waiting)
            raise ConflictError(
                f"no run of sweep {sweep} ({state.waiting}) is rated or picked yet; rate some "
                "in its contact sheet, then continue"
            )
        self._start(xid, explorer)
        return self._view(xid, explorer.state)

    async def _settled(self, xid: str) -> None:
        """A driver that has just stopped (its last save under way) finishes first."""
        driving = self._driving.get(xid)
        if (
            driving is not None
            and driving.task is not None
            and driving.explorer.state.state != "running"
        ):
            await asyncio.shield(driving.task)

    async def _rated(self, explorer: Explorer) -> bool:
        """Judge the waiting step again: True once a rated or picked run makes a winner."""
        key = explorer.state.waiting
        step = next((s for s in explorer.steps if s.key == key), None)
        res = explorer.state.steps.get(key or "")
        if step is None or res is None:
            return True
        done = await asyncio.to_thread(explorer.record, step, explorer.root / res.batch)
        if done.status == "rate":
            explorer.state.notes["waiting_text"] = views.rate_text(key, res.batch)
        return done.status != "rate"

    async def cancel(self, xid: str) -> dict[str, Any]:
        self._recover()
        root, state = self._load(xid)
        driving = self._driving.get(xid)
        if driving is not None:
            driving.stop = True
            if driving.sweep is not None:
                with contextlib.suppress(ConflictError):  # the sweep had just finished
                    await self.sweeps.cancel(driving.sweep)
            if driving.task is not None:
                await asyncio.shield(driving.task)
            return self._view(xid, driving.explorer.state)
        if not lifecycle.can_cancel(state.state):
            raise ConflictError(f"exploration {xid} is {state.state}; nothing to cancel")
        state.state = "cancelled"
        await asyncio.to_thread(_save_state, root, state)
        return self._view(xid, state)

    async def status(self, xid: str) -> dict[str, Any]:
        self._recover()
        if xid in self._driving:
            return self._view(xid, self._driving[xid].explorer.state)
        return self._view(xid, self._load(xid)[1])

    async def list_all(self) -> dict[str, Any]:
        self._recover()
        found = []
        for root in self._roots():
            with contextlib.suppress(NotFoundError, StoreError):
                found.append(await self.status(root.name))
        found.sort(key=lambda v: (str(v["created_at"]), v["id"]), reverse=True)
        return {"explorations": found}

    async def file(self, xid: str, rel: str) -> Path:
        root, _ = self._load(xid)
        target = (root / rel).resolve()
        if not target.is_relative_to(root.resolve()):
            raise ForbiddenPath("path leaves the exploration folder", field="path")
        if not target.is_file() or any(
            p.startswith(".") for p in target.relative_to(root.resolve()).parts
        ):
            raise NotFoundError(f"no file {rel!r} in exploration {xid}", field="path")
        return target

    # ---------------------------------------------------------------- the driver
    def _start(self, xid: str, explorer: Explorer) -> None:
        explorer.state.state = "running"
        explorer.state.waiting = None
        explorer.state.notes.pop("message", None)
        driving = _Driving(explorer)
        self._driving[xid] = driving
        driving.task = asyncio.get_running_loop().create_task(self._drive(xid, driving))

    async def _drive(self, xid: str, driving: _Driving) -> None:
        state = driving.explorer.state
        try:
            await asyncio.to_thread(self._save, driving.explorer)
            while not driving.stop and await self._advance(xid, driving):
                pass
            if driving.stop and state.state == "running":
                state.state = "cancelled"
        except SweepError as err:  # a step refused, a winner missing: continue may go on
            state.state, state.notes["message"] = "interrupted", err.message
            log.warning("comfy-sweep: exploration %s stopped: %s", xid, err.message)
        except Exception:  # noqa: BLE001 - a bug must not take ComfyUI's event loop down
            log.exception("comfy-sweep: exploration %s crashed", xid)
            state.state, state.notes["message"] = (
                "interrupted",
                "internal error; see the ComfyUI log",
            )
        finally:
            driving.step = driving.sweep = None
            with contextlib.suppress(SweepError, OSError):
                await asyncio.to_thread(self._save, driving.explorer)
            self._driving.pop(xid, None)
            self._notify(xid, state)

    async def _advance(self, xid: str, driving: _Driving) -> bool:
        """One step of the course; False once the exploration stops (done, rate, a stop)."""
        explorer = driving.explorer
        action = explorer.next_action()
        if isinstance(action, Done):
            await asyncio.to_thread(explorer.finish)
            return False
        if isinstance(action, Wait):  # the person's ratings are awaited
            explorer.state.state, explorer.state.waiting = "rate", action.step.key
            return False
        sweep = await self._step_sweep(xid, explorer, action)
        driving.step, driving.sweep = action.step.key, sweep
        self._notify(xid, explorer.state)
        if driving.stop:
            with contextlib.suppress(ConflictError):
                await self.sweeps.cancel(sweep)
        started = time.monotonic()
        ended = await self.sweeps.wait(sweep)
        driving.step = driving.sweep = None
        explorer.state.state = lifecycle.after_sweep(ended)
        if explorer.state.state != "running":
            explorer.state.notes["message"] = f"step {action.step.key}: sweep {sweep} {ended}"
            return False
        batch = self._base() / sweep
        res = await asyncio.to_thread(
            explorer.record, action.step, batch, time.monotonic() - started
        )
        if res.status == "rate":
            explorer.state.notes["waiting_text"] = views.rate_text(action.step.key, res.batch)
        await asyncio.to_thread(self._save, explorer)
        self._notify(xid, explorer.state)
        return res.status != "rate"

    async def _step_sweep(self, xid: str, explorer: Explorer, action: Run) -> str:
        """The sweep of a step: the one made before for the same config (resumed when it
        stopped), else a new one."""
        sha = text_sha(action.config_text)
        await asyncio.to_thread(_write_config, explorer.step_path(action.step), action.config_text)
        known = lifecycle.step_sweep(explorer.state.notes, action.step.key, sha)
        if known is not None:
            with contextlib.suppress(NotFoundError):  # deleted in the panel: run it anew
                store = await self.sweeps.require(known)
                if lifecycle.sweep_action(store.progress()["state"]) == "resume":
                    await self.sweeps.resume(known)
                return known
        root = explorer.root
        config, _ = schemas.strip_server_keys(yaml.safe_load(action.config_text), "config")
        notes = explorer.state.notes
        req = schemas.SweepRequest(
            prompt=_read_json(root / WORKFLOW_FILE), config=config,
            workflow=_read_json(root / UI_WORKFLOW_FILE), client_id=notes.get("client_id"),
            name=f"{action.step.key} of {xid}"[:64],  # the step first: a narrow list cuts the end
        )  # fmt: skip
        made = await self.sweeps.create(req)
        lifecycle.remember_sweep(notes, action.step.key, str(made["id"]), sha)
        await asyncio.to_thread(self._save, explorer)
        return str(made["id"])

    # ---------------------------------------------------------------- disk
    def _save(self, explorer: Explorer) -> None:
        _save_state(explorer.root, explorer.state)
        write_report(explorer.root, explorer.state)

    def _roots(self) -> Iterator[Path]:
        base = self._base()
        for child in sorted(base.iterdir()) if base.is_dir() else []:
            if child.name.startswith(PREFIX) and (child / "explore.json").is_file():
                yield child

    def _load(self, xid: str) -> tuple[Path, ExploreState]:
        if not xid.startswith(PREFIX) or schemas.sweep_id(xid) is None:
            raise NotFoundError(f"no exploration {xid!r}")
        root = self._base() / xid
        try:
            return root, load_state(root)
        except StoreError:
            if not (root / "explore.json").exists():
                raise NotFoundError(f"no exploration {xid!r}") from None
            raise

    async def _explorer(self, root: Path, state: ExploreState) -> Explorer:
        info = await self.sweeps.object_info()
        wf = Workflow.from_data(_read_json(root / WORKFLOW_FILE), str(root / WORKFLOW_FILE), info)
        return rebuild_explorer(root, state, wf, info, str(root / WORKFLOW_FILE))

    def _recover(self) -> None:
        """At the first request after a start: explorations left running were cut off."""
        if self._recovered:
            return
        self._recovered = True
        for root in self._roots():
            with contextlib.suppress(SweepError, OSError):
                state = load_state(root)
                if state.state == "running" and root.name not in self._driving:
                    state.state = "interrupted"
                    state.notes["message"] = "ComfyUI stopped while this exploration was running"
                    _save_state(root, state)

    def _notify(self, xid: str, state: ExploreState) -> None:
        try:
            self.sweeps.deps.notify(EVENT, {"exploration_id": xid, "state": state.state})
        except Exception:  # a websocket hiccup must never stop an exploration
            log.exception("comfy-sweep: exploration event not sent")

    # ---------------------------------------------------------------- the summary
    def _view(self, xid: str, state: ExploreState) -> dict[str, Any]:
        driving = self._driving.get(xid)
        live = None if driving is None else views.Live(driving.step, driving.sweep)
        report = (self._base() / xid / REPORT_FILE).is_file()
        return views.summary(xid, state, live, report=report)


def _write_config(path: Path, text: str) -> None:
    """The step's config beside the exploration's state, for reading (never run from there)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, text)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise StoreError(f"{path}: unreadable ({err})") from None


def _draw_seed() -> int:
    import random

    return random.randrange(2**31)
