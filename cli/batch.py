"""cr-batch: plan a sweep from a config and run it on ComfyUI, resumably.

The command line (options, help) is cli/commands/batch.py; this module is what
runs once it is invoked (``run_command``)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ..client.address import ServerAddress, parse_address
from ..client.comfyui import ComfyClient, token_from_env
from ..client.fleet import connect_fleet, fleet_slots, fleet_specs
from ..client.http_backend import HttpBackend
from ..client.sweeps import SweepsClient, config_payload, follow, mirror_plan, mirror_store
from ..core.config.load import load_config, resolve_workflow_path
from ..core.config.model import ServerSpec, SweepConfig, config_error
from ..core.config.validate import validate_config
from ..core.engine.backend import Backend, BackendSlot
from ..core.engine.engine import EngineSummary
from ..core.errors import BackendError, ConfigError, ConflictError, NotFoundError
from ..core.objectinfo import ObjectInfo
from ..core.plan.build import build_plan, format_plan_table
from ..core.report.sheet import SHEET_FILE
from ..core.store.runstore import RunStore
from ..core.sweep.select import Selection, apply_extension, is_server_batch, select_batch
from ..core.sweep.session import SessionOptions, SweepSession, summarize
from ..core.workflow import Workflow, load_workflow
from ..media.live_sheet import LiveSheet, thumbnails_once
from . import output
from .commands.batch import main as main  # the click command (tests, python -m)
from .common import EXIT_OK, EXIT_RUNS_FAILED, server_option, shell_arg
from .progress import ProgressPrinter, ServerProgress, with_sheet
from .run import install_stop

EXIT_INTERRUPTED = 130
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


def note(text: str) -> None:
    click.echo(text, err=True)


def announce(store: RunStore) -> None:
    """The sweep starts: where its live page is (stderr), and the ``start`` event."""
    note(f"contact sheet (updates as runs finish): {store.root / SHEET_FILE}")
    mode = "server" if is_server_batch(store) else "client"
    output.record(batch=str(store.root))
    output.emit("start", batch=str(store.root), total=len(store.plan.runs), mode=mode)


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


def dry_run(opts: Options, cfg: SweepConfig, wf: Workflow) -> int:
    info = asyncio.run(_object_info_if_reachable(opts, cfg))
    if info is None:
        note(
            f"(ComfyUI at {server_of(opts, cfg)} not reachable: checking values by heuristics only)"
        )
    plan = build_plan(cfg, wf, info)  # validates; its warnings include the config's own
    note_plan(plan.warnings, plan.notes, shown=[])
    if output.json_mode():
        runs = [{"run_id": r.run_id, "folder": r.folder, "values": r.values} for r in plan.runs]
        output.emit("plan", total=len(plan.runs), runs=runs)
    else:
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
    cfg: SweepConfig, wf: Workflow, info: ObjectInfo, ident: dict[str, str], shown: list[str]
) -> RunStore:
    plan = build_plan(cfg, wf, info)
    note_plan(plan.warnings, plan.notes, shown)
    store = RunStore.create(Path(cfg.output.base_dir), cfg, wf, plan, extra=ident)
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
    done = len(recs) - failed
    output.record(batch=str(store.root), state="complete", done=done, failed=failed)
    output.record(total=len(store.plan.runs))
    output.result(str(store.root))
    note(f"next: cr-contact-sheet {shell_arg(store.root)}")
    return EXIT_OK


# -- client mode -----------------------------------------------------------------


async def run_client_mode(
    opts: Options, cfg: SweepConfig, backend: Backend | list[BackendSlot], store: RunStore
) -> EngineSummary:
    options = SessionOptions(
        holder=holder(),
        window=opts.window or cfg.comfyui.queue_window,
        fail_fast=opts.fail_fast or cfg.comfyui.fail_fast,
        poll_interval=cfg.comfyui.poll_interval,
    )
    from ..media.live_scoring import scorer_for  # numpy, PIL: only when a sweep runs

    progress = ProgressPrinter()
    scorer = scorer_for(
        store, comfy_address=server_of(opts, cfg), comfy_token=scorer_token(opts, cfg)
    )
    session = SweepSession(store, backend, options, scorer=scorer)
    install_stop(session.stop)
    announce(store)
    # The sheet's final render is the `with` block's, not the session's: it runs once
    # the engine has stopped and let go of SIGINT, so Ctrl-C can always cut it short.
    # Thumbnails as each run finishes (prepare), the page debounced: the end has little left.
    with LiveSheet(store.root, sheet_interval(), prepare=thumbnails_once) as live:
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


# -- server mode -----------------------------------------------------------------


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


# -- dispatch --------------------------------------------------------------------


async def run_batch(opts: Options, cfg: SweepConfig, wf: Workflow) -> int:
    specs = fleet_specs(cfg, opts.server)
    if len(specs) > 1:
        return await run_fleet(opts, cfg, wf, specs)
    async with make_client(opts, cfg) as client:
        info = ObjectInfo(await client.object_info())
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


async def run_fleet(opts: Options, cfg: SweepConfig, wf: Workflow, specs: list[ServerSpec]) -> int:
    """One sweep over several servers, run from this process (client mode)."""
    if opts.mode == "server":
        raise ConfigError("--mode server runs a sweep on one server; give one --server")
    async with contextlib.AsyncExitStack() as stack:
        members = await connect_fleet(
            cfg, wf, specs, opts.auth_token_env, lambda m: note(f"warning: {m}"), stack
        )
        shown = validate_config(cfg, wf, members[0].info)
        for warning in shown:
            note(f"warning: {warning}")
        sel = select_batch(
            Path(cfg.output.base_dir), cfg, wf, members[0].info,
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
        store = sel.store or create_client_batch(cfg, wf, members[0].info, sel.ident, shown)
        note(f"sweeping over {len(members)} servers: " + ", ".join(m.spec.address for m in members))
        window = opts.window or cfg.comfyui.queue_window
        summary = await run_client_mode(opts, cfg, fleet_slots(members, window), store)
    for name, (runs, secs) in sorted(summary.per_server.items()):
        note(f"  {name}: {runs} runs, {secs:.1f}s of execution")
    return finish(store, summary)


def finish(store: RunStore, summary: EngineSummary) -> int:
    """The closing lines and exit code; the live sheet has already done its final render."""
    output.record(
        batch=str(store.root), state=summary.state, done=summary.done, failed=summary.failed,
        total=summary.total, wall_s=round(summary.wall_s, 2),
        execution_s=round(summary.execution_s, 2),
    )  # fmt: skip
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
    output.result(str(store.root))
    note(f"next: cr-contact-sheet {shell_arg(store.root)}")
    return EXIT_RUNS_FAILED if summary.failed else EXIT_OK


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
