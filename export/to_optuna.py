"""Optuna: one study, one trial per run (the ``comfy-sweep[optuna]`` extra).

Each parameter gets the distribution its config declares (``continuous`` and
``linear``: an int or float range; ``values``: categorical; ``random_seed``:
an int range), so optuna-dashboard draws parallel coordinates and computes
parameter importances. Done runs with a value in the objective column are
COMPLETE trials, failed runs FAIL trials; done runs not scored are left out.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..core.config.model import ParameterSpec
from ..core.errors import ConflictError
from .extras import need
from .metrics import metric_columns
from .table import BatchTable, Kind, Run

OPTUNA = "optuna"


@dataclass(frozen=True)
class StudyTarget:
    storage: str  # a journal file path, or a database URL (sqlite:///…)
    study_name: str
    objective: str
    direction: str
    replace: bool = False


@dataclass
class OptunaResult:
    complete: int = 0
    failed: int = 0
    unscored: int = 0  # done runs without an objective value: not a trial


def _choice(value: Any, kind: Kind) -> Any:
    """Categorical choices must be None, bool, int, float or str: lists become JSON."""
    return json.dumps(value) if kind == "json" else value


def _numeric_range(spec: ParameterSpec, values: list[Any]) -> tuple[float, float]:
    nums = [float(v) for v in values if v is not None]
    bounds = [b for b in (spec.min, spec.max) if b is not None]
    return min(nums + bounds), max(nums + bounds)


def distribution(optuna: Any, spec: ParameterSpec, kind: Kind, values: list[Any]) -> Any:
    """The Optuna distribution of one parameter, from its config and planned values."""
    d = optuna.distributions
    if spec.type == "values" or kind not in ("int", "float"):
        # The planned values, not the config's: the plan holds them as run (ints rounded).
        unique = list(dict.fromkeys(_choice(v, kind) for v in values if v is not None))
        return d.CategoricalDistribution(unique)
    low, high = _numeric_range(spec, values)
    if kind == "int":
        lo, hi = int(low), int(high)
        step = int(spec.step) if spec.type == "linear" and spec.step else 1
        step = step if step > 0 and (hi - lo) % step == 0 else 1
        return d.IntDistribution(lo, hi, log=spec.log and lo >= 1 and step == 1, step=step)
    return d.FloatDistribution(low, high, log=spec.log and low > 0)


def _naive(dt: datetime | None) -> datetime | None:
    """Optuna stores local naive datetimes (datetime.now())."""
    return None if dt is None else dt.astimezone().replace(tzinfo=None)


def _frozen(
    optuna: Any, run: Run, table: BatchTable, dists: dict[str, Any], target: StudyTarget
) -> Any:
    row, rec = run.row, run.record
    state = optuna.trial.TrialState
    done = rec.status == "done"
    start = _naive(row["started_at"] or row["queued_at"] or row["finished_at"]) or datetime.now()
    end = _naive(row["finished_at"]) or start
    attrs: dict[str, Any] = {"run_id": rec.run_id, "folder": run.folder, "outputs": row["outputs"]}
    attrs.update({m: row[m] for m in metric_columns(table) if row[m] is not None})
    if rec.error:
        attrs["error"] = rec.error
    params = {p: _choice(row[p], table.kind(p)) for p in table.params if row[p] is not None}
    return optuna.trial.FrozenTrial(
        number=0,
        trial_id=0,
        state=state.COMPLETE if done else state.FAIL,
        value=row[target.objective] if done else None,
        datetime_start=start,
        datetime_complete=end,
        params=params,
        distributions={p: dists[p] for p in params},
        user_attrs=attrs,
        system_attrs={},
        intermediate_values={},
    )


def _storage(optuna: Any, where: str) -> Any:
    if "://" in where:
        return where
    journal = optuna.storages.journal
    return journal.JournalStorage(journal.JournalFileBackend(where))


def _create(optuna: Any, storage: Any, target: StudyTarget) -> Any:
    exists = target.study_name in optuna.get_all_study_names(storage)
    if exists and not target.replace:
        raise ConflictError(
            f"study {target.study_name!r} already exists in {target.storage}; "
            "pass --replace to overwrite it or --study-name to choose another",
            field="--study-name",
        )
    if exists:
        optuna.delete_study(study_name=target.study_name, storage=storage)
    return optuna.create_study(
        storage=storage, study_name=target.study_name, direction=target.direction
    )


def export_optuna(table: BatchTable, target: StudyTarget) -> OptunaResult:
    optuna = need(OPTUNA, "optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = {
        p: distribution(optuna, table.specs[p], table.kind(p), table.planned[p])
        for p in table.params
    }
    result = OptunaResult()
    trials = []
    for run in table.runs:
        if run.record.status == "done" and run.row[target.objective] is None:
            result.unscored += 1
            continue
        trials.append(_frozen(optuna, run, table, dists, target))
        result.complete += run.record.status == "done"
        result.failed += run.record.status != "done"
    with warnings.catch_warnings():  # metric names are "experimental" in Optuna 3.x
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study = _create(optuna, _storage(optuna, target.storage), target)
        study.set_metric_names([target.objective])
    study.set_user_attr("comfy_sweep_batch", str(table.root))
    study.set_user_attr("objective", target.objective)
    study.add_trials(trials)
    return result
