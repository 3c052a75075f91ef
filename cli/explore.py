"""comfy-sweep explore / cr-explore: from a bare workflow to the best settings.

Thin: the course of the exploration is core/explore (Explorer); each step is
an ordinary batch run by cr-batch's own client mode (cli/batch.run_batch)
from a config file written into the step's phase folder, so every rerun,
resume and extension rule of cr-batch applies to it unchanged.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import click

from ..core.config.load import load_config
from ..core.config.model import SweepConfig
from ..core.errors import ConfigError, StoreError
from ..core.explore.explorer import Done, Explorer, Run, Wait
from ..core.explore.folder import save_state
from ..core.explore.model import REPORT_FILE
from ..core.explore.report import write_report
from ..core.explore.setup import DEFAULT_SEARCH
from ..core.store import atomic
from ..core.sweep.select import batch_identity, newest_match
from ..core.workflow import Workflow, load_workflow, read_workflow_file
from .batch import EXIT_INTERRUPTED, run_batch
from .batch_client import Options
from .common import EXIT_OK, shell_arg
from .explore_setup import (
    Request,
    fetch_object_info,
    make_explorer,
    note,
    request_from_config,
)


async def run_step(
    explorer: Explorer, action: Run, req: Request, wf: Workflow
) -> tuple[int, Path | None, float]:
    path = explorer.step_path(action.step)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text(encoding="utf-8") != action.config_text:
        atomic.write_text(path, action.config_text)
    cfg = load_config(path)
    wf_file = read_workflow_file(explorer.common.workflow_file)  # UI format: cr-batch converts it
    opts = Options(
        config=str(path), server=req.servers, dry_run=False, resume=None, new=False,
        fail_fast=False, mode="client", window=None, auth_token_env=None,
    )  # fmt: skip
    note(f"-- {action.step.key}: {action.step.runs} runs ({path})")
    started = time.monotonic()
    code = await run_batch(opts, cfg, wf_file)
    batch = newest_match(Path(cfg.output.base_dir), batch_identity(cfg, wf))
    return code, batch, time.monotonic() - started


def _stop(explorer: Explorer, text: str, code: int) -> int:
    save_state(explorer.root, explorer.state)
    report = write_report(explorer.root, explorer.state)
    note(text)
    note(f"report: {report}")
    return code


async def _step(explorer: Explorer, action: Run, req: Request, wf: Workflow) -> int | None:
    code, batch, seconds = await run_step(explorer, action, req, wf)
    if code == EXIT_INTERRUPTED or batch is None:
        explorer.state.state = "interrupted"
        return _stop(explorer, "interrupted: rerun the same command to continue", EXIT_INTERRUPTED)
    res = explorer.record(action.step, batch, seconds)
    save_state(explorer.root, explorer.state)
    write_report(explorer.root, explorer.state)
    if res.status == "rate":
        return _stop(explorer, _rate_text(explorer, req), EXIT_OK)
    return None


def _rate_text(explorer: Explorer, req: Request) -> str:
    again = req.rerun or f"{command_line(req)} --continue"
    return str(explorer.state.notes.get("waiting_text", "")) + f"\n  {again}"


def command_line(req: Request) -> str:
    """The command that reruns this exploration (named in the closing lines)."""
    parts = ["comfy-sweep explore", shell_arg(req.workflow), f"--budget {req.budget}"]
    parts += [f"--metric {shell_arg(m)}" for m in req.metrics]
    parts += [f"--objective {req.objective}"] if req.objective else []
    parts += [f"--only {shell_arg(o)}" for o in req.only]
    parts += [f"--server {s}" for s in req.servers]
    parts += [f"--search {req.search}"] if req.search != DEFAULT_SEARCH else []
    return " ".join([*parts, f"-o {shell_arg(req.output)}"])


async def _wait(explorer: Explorer, action: Wait, req: Request) -> int | None:
    if not (req.cont or req.auto_continue):
        return _stop(explorer, _rate_text(explorer, req), EXIT_OK)
    batch = explorer.root / action.result.batch
    res = explorer.record(action.step, batch)
    if res.status == "rate" and not req.cont:  # a config rerun before any rating
        return _stop(explorer, _rate_text(explorer, req), EXIT_OK)
    if res.status == "rate":
        raise StoreError(
            f"--continue: no run of {batch} is rated or picked yet; rate some first "
            f"(the sheet's stars or cr-rate {shell_arg(batch)} RUN_ID STARS)"
        )
    note(f"{action.step.key}: {res.winner['why'] if res.winner else ''}")
    save_state(explorer.root, explorer.state)
    return None


def _finish(explorer: Explorer) -> int:
    explorer.finish()
    heroes = explorer.state.notes.get("heroes") or []
    for hero in heroes:
        score = hero.get("score")
        shown = f" score {score:.5g}" if isinstance(score, float) else ""
        note(f"hero: run {hero['run_id']} of {hero['batch']}{shown}: {hero['values']}")
    text = f"done: {explorer.root / 'hero.yaml'} renders the heroes again"
    code = _stop(explorer, text, EXIT_OK)
    click.echo(str(explorer.root / REPORT_FILE))
    return code


async def run_explore(req: Request) -> int:
    if req.budget < 1:
        raise ConfigError("--budget must be at least 1", field="budget")
    read_workflow_file(req.workflow)  # a missing or unreadable file fails before connecting
    info = await fetch_object_info(req)
    wf = load_workflow(req.workflow, info)  # a UI-format workflow is converted with it
    explorer = make_explorer(req, wf, info)
    while True:
        action = explorer.next_action()
        if isinstance(action, Done):
            return _finish(explorer)
        if isinstance(action, Wait):
            code = await _wait(explorer, action, req)
        else:
            code = await _step(explorer, action, req, wf)
        if code is not None:
            return code


# -- sampling_strategy: explore (cr-batch CONFIG) -----------------------------------------------
def run_config(cfg: SweepConfig, servers: tuple[str, ...], config_file: str, new: bool) -> int:
    """cr-batch CONFIG with ``sampling_strategy: explore``."""
    return asyncio.run(run_explore(request_from_config(cfg, servers, config_file, new)))


def main() -> None:
    """The ``cr-explore`` console script (the command lives in cli/commands/explore.py)."""
    from .commands.explore import explore

    explore()


if __name__ == "__main__":  # python -m comfy_sweep.cli.explore
    main()
