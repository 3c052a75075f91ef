"""cr-batch: plan a sweep from a config and run it on ComfyUI, resumably."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ..client.comfyui import ComfyClient, token_from_env
from ..client.http_backend import HttpBackend
from ..client.sweeps import SweepsClient, config_payload, follow, mirror_store
from ..core.config import (
    SweepConfig,
    config_fingerprint,
    load_config,
    resolve_workflow_path,
    validate_config,
)
from ..core.engine import EngineSummary, run_sweep
from ..core.errors import BackendError, ConfigChangedError, PlanError
from ..core.objectinfo import ObjectInfo
from ..core.plan import build_plan, extend_plan, format_plan_table
from ..core.store import RunStore
from ..core.workflow import Workflow, load_workflow
from .common import EXIT_OK, EXIT_RUNS_FAILED, handle_errors
from .progress import ProgressPrinter
from .run import install_stop

EXIT_INTERRUPTED = 130


@dataclass
class Options:
    config: str
    server: str | None
    dry_run: bool
    resume: str | None
    new: bool
    fail_fast: bool
    mode: str
    window: int | None
    auth_token_env: str | None


def note(text: str) -> None:
    click.echo(text, err=True)


def server_of(opts: Options, cfg: SweepConfig) -> str:
    return opts.server or cfg.comfyui.server_address


def make_client(
    opts: Options, cfg: SweepConfig, *, retries: int = 3, timeout: float | None = None
) -> ComfyClient:
    token = token_from_env(opts.auth_token_env or cfg.comfyui.auth_token_env)
    return ComfyClient(
        server_of(opts, cfg),
        auth_token=token,
        timeout=timeout or cfg.comfyui.timeout,
        retries=retries,
    )


# -- dry run -------------------------------------------------------------------


async def _object_info_if_reachable(opts: Options, cfg: SweepConfig) -> ObjectInfo | None:
    try:
        async with make_client(opts, cfg, retries=0, timeout=3.0) as client:
            return ObjectInfo(await client.object_info())
    except BackendError:
        return None


def dry_run(opts: Options, cfg: SweepConfig, wf: Workflow) -> int:
    info = asyncio.run(_object_info_if_reachable(opts, cfg))
    if info is None:
        note(
            f"(ComfyUI at {server_of(opts, cfg)} not reachable: checking values by heuristics only)"
        )
    for warning in validate_config(cfg, wf, info):
        note(f"warning: {warning}")
    plan = build_plan(cfg, wf, info)
    click.echo(format_plan_table(plan))
    return EXIT_OK


# -- choosing the batch folder ---------------------------------------------------


def open_resume_dir(path: Path, cfg: SweepConfig, wf: Workflow, info: ObjectInfo) -> RunStore:
    """--resume DIR: the same config, or an extension of it (more samples)."""
    store = RunStore.open(path)
    if store.fingerprint == config_fingerprint(cfg, wf):
        return store
    try:
        plan = extend_plan(store.plan, store.config, cfg, wf, info)
    except PlanError as err:
        raise ConfigChangedError(
            f"{path} was planned from a different config ({err.message}); "
            "restore the config, or run without --resume (or with --new) for a new batch",
            details={"folder": str(path)},
        ) from None
    with store.lock(f"cr-batch (pid {os.getpid()})"):
        store.replace_plan(plan, cfg)
    note(f"extending {path}: {len(plan.runs)} runs planned")
    return store


def choose_store(opts: Options, cfg: SweepConfig, wf: Workflow, info: ObjectInfo) -> RunStore:
    if opts.resume:
        return open_resume_dir(Path(opts.resume), cfg, wf, info)
    base = Path(cfg.output.base_dir)
    if not opts.new and cfg.resume.enabled:
        found = RunStore.find_resumable(base, config_fingerprint(cfg, wf))
        if found is not None:
            store = RunStore.open(found)
            left = len(store.pending())
            note(
                f"resuming {found} ({left} of {len(store.plan.runs)} runs to go; --new starts afresh)"
            )
            return store
    for warning in validate_config(cfg, wf, info):
        note(f"warning: {warning}")
    plan = build_plan(cfg, wf, info)
    store = RunStore.create(base, cfg, wf, plan)
    note(f"new batch {store.root}: {len(plan.runs)} runs planned")
    return store


# -- client mode -----------------------------------------------------------------


async def run_client_mode(
    opts: Options, cfg: SweepConfig, wf: Workflow, client: ComfyClient, info: ObjectInfo
) -> tuple[RunStore, EngineSummary]:
    validate_config(cfg, wf, info)  # out-of-bounds and bad COMBO values fail before queueing
    store = choose_store(opts, cfg, wf, info)
    stop = asyncio.Event()
    install_stop(stop)
    progress = ProgressPrinter()
    try:
        with store.lock(f"cr-batch (pid {os.getpid()})"):
            summary = await run_sweep(
                store,
                HttpBackend(client),
                window=opts.window or cfg.comfyui.queue_window,
                fail_fast=opts.fail_fast or cfg.comfyui.fail_fast,
                on_event=progress,
                stop=stop,
                poll_interval=cfg.comfyui.poll_interval,
            )
    finally:
        progress.close()
    return store, summary


async def maybe_server_mode(
    opts: Options, cfg: SweepConfig, wf: Workflow, client: ComfyClient
) -> int | None:
    """Exit code of a sweep run by the server's comfy-sweep extension, or None
    to run it from this process (a plain ComfyUI, or --mode client)."""
    version = await client.extension_version()
    where = client.address.display
    if version is None:
        if opts.mode == "server":
            raise BackendError(
                f"ComfyUI at {where} has no comfy-sweep extension; use --mode client"
            )
        note(
            f"ComfyUI at {where} has no comfy-sweep extension: running the sweep from this process"
        )
        return None
    return await run_server_mode(opts, cfg, wf, client)


def attached_store(opts: Options, cfg: SweepConfig, wf: Workflow) -> RunStore | None:
    """A local mirror of an unfinished server sweep to re-attach to, if any."""
    path = Path(opts.resume) if opts.resume else None
    if path is None and not opts.new and cfg.resume.enabled:
        path = RunStore.find_resumable(Path(cfg.output.base_dir), config_fingerprint(cfg, wf))
    store = RunStore.open(path) if path else None
    return store if store and store.progress().get("server_sweep_id") else None


async def run_server_mode(
    opts: Options, cfg: SweepConfig, wf: Workflow, client: ComfyClient
) -> int:
    """The extension runs the sweep; we poll and mirror it locally. Ctrl-C detaches."""
    api = SweepsClient(client)
    store = attached_store(opts, cfg, wf)
    if store is None:
        created = await api.create(wf.to_json(), config_payload(cfg), None)
        sid = str(created["id"])
        store = await mirror_store(api, sid, Path(cfg.output.base_dir))
        note(f"server sweep {sid}: {created['total']} runs, mirrored into {store.root}")
    else:
        sid = str(store.progress()["server_sweep_id"])
        if (await api.status(sid, limit=1))["state"] in ("interrupted", "cancelled"):
            await api.resume(sid)
        note(f"re-attached to server sweep {sid} ({store.root})")
    stop = asyncio.Event()
    install_stop(stop)
    start = time.monotonic()
    seen: list[int] = [-1]

    def on_status(summary: dict[str, Any]) -> None:
        if summary["done"] + summary["failed"] != seen[0]:
            seen[0] = summary["done"] + summary["failed"]
            note(f"[{seen[0]}/{summary['total']}] {summary['failed']} failed  {summary['state']}")

    with store.lock(f"cr-batch (pid {os.getpid()})"):
        state = await follow(api, store, sid, stop, on_status)
        store.set_state("done" if state == "done" else "interrupted")
    if state == "detached":
        note(f"detached: sweep {sid} keeps running on {client.address.display}.")
        note(f"Rerun the same command to re-attach, or cancel it: {api.cancel_hint(sid)}")
        return EXIT_INTERRUPTED
    recs = store.records()
    failed = sum(1 for r in recs if r.status != "done")
    summary = EngineSummary(
        len(recs) - failed, failed, len(store.plan.runs), time.monotonic() - start, 0.0, state
    )
    return finish(store, summary)


async def run_batch(opts: Options, cfg: SweepConfig, wf: Workflow) -> int:
    async with make_client(opts, cfg) as client:
        info = ObjectInfo(await client.object_info())
        if opts.mode != "client":
            code = await maybe_server_mode(opts, cfg, wf, client)
            if code is not None:
                return code
        store, summary = await run_client_mode(opts, cfg, wf, client, info)
    return finish(store, summary)


def render_sheet(store: RunStore) -> None:
    try:
        from ..core.report import render_contact_sheet
    except ImportError:
        return
    try:
        render_contact_sheet(store.root)
    except (OSError, ValueError) as err:
        note(f"warning: contact sheet not written: {err}")


def finish(store: RunStore, summary: EngineSummary) -> int:
    if summary.state != "done":
        note(f"interrupted: {summary.done} done, {summary.failed} failed of {summary.total}.")
        note(f"Rerun the same command to resume ({store.root}).")
        return EXIT_INTERRUPTED
    render_sheet(store)
    ratio = (
        f", {summary.wall_s / summary.execution_s:.2f}x ComfyUI's execution time"
        if summary.execution_s > 0
        else ""
    )
    note(
        f"{summary.done} done, {summary.failed} failed of {summary.total} in {summary.wall_s:.1f}s{ratio}"
    )
    click.echo(str(store.root))
    click.echo(f"next: cr-contact-sheet {store.root}")
    return EXIT_RUNS_FAILED if summary.failed else EXIT_OK


@click.command(help="Run a parameter sweep from a batch config (YAML) on ComfyUI; rerun to resume.")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option(
    "--server",
    default=None,
    help="ComfyUI address (default: comfyui.server_address, else 127.0.0.1:8188).",
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
@handle_errors
def main(config: str, **kwargs: object) -> None:
    opts = Options(config=config, **kwargs)  # type: ignore[arg-type]
    cfg = load_config(opts.config)
    wf = load_workflow(resolve_workflow_path(cfg))
    if opts.dry_run:
        sys.exit(dry_run(opts, cfg, wf))
    sys.exit(asyncio.run(run_batch(opts, cfg, wf)))
