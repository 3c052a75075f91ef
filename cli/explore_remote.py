"""An exploration run by ComfyUI's server (``--mode server``): ``cr-batch CONFIG``
with ``sampling_strategy: explore`` or ``comfy-sweep explore``. Thin: the config
goes to ``POST /comfy-sweep/explorations`` through client/explorations.py, which
follows it; this module only builds the config and says the closing lines.
A rerun of the same command continues the same exploration (the server finds it)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from ..client.comfyui import ComfyClient
from ..client.explorations import RemoteExploration
from ..client.sweeps import config_payload
from ..core.config.load import resolve_workflow_path
from ..core.config.model import SweepConfig
from ..core.errors import ConfigError, ConflictError
from ..core.explore.settings import metrics_section
from ..core.explore.setup import DEFAULT_SEARCH
from ..core.explore.space import parse_only
from ..core.metrics.spec import metrics_to_raw
from ..core.workflow import read_workflow_file
from .batch_report import EXIT_INTERRUPTED
from .common import EXIT_OK, server_option, shell_arg
from .explore_setup import Request, note
from .run import install_stop


def config_of_file(cfg: SweepConfig) -> dict[str, Any]:
    """A ``sampling_strategy: explore`` config as posted (metric files made absolute)."""
    payload = config_payload(cfg)
    if cfg.metrics:
        payload["metrics"] = metrics_to_raw(cfg.metrics, base_dir=cfg.base_dir)
    return payload


def config_of_request(req: Request) -> dict[str, Any]:
    """The command line as a ``sampling_strategy: explore`` config."""
    if req.search != DEFAULT_SEARCH:
        raise ConfigError(f"--search {req.search} runs in --mode client only", field="search")
    config: dict[str, Any] = {"sampling_strategy": "explore", "num_samples": req.budget}
    metrics = metrics_section(req.metrics, req.objective, Path.cwd())
    if metrics:
        config["metrics"] = metrics
    if req.objective:
        config["objective"] = req.objective
    if req.seed is not None:
        config["sweep_seed"] = req.seed
    params = [_only_entry(text) for text in req.only]
    if params:
        config["parameters"] = {f"only{i}": entry for i, entry in enumerate(params, 1)}
    return config


def _only_entry(text: str) -> dict[str, Any]:
    spec = parse_only(text)
    if not spec.target.startswith("nodes.") or (spec.values is None and spec.low is None):
        raise ConfigError(
            f"--only {text}: with --mode server give the input's path and a range or values "
            "(nodes.<id>.inputs.<name>=MIN:MAX or =A,B)",
            field="only",
        )
    if spec.values is not None:
        return {"path": spec.target, "values": list(spec.values)}
    return {"path": spec.target, "min": spec.low, "max": spec.high}


async def run_remote(
    address: str, prompt: Any, config: dict[str, Any], *, cont: bool, new: bool, rerun: str
) -> int:
    """Start (or continue) the exploration on the server and follow it; Ctrl-C detaches."""
    async with ComfyClient(server_option(address), timeout=30.0) as client:
        remote = RemoteExploration(client, note=note)
        await remote.require()
        made = await remote.start(prompt, config, cont=not new)
        if cont and made["state"] == "rate":
            raise ConflictError(
                f"--continue: no run of sweep {made['waiting_sweep']} is rated or picked yet; "
                "rate some in its contact sheet first"
            )
        stop = asyncio.Event()
        install_stop(stop)
        summary = await remote.follow(str(made["id"]), stop)
        return closing(remote, summary, rerun)


def closing(remote: RemoteExploration, summary: dict[str, Any], rerun: str) -> int:
    xid, state = summary["id"], summary["state"]
    report = remote.url(summary["report"]) if summary.get("report") else None
    if state == "running":
        note(f"detached: exploration {xid} keeps running on {remote.where}; rerun to follow it")
        return EXIT_INTERRUPTED
    if report:
        note(f"report: {report}")
    if state == "rate":
        note(f"{summary['waiting_text']}\n  or rerun: {rerun} --continue")
        return EXIT_OK
    if state == "done":
        for hero in summary.get("heroes") or []:
            note(f"hero: run {hero['run_id']} of {hero['batch']}: {hero['values']}")
        return EXIT_OK
    note(f"exploration {xid} is {state} on {remote.where}: {summary.get('message', '')}")
    return EXIT_INTERRUPTED


def run_config_remote(
    cfg: SweepConfig, servers: tuple[str, ...], config_file: str, new: bool
) -> int:
    """``cr-batch CONFIG --mode server`` with ``sampling_strategy: explore``."""
    wf_file = read_workflow_file(resolve_workflow_path(cfg))  # the server converts a UI one
    address = servers[0] if servers else cfg.comfyui.server_address
    rerun = f"cr-batch {shell_arg(config_file)} --mode server"
    config = config_of_file(cfg)
    return asyncio.run(run_remote(address, wf_file.data, config, cont=False, new=new, rerun=rerun))


def run_request_remote(req: Request, rerun: str) -> int:
    """``comfy-sweep explore WORKFLOW --mode server``."""
    config = config_of_request(req)
    wf_file = read_workflow_file(req.workflow)
    address = req.servers[0] if req.servers else req.server_address
    return asyncio.run(
        run_remote(address, wf_file.data, config, cont=req.cont, new=req.new, rerun=rerun)
    )
