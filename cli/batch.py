"""cr-batch: plan a sweep from a config and run it on ComfyUI, resumably.

The command line (options, help) is cli/commands/batch.py; this module is what
runs once it is invoked (``run_command``): where the sweep runs and server mode.
Client mode is cli/batch_client.py, the closing lines cli/batch_report.py."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from ..client.comfyui import ComfyClient
from ..client.fleet import fleet_specs
from ..client.http_backend import HttpBackend
from ..client.remote import DETACHED, RemoteSweep
from ..core.config.load import load_config, resolve_workflow_path
from ..core.config.model import RaySpec, SweepConfig
from ..core.config.validate import validate_config
from ..core.errors import ConfigError, ConflictError, WorkflowError
from ..core.objectinfo import ObjectInfo
from ..core.store.runstore import RunStore
from ..core.sweep.select import Selection, apply_extension, is_server_batch, select_batch
from ..core.workflow import Workflow, WorkflowFile, read_workflow_file
from ..media.live_sheet import LiveSheet
from .batch_client import (
    CLI_PRIORITY,
    Options,
    create_client_batch,
    dry_run,
    holder,
    make_client,
    note_conversion,
    run_client_mode,
    sheet_interval,
)
from .batch_report import EXIT_INTERRUPTED, announce, finish, note, note_plan, report_complete
from .batch_slots import fleet_workflow, run_fleet, run_ray
from .commands.batch import main as main  # the click command (tests, python -m)
from .common import (
    shell_arg,
)
from .progress import ProgressPrinter, ServerProgress
from .run import install_stop

__all__ = ["EXIT_INTERRUPTED", "finish", "main", "report_complete", "run_command"]


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
            raise ConfigError(
                "a sweep over input sets runs from this process: use --mode client",
                field="inputs",
            )
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
    announce(store)
    with LiveSheet(store.root, sheet_interval()) as live:
        summary = await remote.follow(store, stop=stop, progress=progress, sheet=live)
    return EXIT_INTERRUPTED if summary.state == DETACHED else finish(store, summary)


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


async def prefetched(opts: Options) -> dict[str, Any] | None:
    """The object_info fetched while we imported, if that worked (cli/prefetch.py)."""
    return None if opts.prefetch is None else await asyncio.to_thread(opts.prefetch.result)


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


async def run_one_server(opts: Options, cfg: SweepConfig, wf_file: WorkflowFile) -> int:
    async with make_client(opts, cfg) as client:
        info = ObjectInfo(await prefetched(opts) or await client.object_info())
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
        summary = await run_client_mode(opts, cfg, backend, store, wf.ui_graph, info)
    return finish(store, summary)


def run_exploration(opts: Options, cfg: SweepConfig) -> int:
    """``sampling_strategy: explore``: cli/explore.py runs it in client mode (also in
    auto mode: its sheets and report stay here), the server with --mode server."""
    if opts.dry_run or opts.resume or cfg.ray is not None:
        raise ConfigError(
            f"{cfg.source}: sampling_strategy explore runs in client mode only (no --dry-run, "
            "--resume or ray:), or on the server with --mode server; cr-analyze --recipes "
            "writes its phase configs"
        )
    if opts.mode == "server":
        from .explore_remote import run_config_remote

        return run_config_remote(cfg, opts.server, opts.config, opts.new)
    from .explore import run_config  # explore imports this module

    return run_config(cfg, opts.server, opts.config, opts.new)


def run_command(config: str, strict: bool = False, **kwargs: object) -> int:
    """cr-batch's body (cli/commands/batch.py parses the command line)."""
    opts = Options(config=config, **kwargs)  # type: ignore[arg-type]
    cfg = load_config(opts.config)
    if cfg.inputs is not None:
        cfg.inputs.strict = strict
    if cfg.sampling_strategy == "explore":  # a whole exploration, each phase a batch
        return run_exploration(opts, cfg)
    wf_file = read_workflow_file(resolve_workflow_path(cfg))
    if opts.dry_run:
        return dry_run(opts, cfg, wf_file)
    if not wf_file.is_ui:
        wf_file.load()  # a bad API workflow fails before any connection
    if cfg.sampling_strategy == "adaptive":
        from ..adaptive.wiring import require_optuna

        require_optuna(cfg)  # objective.sampler tpe: one line naming the extra
    if opts.ray is not None:
        cfg.ray = cfg.ray or RaySpec()
        cfg.ray.address = opts.ray
    if cfg.ray is not None:  # ray.init installs signal handlers: before the event loop
        from ..raycluster.driver import connect, launch_of

        launch_of(cfg, cfg.ray)  # a config mistake fails before Ray starts
        connect(cfg.ray)
    return asyncio.run(run_batch(opts, cfg, wf_file))
