"""cr-batch: plan a sweep from a config and run it on ComfyUI, resumably.

The command line (options, help) is cli/commands/batch.py; this module is what
runs once it is invoked (``run_command``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..client.comfyui import ComfyClient
from ..client.fleet import fleet_specs
from ..client.http_backend import HttpBackend
from ..client.sweeps import SweepsClient, config_payload, follow, mirror_plan, mirror_store
from ..core.config.load import load_config, resolve_workflow_path
from ..core.config.model import SweepConfig
from ..core.config.validate import validate_config
from ..core.errors import BackendError, ConflictError, NotFoundError
from ..core.objectinfo import ObjectInfo
from ..core.store.runstore import RunStore
from ..core.sweep.select import Selection, apply_extension, is_server_batch, select_batch
from ..core.sweep.session import summarize
from ..core.workflow import Workflow, load_workflow
from ..media.live_sheet import LiveSheet
from .batch_client import (
    Options,
    create_client_batch,
    dry_run,
    holder,
    make_client,
    run_client_mode,
    run_fleet,
    sheet_interval,
)
from .batch_report import EXIT_INTERRUPTED, announce, finish, note, note_plan, report_complete
from .commands.batch import main as main  # the click command (tests, python -m)
from .common import shell_arg
from .progress import ProgressPrinter, ServerProgress
from .run import install_stop

__all__ = ["EXIT_INTERRUPTED", "finish", "main", "report_complete", "run_command"]


async def new_server_sweep(
    opts: Options,
    cfg: SweepConfig,
    wf: Workflow,
    client: ComfyClient,
    ident: dict[str, str],
    shown: list[str],
) -> int | None:
    """Exit code of a new sweep run by the server's comfy-sweep extension, or None
    to run it from this process (a plain ComfyUI)."""
    where = client.address.display
    if cfg.inputs is not None:  # input sets: this process reads the set folders and uploads
        if opts.mode == "server":
            raise BackendError("a sweep over input sets runs from this process: use --mode client")
        return None
    if await client.extension_version() is None:
        if opts.mode == "server":
            raise BackendError(
                f"ComfyUI at {where} has no comfy-sweep extension; use --mode client"
            )
        note(
            f"ComfyUI at {where} has no comfy-sweep extension: running the sweep from this process"
        )
        return None
    api = SweepsClient(client)
    # The command-line overrides travel in the posted config: the server's engine reads them there.
    cfg.comfyui.fail_fast = opts.fail_fast or cfg.comfyui.fail_fast
    cfg.comfyui.queue_window = opts.window or cfg.comfyui.queue_window
    created = await api.create(wf.to_json(), config_payload(cfg), None)
    sid = str(created["id"])
    extra = {**ident, "server_address": where}
    store = await mirror_store(api, sid, Path(cfg.output.base_dir), extra)
    server_warnings = [str(w) for w in created.get("warnings") or []]
    note_plan([*server_warnings, *store.plan.warnings], store.plan.notes, shown)
    note(f"server sweep {sid}: {created['total']} runs, mirrored into {store.root}")
    return await follow_server_sweep(api, store, sid)


async def reattach(opts: Options, client: ComfyClient, store: RunStore) -> int:
    """Continue a server sweep mirrored in ``store`` through the server, never by
    running its prompts from here (that would run the sweep twice)."""
    sid = str(store.progress()["server_sweep_id"])
    if await client.extension_version() is None:
        origin = store.progress().get("server_address") or "the ComfyUI that runs it"
        raise ConflictError(
            f"{store.root} is server sweep {sid}, run by the comfy-sweep extension on {origin}; "
            f"ComfyUI at {client.address.display} has no extension: re-attach with "
            f"cr-batch {shell_arg(opts.config)} --server {origin} (or start afresh with --new)"
        )
    if opts.mode == "client":
        note(f"{store.root} is a server sweep: following it on the server (not --mode client)")
    api = SweepsClient(client)
    try:
        state = (await api.status(sid, limit=1))["state"]
    except NotFoundError:
        raise NotFoundError(
            f"server sweep {sid} (mirrored in {store.root}) is unknown to ComfyUI at "
            f"{client.address.display} (its data was removed?); start afresh with --new",
            details={"folder": str(store.root)},
        ) from None
    if state in ("interrupted", "cancelled"):
        await api.resume(sid)
    note(f"re-attached to server sweep {sid} ({store.root})")
    return await follow_server_sweep(api, store, sid)


async def extend_server_sweep(
    opts: Options, cfg: SweepConfig, client: ComfyClient, sel: Selection
) -> int:
    """The rerun's config grows a server sweep: the server extends it (every
    finished run kept), the local mirror takes its new plan, and we follow it."""
    assert sel.store is not None
    store = sel.store
    sid = str(store.progress()["server_sweep_id"])
    if await client.extension_version() is None:
        return await reattach(opts, client, store)  # refuses in one line, naming the server
    api = SweepsClient(client)
    cfg.comfyui.fail_fast = opts.fail_fast or cfg.comfyui.fail_fast
    cfg.comfyui.queue_window = opts.window or cfg.comfyui.queue_window
    try:
        grown = await api.extend(sid, config_payload(cfg))
    except ConflictError:
        raise ConflictError(
            f"server sweep {sid} ({store.root}) is still running on {client.address.display}: "
            f"wait for it to finish (rerun without changes to follow it) or cancel it "
            f"({api.cancel_hint(sid)}), then rerun to extend it",
            details={"folder": str(store.root)},
        ) from None
    total = int(grown["total"])
    note(f"extending {store.root}: {total - int(grown['added'])} → {total} runs (on the server)")
    with store.lock(holder()):
        await mirror_plan(api, store, sid)
        store.set_state("queued", config_fingerprint=sel.ident["config_fingerprint"])
    return await follow_server_sweep(api, store, sid)


async def follow_server_sweep(api: SweepsClient, store: RunStore, sid: str) -> int:
    """Poll and mirror the server sweep until it ends; Ctrl-C detaches. The local
    contact sheet fills in as runs are mirrored, as in client mode."""
    stop = asyncio.Event()
    install_stop(stop)
    start = time.monotonic()
    printer = ProgressPrinter()
    progress = ServerProgress(printer, store.plan, store.counts())
    announce(store)
    with LiveSheet(store.root, sheet_interval()) as live:

        def on_status(summary: Mapping[str, Any], fresh: list[dict[str, Any]]) -> None:
            progress(summary, fresh)
            if fresh:
                live.poke()  # thumbnails the server had not made yet are made here too

        try:
            with store.lock(holder()):
                state = await follow(api, store, sid, stop, on_status)
                store.set_state("done" if state == "done" else "interrupted")
        finally:
            printer.close()
    where = api.client.address.display
    if state == "detached":
        note(f"detached: sweep {sid} keeps running on {where}.")
        note(f"Rerun the same command to re-attach, or cancel it: {api.cancel_hint(sid)}")
        return EXIT_INTERRUPTED
    # No execution-time ratio: the wall time here is only how long we followed the sweep.
    summary = summarize(store, state, time.monotonic() - start)
    if state != "done":
        note(f"server sweep {sid} is {state} on {where}.")
    return finish(store, summary)


async def prefetched(opts: Options) -> dict[str, Any] | None:
    """The object_info fetched while we imported, if that worked (cli/prefetch.py)."""
    return None if opts.prefetch is None else await asyncio.to_thread(opts.prefetch.result)


async def run_batch(opts: Options, cfg: SweepConfig, wf: Workflow) -> int:
    specs = fleet_specs(cfg, opts.server)
    if len(specs) > 1:
        return await run_fleet(opts, cfg, wf, specs)
    async with make_client(opts, cfg) as client:
        info = ObjectInfo(await prefetched(opts) or await client.object_info())
        # Reachable: from now on a vanished server (a restart) is waited out.
        client.retry_window = cfg.comfyui.reconnect_window
        # Out-of-bounds and bad COMBO values fail before queueing; the warnings (unknown
        # keys, ...) are printed here once, whichever mode then runs the sweep.
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
            if sel.action == "extend":
                return await extend_server_sweep(opts, cfg, client, sel)
            return await reattach(opts, client, sel.store)  # says what it does
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
                code = await new_server_sweep(opts, cfg, wf, client, sel.ident, shown)
                if code is not None:
                    return code
            store = create_client_batch(cfg, wf, info, sel.ident, shown)
        summary = await run_client_mode(opts, cfg, HttpBackend(client), store)
    return finish(store, summary)


def run_command(config: str, strict: bool = False, **kwargs: object) -> int:
    """cr-batch's body (cli/commands/batch.py parses the command line)."""
    opts = Options(config=config, **kwargs)  # type: ignore[arg-type]
    cfg = load_config(opts.config)
    if cfg.inputs is not None:
        cfg.inputs.strict = strict
    wf = load_workflow(resolve_workflow_path(cfg))
    if opts.dry_run:
        return dry_run(opts, cfg, wf)
    return asyncio.run(run_batch(opts, cfg, wf))
