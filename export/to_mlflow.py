"""MLflow: one MLflow run per sweep run (the ``comfy-sweep[mlflow]`` extra).

Params are the run's parameter values (as metadata.csv writes them), metrics
the ``score_*`` columns and ``execution_s``, artifacts the run's outputs (under
``outputs/``) and the ``prompt.json`` it was queued with. Tags name the batch
and run id, so exporting again can find and replace the batch's runs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..core.errors import ConflictError
from .extras import need
from .metrics import metric_columns
from .table import BatchTable, Run

BATCH_TAG = "comfy_sweep.batch"
RUN_TAG = "comfy_sweep.run_id"
# MLflow 3 refuses a folder store unless told to keep using it (it recommends a
# database); a user who names a folder asked for one.
FILE_STORE_ENV = "MLFLOW_ALLOW_FILE_STORE"


@dataclass(frozen=True)
class MlflowTarget:
    tracking_uri: str  # file:///…/mlruns, http://…, sqlite:///…
    experiment: str
    artifacts: bool = True
    replace: bool = False


@contextmanager
def _file_store_allowed(uri: str) -> Iterator[None]:
    old = os.environ.get(FILE_STORE_ENV)
    if uri.startswith("file:"):
        os.environ[FILE_STORE_ENV] = "true"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(FILE_STORE_ENV, None)
        else:
            os.environ[FILE_STORE_ENV] = old


def _ms(dt: datetime | None) -> int | None:
    return None if dt is None else int(dt.timestamp() * 1000)


def _param_text(value: Any) -> str:
    """As metadata.csv writes the cell (docs/run-store.md): MLflow params are strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if value is None or isinstance(value, (int, str)):
        return "" if value is None else str(value)
    return json.dumps(value, ensure_ascii=False)


def _experiment(client: Any, target: MlflowTarget, batch: str) -> str:
    exp = client.get_experiment_by_name(target.experiment)
    if exp is None:
        return str(client.create_experiment(target.experiment))
    mine = client.search_runs([exp.experiment_id], f"tags.`{BATCH_TAG}` = '{batch}'")
    if mine and not target.replace:
        raise ConflictError(
            f"experiment {target.experiment!r} already holds the runs of {batch}; "
            "pass --replace to overwrite them or --experiment to choose another",
            field="--experiment",
        )
    while mine:
        for old in mine:
            client.delete_run(old.info.run_id)
        mine = client.search_runs([exp.experiment_id], f"tags.`{BATCH_TAG}` = '{batch}'")
    return str(exp.experiment_id)


def _log_run(
    mlflow: Any, client: Any, exp_id: str, table: BatchTable, run: Run, artifacts: bool
) -> None:
    row, rec = run.row, run.record
    tags = {BATCH_TAG: table.name, RUN_TAG: str(rec.run_id), "comfy_sweep.status": rec.status}
    if rec.prompt_id:
        tags["comfy_sweep.prompt_id"] = rec.prompt_id
    if rec.error:
        tags["comfy_sweep.error"] = rec.error[:5000]
    created = client.create_run(
        exp_id, start_time=_ms(row["started_at"]), tags=tags, run_name=run.folder
    )
    rid = created.info.run_id
    stamp = _ms(row["finished_at"]) or _ms(datetime.now()) or 0
    entities = mlflow.entities
    metrics = [
        entities.Metric(m, float(row[m]), stamp, 0)
        for m in metric_columns(table)
        if row[m] is not None
    ]
    params = [entities.Param(p, _param_text(row[p])) for p in table.params]
    client.log_batch(rid, metrics=metrics, params=params)
    if artifacts:
        for out in rec.outputs:
            client.log_artifact(rid, str(table.root / out), "outputs")
        prompt = table.root / "runs" / run.folder / "prompt.json"
        if prompt.is_file():
            client.log_artifact(rid, str(prompt))
    status = "FINISHED" if rec.status == "done" else "FAILED"
    client.set_terminated(rid, status, end_time=_ms(row["finished_at"]))


def folder_uri(folder: Path) -> str:
    return folder.resolve().as_uri()


def export_mlflow(table: BatchTable, target: MlflowTarget) -> int:
    """Log every recorded run; returns how many."""
    mlflow = need("mlflow", "mlflow")
    need("mlflow.entities", "mlflow")
    with _file_store_allowed(target.tracking_uri):
        client = mlflow.tracking.MlflowClient(tracking_uri=target.tracking_uri)
        exp_id = _experiment(client, target, table.name)
        for run in table.runs:
            _log_run(mlflow, client, exp_id, table, run, target.artifacts)
    return len(table.runs)
