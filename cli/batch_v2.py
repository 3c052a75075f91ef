"""cr-batch against one Comfy API v2 server (``comfyui.api: v2``): Comfy Cloud,
or comfy-api-proxy in front of a ComfyUI. Always client mode (this process runs
the sweep; a v2 server has no comfy-sweep extension), resumable like any batch.

A v2 server serves no ``/object_info``: the config is checked against the
workflow by heuristics (as in ``--dry-run`` without a server), and the
server's own validation refuses a bad first prompt in one line.
"""

from __future__ import annotations

from ..client.comfyui import token_from_env
from ..client.v2_api import V2Client
from ..client.v2_backend import V2Backend
from ..core.config.model import SweepConfig
from ..core.errors import ConflictError
from ..core.workflow import Workflow
from .batch_client import (
    Options,
    config_server,
    local_batch,
    run_client_mode,
)
from .batch_report import finish, note
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
        note(f"Comfy API v2 at {client.address.display}: values checked by heuristics only")
        store = local_batch(opts, cfg, wf, None, "on a Comfy API v2 service")
        if isinstance(store, int):
            return store
        summary = await run_client_mode(opts, cfg, V2Backend(client), store)
    return finish(store, summary)
