"""cr-export on batches made by the real ComfyUI, read back with each target's
own reader: sqlite3 rows and column types, the Parquet schema (pyarrow),
MLflow runs (its client, on a local folder store), Optuna trials (optuna, on a
journal file and on SQLite). Plus metadata.csv in pandas with no options.

Two batches, made once for the module: an image Sobol sweep (floats, an int
range, categorical ints, seeds; every run done, scored by mean brightness) and a
video grid in which odd widths fail in ComfyUI (h264 refuses them)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from comfy_sweep.cli.batch import main as cr_batch
from comfy_sweep.cli.export import export as cr_export
from comfy_sweep.core.store.runstore import RunStore
from PIL import Image, ImageStat

pytestmark = pytest.mark.comfy
IMAGE_PARAMS = {
    "strength": {"path": "nodes.2.inputs.strength", "type": "continuous", "min": 0.1, "max": 0.9},
    "sigma": {"path": "nodes.3.inputs.sigma", "type": "continuous", "min": 0.5, "max": 4.0},
    "blur_radius": {
        "path": "nodes.3.inputs.blur_radius",
        "type": "linear",
        "min": 1,
        "max": 7,
        "step": 3,
    },
    "color": {"path": "nodes.1.inputs.color", "type": "values", "values": [3355443, 8421504]},
    "seed": {"path": "nodes.2.inputs.seed", "type": "random_seed"},
}
VIDEO_PARAMS = {
    "width": {"path": "nodes.1.inputs.width", "values": [128, 129]},
    "strength": {"path": "nodes.2.inputs.strength", "values": [0.2, 0.6]},
}


def _run_batch(server: Any, examples: Path, dest: Path, workflow: str, **cfg: Any) -> Path:
    data = {"workflow_file": str(examples / workflow), "sweep_seed": 7, **cfg}
    data["output"] = {"base_dir": str(dest / "output")}
    path = dest / "sweep.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    args = [str(path), "--server", server.address, "--mode", "client"]
    res = CliRunner().invoke(cr_batch, args)
    assert res.exit_code in (0, 1), res.output
    (batch,) = (dest / "output").iterdir()
    return batch


def _brightness(batch: Path, outputs: list[str]) -> float:
    with Image.open(batch / outputs[0]) as im:
        return round(float(ImageStat.Stat(im.convert("L")).mean[0]), 3)


@pytest.fixture(scope="module")
def image_batch(
    comfy_server: Any, examples_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    dest = tmp_path_factory.mktemp("export-image")
    batch = _run_batch(
        comfy_server, examples_dir, dest, "image_noise_blur.json",
        sampling_strategy="sobol", num_samples=4, parameters=IMAGE_PARAMS,
    )  # fmt: skip
    store = RunStore.open(batch)
    store.merge_scores(
        {r.run_id: {"brightness": _brightness(batch, r.outputs)} for r in store.records()}
    )
    return batch


@pytest.fixture(scope="module")
def video_batch(
    comfy_server: Any, examples_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    dest = tmp_path_factory.mktemp("export-video")
    batch = _run_batch(
        comfy_server, examples_dir, dest, "video_noise_blur.json",
        sampling_strategy="grid", parameters=VIDEO_PARAMS,
    )  # fmt: skip
    store = RunStore.open(batch)
    done = [r for r in store.records() if r.status == "done"]
    store.merge_scores(
        {r.run_id: {"size_kb": (batch / r.outputs[0]).stat().st_size / 1024} for r in done}
    )
    return batch


def export(*args: str) -> str:
    res = CliRunner().invoke(cr_export, list(args))
    assert res.exit_code == 0, res.output
    return res.stdout.strip()


def records(batch: Path) -> dict[int, Any]:
    return {r.run_id: r for r in RunStore.open(batch).records()}


# --------------------------------------------------------------------- the batches
def test_the_batches_are_what_the_tests_expect(image_batch: Path, video_batch: Path) -> None:
    img, vid = records(image_batch), records(video_batch)
    assert len(img) == 4 and all(r.status == "done" and r.scores for r in img.values())
    assert sorted(r.values["width"] for r in vid.values() if r.status == "failed") == [129, 129]
    assert sorted(r.values["width"] for r in vid.values() if r.status == "done") == [128, 128]


# --------------------------------------------------------------------- pandas
def test_metadata_csv_loads_in_pandas_with_no_options(image_batch: Path) -> None:
    pd = pytest.importorskip("pandas")
    df = pd.read_csv(image_batch / "metadata.csv")
    assert len(df) == 4 and sorted(df["run_id"]) == [1, 2, 3, 4]
    assert list(df.columns[:2]) == ["run_id", "status"]
    assert {"strength", "sigma", "blur_radius", "color", "seed", "execution_s"} <= set(df.columns)
    assert "score_brightness" in df.columns
    assert str(df["strength"].dtype) == "float64" and str(df["blur_radius"].dtype) == "int64"
    # The three conversions docs/run-store.md documents for full fidelity.
    started = pd.to_datetime(df["started_at"])
    assert str(started.dt.tz) == "UTC"
    outputs = df["outputs"].str.split(";")
    assert all(len(o) == 1 and o[0].endswith(".png") for o in outputs)
    rec = records(image_batch)
    for _, row in df.iterrows():
        assert outputs[_] == rec[row["run_id"]].outputs
        assert abs(started[_].timestamp() - rec[row["run_id"]].started_at) < 1e-3


# --------------------------------------------------------------------- SQLite
def test_sqlite_one_typed_runs_table(image_batch: Path, tmp_path: Path) -> None:
    out = export(str(image_batch), "--to", "sqlite", "-o", str(tmp_path / "s.db"))
    assert out == str(tmp_path / "s.db")
    conn = sqlite3.connect(out)
    conn.row_factory = sqlite3.Row
    info = {r["name"]: (r["type"], r["pk"]) for r in conn.execute("PRAGMA table_info(runs)")}
    assert info["run_id"] == ("INTEGER", 1)
    assert info["strength"][0] == "REAL" and info["blur_radius"][0] == "INTEGER"
    assert info["seed"][0] == "INTEGER" and info["color"][0] == "INTEGER"
    assert info["execution_s"][0] == "REAL" and info["score_brightness"][0] == "REAL"
    assert info["outputs"][0] == "TEXT" and info["started_at"][0] == "TEXT"
    rows = {r["run_id"]: r for r in conn.execute("SELECT * FROM runs")}
    for run_id, rec in records(image_batch).items():
        row = rows[run_id]
        assert row["strength"] == rec.values["strength"] and row["seed"] == rec.values["seed"]
        assert json.loads(row["outputs"]) == rec.outputs
        assert row["score_brightness"] == rec.scores["brightness"]
        started = datetime.fromisoformat(row["started_at"])
        assert abs(started.timestamp() - rec.started_at) < 1e-3
    typeof = conn.execute("SELECT typeof(strength), typeof(seed) FROM runs").fetchone()
    assert tuple(typeof) == ("real", "integer")
    conn.close()


def test_sqlite_export_again_replaces_the_table_and_keeps_others(
    video_batch: Path, tmp_path: Path
) -> None:
    db = tmp_path / "v.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE notes (t TEXT)")
    for _ in range(2):
        export(str(video_batch), "--to", "sqlite", "-o", str(db))
    conn = sqlite3.connect(db)
    statuses = conn.execute("SELECT status, error FROM runs ORDER BY run_id").fetchall()
    assert sorted(s for s, _ in statuses) == ["done", "done", "failed", "failed"]
    assert all(err for s, err in statuses if s == "failed")
    assert conn.execute("SELECT count(*) FROM notes").fetchone() == (0,)
    conn.close()


# --------------------------------------------------------------------- Parquet
def test_parquet_typed_columns(image_batch: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = Path(export(str(image_batch), "--to", "parquet"))
    assert out == image_batch / "runs.parquet"
    table = pq.read_table(out)
    types = {f.name: str(f.type) for f in table.schema}
    assert types["run_id"] == "int64" and types["strength"] == "double"
    assert types["blur_radius"] == "int64" and types["seed"] == "int64"
    assert types["started_at"] == "timestamp[ms, tz=UTC]"
    outputs = table.schema.field("outputs").type
    assert outputs.num_fields == 1 and str(outputs.value_type) == "string"  # list<string>
    assert types["score_brightness"] == "double"
    rows = {r["run_id"]: r for r in table.to_pylist()}
    for run_id, rec in records(image_batch).items():
        assert rows[run_id]["outputs"] == rec.outputs
        assert rows[run_id]["sigma"] == rec.values["sigma"]
        assert rows[run_id]["finished_at"].tzinfo is not None
        assert abs(rows[run_id]["finished_at"].timestamp() - rec.finished_at) < 1e-3


# --------------------------------------------------------------------- MLflow
def test_mlflow_one_run_per_sweep_run(video_batch: Path, tmp_path: Path) -> None:
    tracking = pytest.importorskip("mlflow.tracking")
    out = export(str(video_batch), "--to", "mlflow", "-o", str(tmp_path / "mlruns"))
    assert out.startswith("file://")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
        client = tracking.MlflowClient(tracking_uri=out)
        exp = client.get_experiment_by_name(video_batch.name)
        runs = client.search_runs([exp.experiment_id])
        by_id = {int(r.data.tags["comfy_sweep.run_id"]): r for r in runs}
        recs = records(video_batch)
        assert sorted(by_id) == sorted(recs)
        for run_id, rec in recs.items():
            run = by_id[run_id]
            assert run.data.params["width"] == str(rec.values["width"])
            assert run.data.params["strength"] == repr(rec.values["strength"])
            assert run.info.status == ("FINISHED" if rec.status == "done" else "FAILED")
            if rec.status == "done":
                assert run.data.metrics["score_size_kb"] == pytest.approx(rec.scores["size_kb"])
                assert run.data.metrics["execution_s"] == pytest.approx(rec.execution_s)
                names = [a.path for a in client.list_artifacts(run.info.run_id, "outputs")]
                assert names == ["outputs/" + Path(o).name for o in rec.outputs]
            else:
                assert "score_size_kb" not in run.data.metrics
                assert run.data.tags["comfy_sweep.error"] == rec.error[:5000]


def test_mlflow_twice_needs_replace(video_batch: Path, tmp_path: Path) -> None:
    pytest.importorskip("mlflow")
    args = [str(video_batch), "--to", "mlflow", "-o", str(tmp_path / "ml"), "--no-artifacts"]
    export(*args)
    res = CliRunner().invoke(cr_export, args)
    assert res.exit_code == 2 and "--replace" in res.output, res.output
    uri = export(*args, "--replace")
    tracking = pytest.importorskip("mlflow.tracking")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
        client = tracking.MlflowClient(tracking_uri=uri)
        exp = client.get_experiment_by_name(video_batch.name)
        assert len(client.search_runs([exp.experiment_id])) == 4  # replaced, not added


# --------------------------------------------------------------------- Optuna
def test_optuna_trials_with_distributions(image_batch: Path) -> None:
    optuna = pytest.importorskip("optuna")
    journal = export(str(image_batch), "--to", "optuna")
    assert journal == str(image_batch / "optuna.log")
    storage = optuna.storages.journal.JournalStorage(
        optuna.storages.journal.JournalFileBackend(journal)
    )
    study = optuna.load_study(study_name=image_batch.name, storage=storage)
    assert study.direction == optuna.study.StudyDirection.MAXIMIZE
    assert study.metric_names == ["score_brightness"]
    dists = study.trials[0].distributions
    d = optuna.distributions
    assert dists["strength"] == d.FloatDistribution(0.1, 0.9)
    assert dists["sigma"] == d.FloatDistribution(0.5, 4.0)
    assert dists["blur_radius"] == d.IntDistribution(1, 7, step=3)
    assert dists["color"] == d.CategoricalDistribution([3355443, 8421504])
    assert isinstance(dists["seed"], d.IntDistribution)
    recs = records(image_batch)
    by_run = {t.user_attrs["run_id"]: t for t in study.trials}
    assert sorted(by_run) == sorted(recs)
    for run_id, rec in recs.items():
        t = by_run[run_id]
        assert t.state == optuna.trial.TrialState.COMPLETE
        assert t.value == rec.scores["brightness"]
        assert t.params == {k: rec.values[k] for k in IMAGE_PARAMS}
        assert t.user_attrs["outputs"] == rec.outputs
    assert study.best_trial.value == max(r.scores["brightness"] for r in recs.values())
    importances = optuna.importance.get_param_importances(study)  # the default evaluator
    assert set(importances) == set(IMAGE_PARAMS)


def test_optuna_failed_runs_are_fail_trials_in_sqlite(video_batch: Path, tmp_path: Path) -> None:
    optuna = pytest.importorskip("optuna")
    url = f"sqlite:///{tmp_path / 'study.db'}"
    args = [str(video_batch), "--to", "optuna", "--storage", url, "--objective", "size_kb"]
    export(*args, "--direction", "minimize")
    study = optuna.load_study(study_name=video_batch.name, storage=url)
    assert study.direction == optuna.study.StudyDirection.MINIMIZE
    states = sorted((t.params["width"], t.state.name) for t in study.trials)
    assert states == [(128, "COMPLETE"), (128, "COMPLETE"), (129, "FAIL"), (129, "FAIL")]
    assert all(t.user_attrs["error"] for t in study.trials if t.state.name == "FAIL")
    res = CliRunner().invoke(cr_export, args)
    assert res.exit_code == 2 and "already exists" in res.output


def test_optuna_objective_must_be_a_column(video_batch: Path) -> None:
    pytest.importorskip("optuna")
    res = CliRunner().invoke(cr_export, [str(video_batch), "--to", "optuna", "--objective", "nope"])
    assert res.exit_code == 2
    assert "--objective" in res.output and "score_size_kb" in res.output
    assert "Traceback" not in res.output
