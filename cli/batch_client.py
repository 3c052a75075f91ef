"""cr-batch in client mode: this process plans the batch and runs it on backend
slots (one ComfyUI, a fleet, Ray workers); also --dry-run. Choosing where the sweep
runs, and server mode, are cli/batch.py."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ..client.address import ServerAddress, parse_address
from ..client.comfyui import ComfyClient, token_from_env
from ..core.config.model import SweepConfig, config_error
from ..core.config.validate import validate_config
from ..core.engine.backend import Backend, BackendSlot
from ..core.engine.events import EngineSummary
from ..core.errors import BackendError, ConfigError, ConflictError, WorkflowError
from ..core.objectinfo import ObjectInfo
from ..core.plan.build import build_plan, format_plan_table
from ..core.store import atomic
from ..core.store.runstore import RunStore
from ..core.sweep.select import apply_extension, is_server_batch, select_batch
from ..core.sweep.session import SessionOptions, SweepSession
from ..core.workflow import UI_WORKFLOW_FILE, Workflow, WorkflowFile
from ..media.live_sheet import LiveSheet, NewThumbnails
from . import output
from .batch_report import announce, note, note_plan, report_complete
from .common import (
    EXIT_OK,
    server_option,
)
from .prefetch import ObjectInfoPrefetch
from .progress import ProgressPrinter, with_sheet
from .run import install_stop

# How often at most a client-mode sweep rebuilds its contact sheet (the
# server's is 3 s; here the page is opened as a file and reloaded by hand).
# COMFY_SWEEP_SHEET_INTERVAL (seconds) overrides it.
SHEET_INTERVAL_S = 5.0
SHEET_INTERVAL_ENV = "COMFY_SWEEP_SHEET_INTERVAL"


# cr-batch queues at normal priority unless the config says background (the panel's
# default): a person running the CLI is usually waiting for the sweep.
CLI_PRIORITY = "normal"


@dataclass
class Options:
    config: str
    server: tuple[str, ...]
    dry_run: bool
    resume: str | None
    new: bool
    fail_fast: bool
    mode: str
    window: int | None
    auth_token_env: str | None
    ray: str | None = None
    object_info: str | None = None
    prefetch: ObjectInfoPrefetch | None = None  # started before the imports (cli/prefetch.py)


def server_of(opts: Options, cfg: SweepConfig) -> str:
    return opts.server[0] if opts.server else cfg.comfyui.server_address


def config_server(cfg: SweepConfig) -> ServerAddress:
    """comfyui.server_address parsed; a bad one names the config file and line."""
    try:
        return parse_address(cfg.comfyui.server_address)
    except ConfigError as err:
        raise config_error(
            cfg.source, cfg.lines, ("comfyui", "server_address"), err.message
        ) from None


def make_client(
    opts: Options, cfg: SweepConfig, *, retry_window: float = 3.5, timeout: float | None = None
) -> ComfyClient:
    """A client whose first contact fails fast; run_batch widens the retry window
    to ``comfyui.reconnect_window`` once the server has answered."""
    token = token_from_env(opts.auth_token_env or cfg.comfyui.auth_token_env)
    return ComfyClient(
        server_option(opts.server[0]) if opts.server else config_server(cfg),
        auth_token=token,
        timeout=timeout or cfg.comfyui.timeout,
        retry_window=retry_window,
    )


def holder() -> str:
    return f"cr-batch (pid {os.getpid()})"


async def _object_info_if_reachable(opts: Options, cfg: SweepConfig) -> ObjectInfo | None:
    try:
        async with make_client(opts, cfg, retry_window=0, timeout=3.0) as client:
            return ObjectInfo(await client.object_info())
    except BackendError:
        return None


def dry_run(opts: Options, cfg: SweepConfig, wf_file: WorkflowFile) -> int:
    if opts.object_info:
        info: ObjectInfo | None = ObjectInfo.load(opts.object_info)
    else:
        info = asyncio.run(_object_info_if_reachable(opts, cfg))
    if info is None and wf_file.is_ui:
        raise WorkflowError(
            f"{wf_file.source}: a UI-format workflow needs the server's node definitions to be "
            f"converted: start ComfyUI at {server_of(opts, cfg)} (or give --server), or give "
            "--object-info FILE (saved from GET /object_info)"
        )
    if info is None:
        note(
            f"(ComfyUI at {server_of(opts, cfg)} not reachable: checking values by heuristics only)"
        )
    wf = wf_file.load(info)
    note_conversion(wf)
    plan = build_plan(cfg, wf, info)  # validates; its warnings include the config's own
    note_plan(plan.warnings, plan.notes, shown=[])
    if output.json_mode():
        runs = [{"run_id": r.run_id, "folder": r.folder, "values": r.values} for r in plan.runs]
        output.emit("plan", total=len(plan.runs), runs=runs)
    else:
        click.echo(format_plan_table(plan))
    return EXIT_OK


def note_conversion(wf: Workflow) -> None:
    for text in wf.notes:
        note(f"note: {text}")


def create_client_batch(
    cfg: SweepConfig,
    wf: Workflow,
    info: ObjectInfo | None,
    ident: dict[str, str],
    shown: list[str],
) -> RunStore:
    plan = build_plan(cfg, wf, info)
    note_plan(plan.warnings, plan.notes, shown)
    store = RunStore.create(Path(cfg.output.base_dir), cfg, wf, plan, extra=ident)
    if wf.ui_graph is not None:  # for "Load into graph" and extra_pnginfo, as server sweeps keep it
        atomic.write_json(store.root / UI_WORKFLOW_FILE, wf.ui_graph)
    note(f"new batch {store.root}: {len(plan.runs)} runs planned")
    return store


def local_batch(
    opts: Options, cfg: SweepConfig, wf: Workflow, info: ObjectInfo | None, kind: str
) -> RunStore | int:
    """The batch this process runs over several slots or a v2 service (``kind``, for
    messages): validated, chosen by the rerun rules, extended or created; or the
    exit code when it is already complete."""
    shown = validate_config(cfg, wf, info)
    for warning in shown:
        note(f"warning: {warning}")
    sel = select_batch(
        Path(cfg.output.base_dir), cfg, wf, info,
        resume_dir=opts.resume, fresh=opts.new or not cfg.resume.enabled,
    )  # fmt: skip
    if sel.action == "complete" and sel.store is not None:
        return report_complete(sel.store)
    if sel.store is not None and is_server_batch(sel.store):
        raise ConflictError(
            f"{sel.store.root} is a server sweep (run by a ComfyUI's comfy-sweep extension): "
            f"it cannot continue {kind}; follow it with one --server, or start afresh with --new"
        )
    if sel.notice:
        note(sel.notice)
    if sel.action == "extend":
        apply_extension(sel, cfg, holder())
    return sel.store or create_client_batch(cfg, wf, info, sel.ident, shown)


async def run_client_mode(
    opts: Options,
    cfg: SweepConfig,
    backend: Backend | list[BackendSlot],
    store: RunStore,
    ui_workflow: dict[str, Any] | None = None,
    info: ObjectInfo | None = None,
) -> EngineSummary:
    options = SessionOptions(
        holder=holder(),
        window=opts.window or cfg.comfyui.queue_window,
        fail_fast=opts.fail_fast or cfg.comfyui.fail_fast,
        poll_interval=cfg.comfyui.poll_interval,
        reconnect_window=cfg.comfyui.reconnect_window,
        ui_workflow=ui_workflow,  # sent as extra_pnginfo: outputs open as the UI graph
        # Writes off the event loop, committed in groups (issue 15: a driver's
        # fsyncs one by one capped it near 26 runs/s, whatever the servers).
        write_behind=True,
    )
    from ..media.live_scoring import scorer_for  # numpy, PIL: only when a sweep runs

    progress = ProgressPrinter()
    scorer = scorer_for(
        store, comfy_address=server_of(opts, cfg), comfy_token=scorer_token(opts, cfg)
    )
    from ..adaptive.wiring import adaptive_source

    slots = backend if isinstance(backend, list) else [BackendSlot(backend, options.window, "")]
    source = adaptive_source(store, scorer, window=sum(s.window for s in slots), object_info=info)
    session = SweepSession(store, backend, options, scorer=scorer, source=source)
    install_stop(session.stop)
    announce(store)
    # The sheet's final render is the `with` block's, not the session's: it runs once
    # the engine has stopped and let go of SIGINT, so Ctrl-C can always cut it short.
    # Thumbnails as each run finishes (prepare), the page debounced: the end has little left.
    with LiveSheet(store.root, sheet_interval(), prepare=NewThumbnails(store)) as live:
        session.on_event = with_sheet(progress, live)
        try:
            return await session.run()
        finally:
            progress.close()
            default_sigint()


def scorer_token(opts: Options, cfg: SweepConfig) -> str | None:
    return token_from_env(opts.auth_token_env or cfg.comfyui.auth_token_env)


def sheet_interval() -> float:
    raw = os.environ.get(SHEET_INTERVAL_ENV, "")
    try:
        value = float(raw)
    except ValueError:
        if raw:
            note(f"warning: {SHEET_INTERVAL_ENV}={raw!r} is not a number of seconds; using 5")
        return SHEET_INTERVAL_S
    return value if value >= 0 else SHEET_INTERVAL_S


def default_sigint() -> None:
    """From now on Ctrl-C raises KeyboardInterrupt at once (the engine's clean
    stop is over), so the final sheet render can always be cut short."""
    with contextlib.suppress(NotImplementedError, RuntimeError):
        asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)
