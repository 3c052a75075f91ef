"""cr-export (comfy-sweep export): a batch's runs to SQLite, Parquet, MLflow or Optuna.

Thin: reads the batch through comfy_sweep.export.table and calls one exporter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..core.errors import ConfigError
from .common import handle_errors
from .helptext import EXIT_OK, EXIT_USAGE, command

TARGETS = ("sqlite", "parquet", "mlflow", "optuna")
# Options that only mean something for some targets: given elsewhere they are a mistake.
ONLY_FOR = {
    "table": ("sqlite",),
    "tracking_uri": ("mlflow",),
    "experiment": ("mlflow",),
    "no_artifacts": ("mlflow",),
    "storage": ("optuna",),
    "study_name": ("optuna",),
    "objective": ("optuna",),
    "direction": ("optuna",),
    "replace": ("mlflow", "optuna"),
}
# target -> (module, extra): checked before the batch is read, so a missing
# package is the one line the user sees.
EXTRAS = {
    "parquet": ("pyarrow", "parquet"),
    "mlflow": ("mlflow", "mlflow"),
    "optuna": ("optuna", "optuna"),
}
DEFAULT_FILE = {"sqlite": "runs.db", "parquet": "runs.parquet", "optuna": "optuna.log"}

EXAMPLES = [
    ("output/batch_2026-11-27_13-30-00 --to sqlite", "runs.db (table runs) in the batch folder:"),
    ("BATCH --to parquet -o sweep.parquet", "A Parquet file (typed columns):"),
    ("BATCH --to mlflow", "MLflow runs in ./mlruns (then: mlflow ui):"),
    ("BATCH --to mlflow --tracking-uri http://127.0.0.1:5000", "To a tracking server:"),
    ("BATCH --to optuna --objective score_aesthetic",
     "An Optuna study (then: optuna-dashboard BATCH/optuna.log):"),
]  # fmt: skip


def _check_options(to: str, given: dict[str, Any]) -> None:
    for name, targets in ONLY_FOR.items():
        if given.get(name) and to not in targets:
            flag = "--" + name.replace("_", "-")
            raise ConfigError(f"{flag} applies to --to {' / '.join(targets)} only", field=flag)


def _sqlite(batch: Path, out: Path | None, opts: dict[str, Any]) -> str:
    from ..export.table import read_batch
    from ..export.to_sqlite import export_sqlite

    path = out or batch / DEFAULT_FILE["sqlite"]
    table_name = opts.get("table") or "runs"
    n = export_sqlite(read_batch(batch), path, table_name)
    click.echo(f"{n} runs -> {path} (table {table_name})", err=True)
    return str(path)


def _parquet(batch: Path, out: Path | None, opts: dict[str, Any]) -> str:
    from ..export.table import read_batch
    from ..export.to_parquet import export_parquet

    path = out or batch / DEFAULT_FILE["parquet"]
    n = export_parquet(read_batch(batch), path)
    click.echo(f"{n} runs -> {path}", err=True)
    return str(path)


def _mlflow(batch: Path, out: Path | None, opts: dict[str, Any]) -> str:
    from ..export.table import read_batch
    from ..export.to_mlflow import MlflowTarget, export_mlflow, folder_uri

    uri: str | None = opts.get("tracking_uri")
    if uri and out:
        raise ConfigError("give -o (a folder) or --tracking-uri, not both", field="--tracking-uri")
    table = read_batch(batch)
    target = MlflowTarget(
        tracking_uri=uri or folder_uri(out or Path("mlruns")),
        experiment=opts.get("experiment") or table.name,
        artifacts=not opts.get("no_artifacts"),
        replace=bool(opts.get("replace")),
    )
    n = export_mlflow(table, target)
    click.echo(f"{n} runs -> MLflow experiment {target.experiment!r}", err=True)
    return str(target.tracking_uri)


def _optuna(batch: Path, out: Path | None, opts: dict[str, Any]) -> str:
    from ..export.metrics import default_direction, pick_objective
    from ..export.table import read_batch
    from ..export.to_optuna import StudyTarget, export_optuna

    storage: str | None = opts.get("storage")
    if storage and out:
        raise ConfigError("give -o (a journal file) or --storage, not both", field="--storage")
    table = read_batch(batch)
    objective = pick_objective(table, opts.get("objective"))
    target = StudyTarget(
        storage=storage or str(out or batch / DEFAULT_FILE["optuna"]),
        study_name=opts.get("study_name") or table.name,
        objective=objective,
        direction=opts.get("direction") or default_direction(objective),
        replace=bool(opts.get("replace")),
    )
    res = export_optuna(table, target)
    skipped = f", {res.unscored} done runs without {objective} left out" if res.unscored else ""
    click.echo(
        f"study {target.study_name!r}: {res.complete} complete and {res.failed} failed "
        f"trials ({target.direction} {objective}){skipped}",
        err=True,
    )
    return str(target.storage)


EXPORTERS = {"sqlite": _sqlite, "parquet": _parquet, "mlflow": _mlflow, "optuna": _optuna}


@command(
    help="Export BATCH_DIR's runs (metadata.csv, typed by plan.json) to SQLite, "
    "Parquet, MLflow or Optuna, and print where they went. Parquet, MLflow and Optuna "
    "need their extra: pip install 'comfy-sweep[parquet]' (one line says which).",
    examples=EXAMPLES,
    exit_codes=(EXIT_OK, EXIT_USAGE),
    name="export",
)
@click.argument("batch_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--to", "to", type=click.Choice(TARGETS), required=True, help="Export format.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="sqlite/parquet: the file (default BATCH_DIR/runs.db, runs.parquet); "
    "mlflow: a folder store (default ./mlruns); optuna: a journal file (default BATCH_DIR/optuna.log).",
)
@click.option("--table", help="sqlite: the table name (default runs).")
@click.option(
    "--tracking-uri", help="mlflow: a tracking URI instead of a folder (http://…, sqlite:///…)."
)
@click.option("--experiment", help="mlflow: the experiment name (default the batch folder name).")
@click.option(
    "--no-artifacts", is_flag=True, help="mlflow: log params and metrics, not the output files."
)
@click.option("--storage", help="optuna: a journal file or a database URL (sqlite:///study.db).")
@click.option("--study-name", help="optuna: the study name (default the batch folder name).")
@click.option("--objective", help="optuna: the column to optimise (score_NAME or execution_s).")
@click.option(
    "--direction",
    type=click.Choice(["maximize", "minimize"]),
    help="optuna: default maximize for scores, minimize for execution_s.",
)
@click.option(
    "--replace", is_flag=True, help="mlflow/optuna: overwrite the batch's earlier export."
)
@handle_errors
def export(batch_dir: Path, to: str, output: Path | None, **opts: Any) -> None:
    _check_options(to, opts)
    if to in EXTRAS:
        from ..export.extras import need

        need(*EXTRAS[to])
    click.echo(EXPORTERS[to](batch_dir, output, opts))


main = export

if __name__ == "__main__":  # python -m comfy_sweep.cli.export
    main()
