"""cr-batch: plan a sweep from a config and run it on ComfyUI, resumably."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ..client.address import ServerAddress, parse_address
from ..client.comfyui import ComfyClient, token_from_env
from ..client.fleet import connect_fleet, fleet_slots, fleet_specs
from ..client.http_backend import HttpBackend
from ..client.remote import DETACHED, RemoteSweep
from ..core.config.load import load_config, resolve_workflow_path
from ..core.config.model import RaySpec, ServerSpec, SweepConfig, config_error
from ..core.config.validate import validate_config
from ..core.engine.backend import Backend, BackendSlot
from ..core.engine.events import EngineSummary
from ..core.errors import BackendError, ConfigError, ConflictError, WorkflowError
from ..core.objectinfo import ObjectInfo
from ..core.plan.build import build_plan, format_plan_table
from ..core.report.sheet import SHEET_FILE
from ..core.store import atomic
from ..core.store.runstore import RunStore
from ..core.sweep.select import Selection, apply_extension, is_server_batch, select_batch
from ..core.sweep.session import SessionOptions, SweepSession
from ..core.workflow import UI_WORKFLOW_FILE, Workflow, WorkflowFile, read_workflow_file
from ..media.live_sheet import LiveSheet
from .common import (
    EXIT_OK,
    EXIT_RUNS_FAILED,
    handle_errors,
    load_with_server,
    server_option,
    shell_arg,
)
from .progress import ProgressPrinter, ServerProgress, with_sheet
from .run import install_stop

EXIT_INTERRUPTED = 130
# cr-batch queues like any client unless the config says "background" (issue 15).
CLI_PRIORITY = "normal"
# How often at most a client-mode sweep rebuilds its contact sheet (the
# server's is 3 s; here the page is opened as a file and reloaded by hand).
# COMFY_SWEEP_SHEET_INTERVAL (seconds) overrides it.
SHEET_INTERVAL_S = 5.0
SHEET_INTERVAL_ENV = "COMFY_SWEEP_SHEET_INTERVAL"


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


def note(text: str) -> None:
    click.echo(text, err=True)


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


# -- dry run -------------------------------------------------------------------


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
    click.echo(format_plan_table(plan))
    return EXIT_OK


def note_plan(warnings: list[str], notes: list[str], shown: list[str]) -> None:
    """The plan's warnings not printed yet (``shown``: the config's, printed before
    choosing a batch) and its notes (e.g. duplicate samples merged)."""
    for warning in warnings:
        if warning not in shown:
            note(f"warning: {warning}")
    for text in notes:
        note(f"note: {text}")


# -- choosing the batch folder ---------------------------------------------------


def holder() -> str:
    return f"cr-batch (pid {os.getpid()})"


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


def report_complete(store: RunStore) -> int:
    """The newest batch of this config is finished: say so, run nothing (issue 3)."""
    recs = store.records()
    failed = sum(1 for r in recs if r.status != "done")
    extra = f", {failed} failed: --resume {shell_arg(store.root)} retries them" if failed else ""
    note(
        f"batch {store.root} is already complete ({len(store.plan.runs)} runs{extra}); "
        "use --new to run it again"
    )
    click.echo(str(store.root))
    click.echo(f"next: cr-contact-sheet {shell_arg(store.root)}")
    return EXIT_OK


# -- client mode -----------------------------------------------------------------


async def run_client_mode(
    opts: Options,
    cfg: SweepConfig,
    backend: Backend | list[BackendSlot],
    store: RunStore,
    ui_workflow: dict[str, Any] | None = None,
) -> EngineSummary:
    options = SessionOptions(
        holder=holder(),
        window=opts.window or cfg.comfyui.queue_window,
        fail_fast=opts.fail_fast or cfg.comfyui.fail_fast,
        poll_interval=cfg.comfyui.poll_interval,
        reconnect_window=cfg.comfyui.reconnect_window,
        ui_workflow=ui_workflow,  # sent as extra_pnginfo: outputs open as the UI graph
    )
    from ..media.live_scoring import scorer_for  # numpy, PIL: only when a sweep runs

    progress = ProgressPrinter()
    scorer = scorer_for(
        store, comfy_address=server_of(opts, cfg), comfy_token=scorer_token(opts, cfg)
    )
    from ..adaptive.wiring import adaptive_source

    slots = backend if isinstance(backend, list) else [BackendSlot(backend, options.window, "")]
    source = adaptive_source(store, scorer, window=sum(s.window for s in slots))
    session = SweepSession(store, backend, options, scorer=scorer, source=source)
    install_stop(session.stop)
    note(f"contact sheet (updates as runs finish): {store.root / SHEET_FILE}")
    # The sheet's final render is the `with` block's, not the session's: it runs once
    # the engine has stopped and let go of SIGINT, so Ctrl-C can always cut it short.
    with LiveSheet(store.root, sheet_interval()) as live:
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


# -- server mode (client/remote.py runs it; here: options in, lines out) -------


def apply_options(opts: Options, cfg: SweepConfig) -> None:
    """The command-line overrides travel in the posted config: the server's engine reads them."""
    cfg.comfyui.fail_fast = opts.fail_fast or cfg.comfyui.fail_fast
    cfg.comfyui.queue_window = opts.window or cfg.comfyui.queue_window
    cfg.comfyui.priority = (
        cfg.comfyui.priority or CLI_PRIORITY
    )  # the server's default is the panel's


async def new_server_sweep(
    opts: Options, cfg: SweepConfig, wf: Workflow, client: ComfyClient, sel: Selection,
    shown: list[str],
) -> int | None:  # fmt: skip
    """Exit code of a new sweep run by the server's comfy-sweep extension, or None
    to run it from this process (a plain ComfyUI)."""
    if cfg.inputs is not None:  # input sets: this process reads the set folders and uploads
        if opts.mode == "server":
            raise BackendError("a sweep over input sets runs from this process: use --mode client")
        return None
    remote = RemoteSweep(client, holder=holder(), note=note)
    if not await remote.available(required=opts.mode == "server"):
        return None
    apply_options(opts, cfg)
    made = await remote.create(cfg, wf, Path(cfg.output.base_dir), sel.ident)
    note_plan(made.warnings, made.store.plan.notes, shown)
    note(f"server sweep {made.sweep_id}: {made.total} runs, mirrored into {made.store.root}")
    return await follow_server_sweep(remote, made.store)


async def rerun_server_sweep(
    opts: Options, cfg: SweepConfig, client: ComfyClient, sel: Selection, store: RunStore
) -> int:
    """A server sweep mirrored here: grown on the server (extend) or re-attached."""
    remote = RemoteSweep(client, holder=holder(), note=note)
    rerun = f"cr-batch {shell_arg(opts.config)}"
    if sel.action == "extend":
        apply_options(opts, cfg)
        await remote.extend(store, cfg, sel.ident["config_fingerprint"], rerun=rerun)
    else:
        await remote.reattach(store, rerun=rerun, client_mode=opts.mode == "client")
    return await follow_server_sweep(remote, store)


async def follow_server_sweep(remote: RemoteSweep, store: RunStore) -> int:
    """Ctrl-C detaches; the local contact sheet fills in as runs are mirrored."""
    stop = asyncio.Event()
    install_stop(stop)
    progress = ServerProgress(ProgressPrinter(), store.plan, store.counts())
    note(f"contact sheet (updates as runs finish): {store.root / SHEET_FILE}")
    with LiveSheet(store.root, sheet_interval()) as live:
        summary = await remote.follow(store, stop=stop, progress=progress, sheet=live)
    return EXIT_INTERRUPTED if summary.state == DETACHED else finish(store, summary)


# -- dispatch --------------------------------------------------------------------


def note_conversion(wf: Workflow) -> None:
    for text in wf.notes:
        note(f"note: {text}")


def saved_workflow(opts: Options, wf_file: WorkflowFile, where: str) -> Workflow:
    """The workflow where no server gives /object_info: a UI-format one needs --object-info."""
    if wf_file.is_ui and not opts.object_info:
        raise WorkflowError(
            f"{wf_file.source}: a UI-format workflow needs node definitions to be converted and "
            f"{where} gives none: give --object-info FILE (saved from GET /object_info)"
        )
    wf = wf_file.load(
        ObjectInfo.load(opts.object_info) if wf_file.is_ui and opts.object_info else None
    )
    note_conversion(wf)
    return wf


async def run_batch(opts: Options, cfg: SweepConfig, wf_file: WorkflowFile) -> int:
    """Where the sweep runs: a Ray cluster, a Comfy API v2 service, several servers,
    or one ComfyUI (which runs it itself when it has the extension). A UI-format
    workflow is converted with the node definitions of where it runs."""
    if cfg.ray is not None:
        return await run_ray(opts, cfg, wf_file, cfg.ray)
    if cfg.comfyui.api == "v2" and not cfg.comfyui.servers:
        from .batch_v2 import run_v2_batch  # one Comfy API v2 server (Cloud, comfy-api-proxy)

        return await run_v2_batch(opts, cfg, saved_workflow(opts, wf_file, "Comfy API v2"))
    specs = fleet_specs(cfg, opts.server)
    if len(specs) > 1:
        return await run_fleet(opts, cfg, await fleet_workflow(opts, cfg, wf_file, specs), specs)
    return await run_one_server(opts, cfg, wf_file)


async def fleet_workflow(
    opts: Options, cfg: SweepConfig, wf_file: WorkflowFile, specs: list[ServerSpec]
) -> Workflow:
    """The workflow for a fleet sweep: a UI-format one is converted with the first
    server's /object_info (every server is then checked against it)."""
    if not wf_file.is_ui:
        return wf_file.load()
    first = specs[0]
    token = token_from_env(
        first.auth_token_env or opts.auth_token_env or cfg.comfyui.auth_token_env
    )
    client = ComfyClient(
        parse_address(first.address), auth_token=token, timeout=cfg.comfyui.timeout
    )
    async with client:
        return await load_with_server(wf_file, client)


async def run_one_server(opts: Options, cfg: SweepConfig, wf_file: WorkflowFile) -> int:
    async with make_client(opts, cfg) as client:
        info = ObjectInfo(await client.object_info())
        wf = wf_file.load(info)  # a UI-format workflow is converted with this server's info
        note_conversion(wf)
        # Reachable: from now on a vanished server (a restart) is waited out.
        client.retry_window = cfg.comfyui.reconnect_window
        # Out-of-bounds and bad COMBO values fail before queueing; the warnings (unknown
        # keys, ...) are printed here once, whichever mode then runs the sweep.
        shown = validate_config(cfg, wf, info)
        note_plan(shown, [], shown=[])
        sel = select_batch(
            Path(cfg.output.base_dir), cfg, wf, info,
            resume_dir=opts.resume, fresh=opts.new or not cfg.resume.enabled,
        )  # fmt: skip
        if sel.action == "complete" and sel.store is not None:
            return report_complete(sel.store)
        if sel.store is not None and is_server_batch(sel.store):
            return await rerun_server_sweep(opts, cfg, client, sel, sel.store)
        if sel.store is not None and opts.mode == "server":
            raise ConflictError(
                f"{sel.store.root} is an unfinished batch run from this process: resume it "
                "with --mode client, or start a server sweep with --new"
            )
        if sel.notice:
            note(sel.notice)
        if sel.action == "extend":
            apply_extension(sel, cfg, holder())
        store = sel.store
        if store is None:
            if opts.mode != "client":
                code = await new_server_sweep(opts, cfg, wf, client, sel, shown)
                if code is not None:
                    return code
            store = create_client_batch(cfg, wf, info, sel.ident, shown)
        backend = HttpBackend(client, priority=cfg.comfyui.priority or CLI_PRIORITY)
        summary = await run_client_mode(opts, cfg, backend, store, wf.ui_graph)
    return finish(store, summary)


async def run_fleet(opts: Options, cfg: SweepConfig, wf: Workflow, specs: list[ServerSpec]) -> int:
    """One sweep over several servers, run from this process (client mode)."""
    if opts.mode == "server":
        raise ConfigError("--mode server runs a sweep on one server; give one --server")
    async with contextlib.AsyncExitStack() as stack:
        members = await connect_fleet(
            cfg, wf, specs, opts.auth_token_env, lambda m: note(f"warning: {m}"), stack
        )
        label = f"{len(members)} servers: " + ", ".join(m.spec.address for m in members)
        window = opts.window or cfg.comfyui.queue_window
        return await run_on_slots(
            opts, cfg, wf, members[0].info, fleet_slots(members, window), label
        )


async def run_ray(opts: Options, cfg: SweepConfig, wf_file: WorkflowFile, spec: RaySpec) -> int:
    """The sweep on a Ray cluster: this process is the driver (raycluster/)."""
    from ..raycluster.driver import start_fleet

    note(f"starting Ray workers ({spec.address}): each starts its own ComfyUI")
    fleet = await start_fleet(cfg, spec)
    try:
        gpus = ", ".join(str(w.get("cuda_visible_devices") or "cpu") for w in fleet.workers)
        label = f"{len(fleet.slots)} Ray workers (devices: {gpus})"
        wf = wf_file.load(fleet.info)  # a UI-format workflow: the workers' node definitions
        note_conversion(wf)
        return await run_on_slots(opts, cfg, wf, fleet.info, fleet.slots, label)
    finally:
        fleet.shutdown()


async def run_on_slots(
    opts: Options,
    cfg: SweepConfig,
    wf: Workflow,
    info: ObjectInfo,
    slots: list[BackendSlot],
    label: str,
) -> int:
    """Choose the batch (rerun rules) and run it over several backend slots."""
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
            f"{sel.store.root} is a server sweep: continue it with one --server (or --new)"
        )
    if sel.notice:
        note(sel.notice)
    if sel.action == "extend":
        apply_extension(sel, cfg, holder())
    store = sel.store or create_client_batch(cfg, wf, info, sel.ident, shown)
    note(f"sweeping over {label}")
    summary = await run_client_mode(opts, cfg, slots, store, wf.ui_graph)
    for name, (runs, secs) in sorted(summary.per_server.items()):
        note(f"  {name}: {runs} runs, {secs:.1f}s of execution")
    return finish(store, summary)


def finish(store: RunStore, summary: EngineSummary) -> int:
    """The closing lines and exit code; the live sheet has already done its final render."""
    if summary.halted:  # --fail-fast: a run failed, the rest were not started (exit 1, not 130)
        note(
            f"stopped at the first failed run (--fail-fast): {summary.done} done, "
            f"{summary.failed} failed of {summary.total}."
        )
        note(f"Fix the cause, then rerun the same command to continue ({store.root}).")
        return EXIT_RUNS_FAILED
    if summary.state != "done":
        note(f"interrupted: {summary.done} done, {summary.failed} failed of {summary.total}.")
        note(f"Rerun the same command to resume ({store.root}).")
        return EXIT_INTERRUPTED
    ratio = (
        f", {summary.wall_s / summary.execution_s:.2f}x ComfyUI's execution time"
        if summary.execution_s > 0
        else ""
    )
    note(
        f"{summary.done} done, {summary.failed} failed of {summary.total} in {summary.wall_s:.1f}s{ratio}"
    )
    click.echo(str(store.root))
    click.echo(f"next: cr-contact-sheet {shell_arg(store.root)}")
    return EXIT_RUNS_FAILED if summary.failed else EXIT_OK


def run_exploration(opts: Options, cfg: SweepConfig) -> int:
    """``sampling_strategy: explore``: cli/explore.py runs it, in client mode."""
    if opts.dry_run or opts.mode == "server" or opts.resume or cfg.ray is not None:
        raise ConfigError(
            f"{cfg.source}: sampling_strategy explore runs in client mode only (no --dry-run, "
            "--mode server, --resume or ray:); cr-analyze --recipes writes its phase configs"
        )
    from .explore import run_config  # explore imports this module

    return run_config(cfg, opts.server, opts.config, opts.new)


@click.command(help="Run a parameter sweep from a batch config (YAML) on ComfyUI; rerun to resume.")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option(
    "--server",
    multiple=True,
    help="ComfyUI address (default: comfyui.servers or comfyui.server_address, else "
    "127.0.0.1:8188); repeat it to spread the sweep over several servers.",
)
@click.option("--dry-run", is_flag=True, help="Print the planned runs and exit; needs no server.")
@click.option(
    "--resume", "resume", default=None, metavar="DIR", help="Resume (or extend) this batch folder."
)
@click.option(
    "--new",
    is_flag=True,
    help="Start a new batch even if an unfinished one with this config exists.",
)
@click.option("--fail-fast", is_flag=True, help="Stop at the first failed run.")
@click.option(
    "--mode",
    type=click.Choice(["auto", "client", "server"]),
    default="auto",
    show_default=True,
    help="server: the comfy-sweep extension runs the sweep; client: this process does; auto: server when the extension answers.",
)
@click.option(
    "--window",
    type=click.IntRange(1, 64),
    default=None,
    help="Prompts kept queued ahead (default comfyui.queue_window, 3).",
)
@click.option(
    "--auth-token-env",
    default=None,
    metavar="NAME",
    help="Environment variable holding a bearer token for a ComfyUI behind an auth proxy.",
)
@click.option(
    "--object-info",
    "object_info",
    default=None,
    metavar="FILE",
    help="Saved GET /object_info: converts a UI-format workflow where no server gives one "
    "(--dry-run without a server, Comfy API v2).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Refuse an input set that lacks a mapped file (default: skip it with a warning).",
)
@click.option(
    "--ray",
    default=None,
    metavar="ADDRESS",
    help="Run on a Ray cluster: ADDRESS, auto (the running cluster) or local (start one); "
    "needs comfy-sweep[ray] and the ray: section's comfyui settings.",
)
@handle_errors
def main(config: str, strict: bool = False, **kwargs: object) -> None:
    opts = Options(config=config, **kwargs)  # type: ignore[arg-type]
    cfg = load_config(opts.config)
    if cfg.inputs is not None:
        cfg.inputs.strict = strict
    if cfg.sampling_strategy == "explore":  # a whole exploration, each phase a batch
        sys.exit(run_exploration(opts, cfg))
    wf_file = read_workflow_file(resolve_workflow_path(cfg))
    if opts.dry_run:
        sys.exit(dry_run(opts, cfg, wf_file))
    if not wf_file.is_ui:
        wf_file.load()  # a bad API workflow fails before any connection
    if cfg.sampling_strategy == "adaptive":
        from ..adaptive.wiring import require_optuna

        require_optuna()  # one line naming the extra, before any batch is made
    if opts.ray is not None:
        cfg.ray = cfg.ray or RaySpec()
        cfg.ray.address = opts.ray
    if cfg.ray is not None:  # ray.init installs signal handlers: before the event loop
        from ..raycluster.driver import connect, launch_of

        launch_of(cfg, cfg.ray)  # a config mistake fails before Ray starts
        connect(cfg.ray)
    sys.exit(asyncio.run(run_batch(opts, cfg, wf_file)))
