"""``cr-explore`` / ``comfy-sweep explore``: the command line; the work is in cli/explore.py."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import click

from ..common import handle_errors
from ..helptext import command

DEFAULT_BUDGET = 64


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
@click.option("--search", type=click.Choice(["adaptive", "sobol"]), default="adaptive",
              show_default=True,
              help="With an objective: adaptive: one adaptive batch (a Gaussian process "
              "proposing from the scores so far); sobol: rounds of Sobol samples, each "
              "narrowed around the best run so far. A person rating gets one Sobol round.")  # fmt: skip
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), default=None,
              help="The exploration's seed (Sobol points, drawn seeds) for a new exploration; "
              "default: drawn once and kept.")  # fmt: skip
@click.option("--new", is_flag=True, help="Start a new exploration even if one can continue.")
@click.option("--mode", type=click.Choice(["client", "server"]), default="client",
              show_default=True,
              help="client: this process runs every phase; server: the comfy-sweep extension "
              "runs the exploration on ComfyUI (its sweeps and report in the panel; --only needs "
              "paths with ranges or values there).")  # fmt: skip
@handle_errors
def explore(workflow: Path, metrics: tuple[str, ...], only: tuple[str, ...], **kwargs: Any) -> None:
    from ..explore import run_explore  # the work: imported when the command runs
    from ..explore_setup import Request

    mode = kwargs.pop("mode")
    req = Request(workflow=workflow, metrics=tuple(metrics), only=tuple(only), **kwargs)
    req.output = req.output.resolve()  # the phase configs name their folders absolutely
    if mode == "server":
        from ..explore import command_line
        from ..explore_remote import run_request_remote

        sys.exit(run_request_remote(req, f"{command_line(req)} --mode server"))
    sys.exit(asyncio.run(run_explore(req)))


main = explore

if __name__ == "__main__":  # python -m comfy_sweep.cli.commands.explore
    main()
