"""What an exploration is asked to do (``Request``) and how it starts: its settings,
its state folder, the Explorer over the workflow's space (cli/explore.py runs it)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ..client.comfyui import ComfyClient
from ..core.analyzer import analyze
from ..core.config.load import resolve_workflow_path
from ..core.config.model import SweepConfig
from ..core.errors import StoreError
from ..core.explore.explorer import Explorer
from ..core.explore.folder import find_exploration, load_state, new_folder, now_iso, save_state
from ..core.explore.model import ExploreState, fingerprint
from ..core.explore.phases import Common
from ..core.explore.settings import metrics_section
from ..core.explore.setup import (
    DEFAULT_SEARCH,
    common_of,
    config_only,
    explorer_for,
    make_settings,
    new_state,
    workflow_sha,
)
from ..core.explore.space import OnlySpec, build_space, parse_only
from ..core.metrics.spec import metrics_to_raw
from ..core.objectinfo import ObjectInfo
from ..core.workflow import Workflow
from .commands.explore import DEFAULT_BUDGET
from .common import server_option, shell_arg


@dataclass
class Request:
    """What the command line (or a ``sampling_strategy: explore`` config) asks for."""

    workflow: Path
    budget: int = DEFAULT_BUDGET
    objective: str | None = None
    metrics: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    servers: tuple[str, ...] = ()
    output: Path = Path("output")
    cont: bool = False
    new: bool = False
    search: str = DEFAULT_SEARCH  # adaptive: one adaptive batch; sobol: narrowing rounds
    seed: int | None = None  # the exploration's seed (None: drawn once, kept in explore.json)
    raw_metrics: dict[str, Any] | None = None  # a config's metrics: section, as is
    only_specs: tuple[OnlySpec, ...] | None = None  # a config's parameters: (else --only)
    auto_continue: bool = False  # a config rerun goes on by itself once runs are rated
    rerun: str = ""  # the command that continues (a config's: cr-batch CONFIG)
    server_address: str = "127.0.0.1:8188"  # when no --server


def note(text: str) -> None:
    click.echo(text, err=True)


def _server(req: Request) -> str:
    return req.servers[0] if req.servers else req.server_address


async def fetch_object_info(req: Request) -> ObjectInfo:
    async with ComfyClient(server_option(_server(req)), timeout=15.0) as client:
        return ObjectInfo(await client.object_info())


def settings_of(req: Request) -> tuple[dict[str, Any], Common, dict[str, Any]]:
    raw = (
        req.raw_metrics
        if req.raw_metrics is not None
        else metrics_section(req.metrics, req.objective, Path.cwd())
    )
    settings, _ = make_settings(raw, req.objective, _only(req), req.search)
    common = common_of(settings, str(req.workflow.resolve()), 0, _server(req))
    return settings, common, raw


def open_state(req: Request, wf: Workflow, settings: dict[str, Any]) -> tuple[Path, ExploreState]:
    wf_path = str(req.workflow.resolve())
    fp = fingerprint(workflow_sha(wf), settings)
    root = None if req.new else find_exploration(req.output, wf_path, fp)
    if root is not None:
        state = load_state(root)
        if state.budget != req.budget:
            note(f"{root}: budget {state.budget} -> {req.budget}: the phases are planned again")
            state.budget = req.budget
        note(f"continuing {root}")
        return root, state
    if req.cont:
        raise StoreError(
            f"--continue: no exploration of {wf_path} with these settings under {req.output}"
        )
    root = new_folder(req.output)
    seed = req.seed if req.seed is not None else random.randrange(2**31)
    state = new_state(wf_path, wf, settings, seed, req.budget, now_iso())
    save_state(root, state)
    note(f"new exploration {root}")
    return root, state


def make_explorer(req: Request, wf: Workflow, info: ObjectInfo) -> Explorer:
    settings, common, _ = settings_of(req)
    space = build_space(analyze(wf, info), _only(req))
    root, state = open_state(req, wf, settings)
    return explorer_for(root, state, space, common)


def _only(req: Request) -> tuple[OnlySpec, ...]:
    if req.only_specs is not None:
        return req.only_specs
    return tuple(parse_only(o) for o in req.only)


# -- running a step: an ordinary cr-batch in client mode ---------------------------------------
def request_from_config(
    cfg: SweepConfig, servers: tuple[str, ...], config_file: str, new: bool = False
) -> Request:
    """The exploration a ``sampling_strategy: explore`` config asks for (docs/explore.md)."""
    return Request(
        workflow=resolve_workflow_path(cfg),
        budget=cfg.num_samples,
        objective=cfg.objective.metric if cfg.objective is not None else None,
        servers=servers,
        output=Path(cfg.output.base_dir).resolve(),
        seed=cfg.sweep_seed,
        raw_metrics=metrics_to_raw(cfg.metrics, base_dir=cfg.base_dir),
        only_specs=config_only(cfg) if cfg.parameters else None,
        auto_continue=True,
        new=new,
        rerun=f"cr-batch {shell_arg(config_file)}",
        server_address=cfg.comfyui.server_address,
    )
