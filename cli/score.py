"""cr-score: compute or recompute the metrics of an existing batch, without
re-running anything; the scores go into metadata.csv as score_<name> columns
through the run store (under the batch lock: refused while a sweep holds it)."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path

import click

from ..client.comfyui import token_from_env
from ..core.errors import ConfigError, StoreLockedError
from ..core.metrics.spec import MetricSpec, metrics_from_yaml
from ..core.store.runstore import RunStore
from ..core.textfile import read_user_file
from ..media.score_batch import BatchScores, score_batch
from ..media.scorers import check_scorers
from ..media.scoring import ScoreContext
from .common import EXIT_OK, EXIT_RUNS_FAILED, handle_errors, server_option
from .helptext import EXIT_BACKEND, EXIT_BUSY, EXIT_USAGE, auth_opt, command, server_opt


def load_specs(batch: Path, config_file: Path | None) -> tuple[list[MetricSpec], Path]:
    """The metrics (and the folder their relative paths start from)."""
    source = config_file or batch / "config.yaml"
    specs = metrics_from_yaml(read_user_file(source, "config", ConfigError), source=str(source))
    if not specs:
        hint = "" if config_file else "; name a config that has one with --config FILE"
        raise ConfigError(f"{source}: no metrics: section{hint}", field="metrics")
    # A batch's config.yaml is a copy: its relative paths meant the user's folder.
    return specs, (config_file.resolve().parent if config_file else Path.cwd())


def select(specs: list[MetricSpec], names: tuple[str, ...]) -> list[MetricSpec]:
    known = {s.name: s for s in specs}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(
            f"--metric {unknown[0]}: not in the config's metrics ({', '.join(known)})",
            field="--metric",
        )
    return [known[n] for n in dict.fromkeys(names)] if names else specs


def _summary(result: BatchScores, specs: list[MetricSpec]) -> str:
    cols = sorted({c for row in result.scores.values() for c in row})
    text = f"scored {result.runs} done run(s) in {len(specs)} metric(s)"
    text += f"; wrote {', '.join('score_' + c for c in cols)}" if cols else "; nothing to write"
    for name, runs in sorted(result.missing.items()):
        text += f"\nwarning: {name}: no value for {len(runs)} run(s) (e.g. run {runs[0]})"
    return text


def _show_reasons() -> None:
    """Each metric that fails on a run logs one line: show it as a warning."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("warning: %(message)s"))
    logger = logging.getLogger("comfy_sweep.scoring")
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    logger.propagate = False


@command(
    help="Compute or recompute the metrics of BATCH_DIR (its config's metrics: section, or "
    "--config FILE's) and write them as score_<name> columns of metadata.csv.",
    examples=[
        ("output/batch_20250101_120000", "Score every run with the batch's own metrics:"),
        ("output/batch_20250101_120000 --metric sharpness --jobs 4", "One metric, 4 at once:"),
        ("output/batch_20250101_120000 --config more_metrics.yaml", "Metrics from another config:"),
    ],
    exit_codes=(EXIT_OK, EXIT_RUNS_FAILED, EXIT_USAGE, EXIT_BACKEND, EXIT_BUSY),
    name="score",
)
@click.argument("batch", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--metric", "metric_names", multiple=True, help="Only this metric (repeatable).")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Take the metrics: section from this config instead of the batch's.")  # fmt: skip
@server_opt(None, "ComfyUI address for type: comfy scorers [the batch's].")
@auth_opt()
@click.option("--jobs", type=click.IntRange(1, 32), default=2, show_default=True,
              help="Runs scored at once.")  # fmt: skip
@handle_errors
def score(batch: Path, metric_names: tuple[str, ...], config_file: Path | None,
          server: str | None, auth_token_env: str | None, jobs: int) -> None:  # fmt: skip
    store = RunStore.open(batch)
    specs, base_dir = load_specs(store.root, config_file)
    specs = select(specs, metric_names)
    if server:
        server_option(server)  # a bad address is blamed on --server
    ctx = ScoreContext(
        base_dir=base_dir,
        comfy_address=server or store.config.comfyui.server_address,
        comfy_auth_token=token_from_env(auth_token_env or store.config.comfyui.auth_token_env),
    )
    check_scorers(specs, ctx)
    _show_reasons()
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(store.lock(f"cr-score (pid {os.getpid()})"))
        except StoreLockedError as err:
            msg = (
                f"{err.message}; cr-score changed nothing: run it again when the sweep has finished"
            )
            raise StoreLockedError(msg, details=err.details) from None
        result = score_batch(store, specs, ctx, jobs=jobs)
        if result.scores:
            store.merge_scores(result.scores)
    click.echo(_summary(result, specs))
    sys.exit(EXIT_RUNS_FAILED if result.missing else EXIT_OK)


main = score

if __name__ == "__main__":  # python -m comfy_sweep.cli.score
    main()
