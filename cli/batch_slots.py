"""cr-batch over several backend slots from this process: a fleet of ComfyUI
servers (``--server`` repeated, ``comfyui.servers``) or Ray workers."""

from __future__ import annotations

import contextlib

from ..client.address import parse_address
from ..client.comfyui import ComfyClient, token_from_env
from ..client.fleet import connect_fleet, fleet_info, fleet_slots
from ..core.config.model import RaySpec, ServerSpec, SweepConfig
from ..core.engine.backend import BackendSlot
from ..core.errors import ConfigError
from ..core.objectinfo import ObjectInfo
from ..core.workflow import Workflow, WorkflowFile
from .batch_client import CLI_PRIORITY, Options, local_batch, note_conversion, run_client_mode
from .batch_report import finish, note
from .common import load_with_server


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
        slots = fleet_slots(members, window, cfg.comfyui.priority or CLI_PRIORITY)
        return await run_on_slots(opts, cfg, wf, fleet_info(members), slots, label)


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
    info: ObjectInfo | None,
    slots: list[BackendSlot],
    label: str,
) -> int:
    """Choose the batch (rerun rules) and run it over several backend slots."""
    store = local_batch(opts, cfg, wf, info, f"over {label}")
    if isinstance(store, int):
        return store
    note(f"sweeping over {label}")
    summary = await run_client_mode(opts, cfg, slots, store, wf.ui_graph, info)
    for name, (runs, secs) in sorted(summary.per_server.items()):
        note(f"  {name}: {runs} runs, {secs:.1f}s of execution")
    return finish(store, summary)
