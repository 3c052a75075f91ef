"""comfy-sweep explore / cr-explore: from a bare workflow to the best settings.

Thin: the course of the exploration is core/explore (Explorer); each step is
an ordinary batch run by cr-batch's own client mode (cli/batch.run_batch)
from a config file written into the step's phase folder, so every rerun,
resume and extension rule of cr-batch applies to it unchanged.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import json
import random
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click

from ..client.comfyui import ComfyClient
from ..core.analyzer import analyze
from ..core.config.load import load_config, resolve_workflow_path
from ..core.config.model import STRATEGIES, SweepConfig
from ..core.errors import ConfigError, MissingExtraError, StoreError
from ..core.explore.budget import split_budget
from ..core.explore.explorer import Done, Explorer, Run, Wait
from ..core.explore.folder import find_exploration, load_state, new_folder, now_iso, save_state
from ..core.explore.model import REPORT_FILE, ExploreState, fingerprint
from ..core.explore.phases import Common
from ..core.explore.report import write_report
from ..core.explore.settings import choose_objective, metrics_section
from ..core.explore.space import OnlySpec, Space, build_space, parse_only
from ..core.metrics.spec import metrics_to_raw
from ..core.objectinfo import ObjectInfo
from ..core.store import atomic
from ..core.sweep.select import batch_identity, newest_match
from ..core.workflow import Workflow, load_workflow, read_workflow_file
from .batch import EXIT_INTERRUPTED, run_batch
from .batch_client import Options
from .common import EXIT_OK, handle_errors, server_option, shell_arg
from .helptext import command

DEFAULT_BUDGET = 64


@dataclass
class Request:
    """What the command line (or a ``sampling_strategy: explore`` config) asks for."""

    workflow: Path
    budget: int = DEFAULT_BUDGET
    objective: str | None = None
    metrics: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    servers: tuple[str, ...] = ()
    output: Path = Path("output")
    cont: bool = False
    new: bool = False
    search: str = "sobol"  # sobol: narrowing rounds; adaptive: one Optuna TPE batch
    seed: int | None = None  # the exploration's seed (None: drawn once, kept in explore.json)
    raw_metrics: dict[str, Any] | None = None  # a config's metrics: section, as is
    only_specs: tuple[OnlySpec, ...] | None = None  # a config's parameters: (else --only)
    auto_continue: bool = False  # a config rerun goes on by itself once runs are rated
    rerun: str = ""  # the command that continues (a config's: cr-batch CONFIG)
    server_address: str = "127.0.0.1:8188"  # when no --server


def note(text: str) -> None:
    click.echo(text, err=True)


def _server(req: Request) -> str:
    return req.servers[0] if req.servers else req.server_address


async def _object_info(req: Request) -> ObjectInfo:
    async with ComfyClient(server_option(_server(req)), timeout=15.0) as client:
        return ObjectInfo(await client.object_info())


def use_adaptive(req: Request) -> bool:
    """--search adaptive: the search is one adaptive batch (needs comfy-sweep[adaptive])."""
    if req.search != "adaptive":
        return False
    if "adaptive" not in STRATEGIES or importlib.util.find_spec("optuna") is None:
        raise MissingExtraError(
            "--search adaptive needs optuna: pip install 'comfy-sweep[adaptive]'"
        )
    return True


def _workflow_sha(wf: Workflow) -> str:
    text = json.dumps(wf.to_json(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _settings(req: Request) -> tuple[dict[str, Any], Common, dict[str, Any]]:
    raw = (
        req.raw_metrics
        if req.raw_metrics is not None
        else metrics_section(req.metrics, req.objective, Path.cwd())
    )
    objective = choose_objective(raw, req.objective)
    settings = {
        "objective": None
        if objective is None
        else {"metric": objective.metric, "goal": objective.goal},
        "metrics": raw,
        "only": [asdict(o) for o in _only(req)],
        "search": req.search,
    }
    common = Common(
        workflow_file=str(req.workflow.resolve()), metrics=raw, objective=objective,
        sweep_seed=0, server=_server(req), adaptive=use_adaptive(req),
    )  # fmt: skip
    return settings, common, raw


def _open_state(req: Request, wf: Workflow, settings: dict[str, Any]) -> tuple[Path, ExploreState]:
    wf_path = str(req.workflow.resolve())
    sha = _workflow_sha(wf)
    fp = fingerprint(sha, settings)
    root = None if req.new else find_exploration(req.output, wf_path, fp)
    if root is not None:
        state = load_state(root)
        if state.budget != req.budget:
            note(f"{root}: budget {state.budget} -> {req.budget}: the phases are planned again")
            state.budget = req.budget
        note(f"continuing {root}")
        return root, state
    if req.cont:
        raise StoreError(
            f"--continue: no exploration of {wf_path} with these settings under {req.output}"
        )
    root = new_folder(req.output)
    seed = req.seed if req.seed is not None else random.randrange(2**31)
    state = ExploreState(wf_path, sha, fp, settings, seed, req.budget, now_iso())
    save_state(root, state)
    note(f"new exploration {root}")
    return root, state


def _explorer(req: Request, wf: Workflow, info: ObjectInfo) -> Explorer:
    settings, common, _ = _settings(req)
    space = build_space(analyze(wf, info), _only(req))
    root, state = _open_state(req, wf, settings)
    common = Common(**{**common.__dict__, "sweep_seed": state.sweep_seed})
    split = split_budget(
        req.budget, samplers=_count(space, 0), schedulers=_count(space, 1),
        has_search=bool(space.search), has_seeds=bool(space.seeds),
        rounds_allowed=common.objective is not None and not common.adaptive,
    )  # fmt: skip
    return Explorer(root, state, space, split, common)


def _only(req: Request) -> tuple[OnlySpec, ...]:
    if req.only_specs is not None:
        return req.only_specs
    return tuple(parse_only(o) for o in req.only)


def _count(space: Space, index: int) -> int:
    return len(space.surf[index].candidates) if len(space.surf) > index else 0


# -- running a step: an ordinary cr-batch in client mode ---------------------------------------
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
    again = req.rerun or f"{_command(req)} --continue"
    return str(explorer.state.notes.get("waiting_text", "")) + f"\n  {again}"


def _command(req: Request) -> str:
    parts = ["comfy-sweep explore", shell_arg(req.workflow), f"--budget {req.budget}"]
    parts += [f"--metric {shell_arg(m)}" for m in req.metrics]
    parts += [f"--objective {req.objective}"] if req.objective else []
    parts += [f"--only {shell_arg(o)}" for o in req.only]
    parts += [f"--server {s}" for s in req.servers]
    parts += ["--search adaptive"] if req.search == "adaptive" else []
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
    info = await _object_info(req)
    wf = load_workflow(req.workflow, info)  # a UI-format workflow is converted with it
    explorer = _explorer(req, wf, info)
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
def _config_only(cfg: SweepConfig) -> tuple[OnlySpec, ...]:
    """A config's parameters: what varies (ranges and values as given; seeds are mined anyway)."""
    specs: list[OnlySpec] = []
    for spec in cfg.parameters.values():
        for path in spec.paths:
            if spec.type == "values" and spec.values is not None:
                specs.append(OnlySpec(path, values=tuple(spec.values)))
            elif (
                spec.type in ("continuous", "linear")
                and spec.min is not None
                and spec.max is not None
            ):
                specs.append(OnlySpec(path, float(spec.min), float(spec.max)))
            elif spec.type != "random_seed":
                raise ConfigError(
                    f"{cfg.source}: parameters.{spec.name}: an exploration varies ranges "
                    "(min/max) and values only",
                    field=f"parameters.{spec.name}",
                )
    return tuple(specs)


def request_from_config(
    cfg: SweepConfig, servers: tuple[str, ...], config_file: str, new: bool = False
) -> Request:
    """The exploration a ``sampling_strategy: explore`` config asks for (docs/explore.md)."""
    return Request(
        workflow=resolve_workflow_path(cfg),
        budget=cfg.num_samples,
        objective=cfg.objective.metric if cfg.objective is not None else None,
        servers=servers,
        output=Path(cfg.output.base_dir).resolve(),
        seed=cfg.sweep_seed,
        raw_metrics=metrics_to_raw(cfg.metrics, base_dir=cfg.base_dir),
        only_specs=_config_only(cfg) if cfg.parameters else None,
        auto_continue=True,
        new=new,
        rerun=f"cr-batch {shell_arg(config_file)}",
        server_address=cfg.comfyui.server_address,
    )


def run_config(cfg: SweepConfig, servers: tuple[str, ...], config_file: str, new: bool) -> int:
    """cr-batch CONFIG with ``sampling_strategy: explore``."""
    return asyncio.run(run_explore(request_from_config(cfg, servers, config_file, new)))


@command(
    name="explore",
    examples=[
        ("workflow_api.json --budget 60", "Explore in phases, you rating the runs of each phase:"),
        (
            "workflow_api.json --metric sim=similarity:ref.png --objective sim --budget 120",
            "Let a metric pick the winners:",
        ),
        ("workflow_api.json --continue", "Go on after rating the phase it waits on:"),
    ],
    help="Explore WORKFLOW in phases (sampler/scheduler surfing, parameter search, seed "
    "mining), each an ordinary batch in one explore_<time> folder, the winners of each "
    "carried into the next; writes explore_report.html, hero.yaml and production.yaml. "
    "Rerun the same command to continue after an interruption or with a larger --budget.",
)
@click.argument("workflow", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--budget", type=click.IntRange(1, 100_000), default=DEFAULT_BUDGET,
              show_default=True, help="Runs in all, split over the phases.")  # fmt: skip
@click.option("--objective", default=None, metavar="METRIC",
              help="The score that decides winners: a --metric name or a built-in metric "
              "(sharpness, ...). Without one (and without a single --metric) you decide, "
              "by rating the runs in each phase's contact sheet.")  # fmt: skip
@click.option("--metric", "metrics", multiple=True, metavar="NAME=TYPE[:ARG]",
              help="A score for every run, e.g. sim=similarity:ref.png, judge=http:URL, "
              "mine=command:'python s.py {file}'. Repeatable.")  # fmt: skip
@click.option("--only", multiple=True, metavar="PATH[=MIN:MAX|=A,B]",
              help="Vary only these inputs (nodes.<id>.inputs.<name> or the analyzer's name), "
              "optionally with a range or values. Repeatable.")  # fmt: skip
@click.option("--server", "servers", multiple=True, metavar="ADDR",
              help="ComfyUI address (default 127.0.0.1:8188); repeat to spread runs over several.")  # fmt: skip
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              default=Path("output"), show_default=True, help="Where explore_<time> goes.")  # fmt: skip
@click.option("--continue", "cont", is_flag=True,
              help="Go on after you rated the runs of the phase the exploration waits on.")  # fmt: skip
@click.option("--search", type=click.Choice(["sobol", "adaptive"]), default="sobol",
              show_default=True,
              help="sobol: the search in rounds of Sobol samples, each narrowed around the best "
              "run so far; adaptive: one adaptive batch (Optuna TPE, comfy-sweep[adaptive]). "
              "Needs an objective; a person rating gets one Sobol round.")  # fmt: skip
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), default=None,
              help="The exploration's seed (Sobol points, drawn seeds) for a new exploration; "
              "default: drawn once and kept.")  # fmt: skip
@click.option("--new", is_flag=True, help="Start a new exploration even if one can continue.")
@handle_errors
def explore(workflow: Path, metrics: tuple[str, ...], only: tuple[str, ...], **kwargs: Any) -> None:
    req = Request(workflow=workflow, metrics=tuple(metrics), only=tuple(only), **kwargs)
    req.output = req.output.resolve()  # the phase configs name their folders absolutely
    sys.exit(asyncio.run(run_explore(req)))


main = explore

if __name__ == "__main__":  # python -m comfy_sweep.cli.explore
    main()
