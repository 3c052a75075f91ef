"""cr-batch against one Comfy API v2 server (``comfyui.api: v2``): Comfy Cloud,
or comfy-api-proxy in front of a ComfyUI. Always client mode (this process runs
the sweep; a v2 server has no comfy-sweep extension), resumable like any batch.

A v2 server serves no ``/object_info``: the config is checked against the
workflow by heuristics (as in ``--dry-run`` without a server), and the
server's own validation refuses a bad first prompt in one line.
"""

from __future__ import annotations

from pathlib import Path

from ..client.comfyui import token_from_env
from ..client.v2_api import V2Client
from ..client.v2_backend import V2Backend
from ..core.config.model import SweepConfig
from ..core.config.validate import validate_config
from ..core.errors import ConflictError
from ..core.sweep.select import apply_extension, is_server_batch, select_batch
from ..core.workflow import Workflow
from .batch_client import (
    Options,
    config_server,
    create_client_batch,
    holder,
    run_client_mode,
)
from .batch_report import finish, note, report_complete
from .common import server_option


def make_v2_client(opts: Options, cfg: SweepConfig) -> V2Client:
    """First contact fails fast; run_v2_batch widens the retry window after it."""
    return V2Client(
        server_option(opts.server[0]) if opts.server else config_server(cfg),
        auth_token=token_from_env(opts.auth_token_env or cfg.comfyui.auth_token_env),
        timeout=cfg.comfyui.timeout,
        retry_window=0,
    )


async def run_v2_batch(opts: Options, cfg: SweepConfig, wf: Workflow) -> int:
    if len(opts.server) > 1:
        raise ConflictError(
            "comfyui.api is v2: one --server for now (several servers: comfyui.servers)"
        )
    if opts.mode == "server":
        raise ConflictError(
            "comfyui.api is v2: the sweep runs from this process (--mode server "
            "needs a ComfyUI with the comfy-sweep extension)"
        )
    async with make_v2_client(opts, cfg) as client:
        await client.health()
        await client.check_access()
        client.retry_window = cfg.comfyui.reconnect_window
        shown = validate_config(cfg, wf, None)
        for warning in shown:
            note(f"warning: {warning}")
        note(f"Comfy API v2 at {client.address.display}: values checked by heuristics only")
        sel = select_batch(
            Path(cfg.output.base_dir), cfg, wf, None,
            resume_dir=opts.resume, fresh=opts.new or not cfg.resume.enabled,
        )  # fmt: skip
        if sel.action == "complete" and sel.store is not None:
            return report_complete(sel.store)
        if sel.store is not None and is_server_batch(sel.store):
            raise ConflictError(
                f"{sel.store.root} is a server sweep (run by a ComfyUI's comfy-sweep "
                "extension); follow it there, or start afresh with --new"
            )
        if sel.notice:
            note(sel.notice)
        if sel.action == "extend":
            apply_extension(sel, cfg, holder())
        store = sel.store or create_client_batch(cfg, wf, None, sel.ident, shown)
        summary = await run_client_mode(opts, cfg, V2Backend(client), store)
    return finish(store, summary)
