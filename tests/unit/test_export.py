"""cr-export without a server: column types inferred from the plan, list and
boolean values through SQLite and Parquet, and every user mistake as one line
with exit 2 (a missing extra, an option of another target, not a batch)."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from comfy_sweep.cli.export import export as cr_export
from comfy_sweep.core.config.load import load_config, resolve_workflow_path
from comfy_sweep.core.plan.build import build_plan
from comfy_sweep.core.store.format import RunRecord
from comfy_sweep.core.store.runstore import RunStore
from comfy_sweep.core.workflow import load_workflow
from comfy_sweep.export.table import read_batch, value_kind

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    """A grid over list values and booleans; run 1 failed, the others done. Configs
    take literals only, so the lists are put in the plan (as a later feature could)."""
    cfg_path = tmp_path / "c.yaml"
    cfg_path.write_text(
        yaml.safe_dump(
            {
                "workflow_file": str(EXAMPLES / "image_noise_blur.json"),
                "sampling_strategy": "grid",
                "parameters": {
                    "pair": {"path": "nodes.1.inputs.color", "values": [1, 3]},
                    "flag": {"path": "nodes.1.inputs.batch_size", "values": [True, False]},
                },
            }
        )
    )
    cfg = load_config(cfg_path)
    wf = load_workflow(resolve_workflow_path(cfg))
    plan = build_plan(cfg, wf)
    lists = {1: [1, 2], 3: [3]}
    plan.runs = [
        dataclasses.replace(r, values={**r.values, "pair": lists[r.values["pair"]]})
        for r in plan.runs
    ]
    store = RunStore.create(tmp_path / "out", cfg, wf, plan)
    now = time.time()
    for run in store.plan.runs:
        out = store.run_dir(run.run_id) / "out.png"
        out.write_bytes(b"png")
        status = "failed" if run.run_id == 1 else "done"
        store.record_result(
            RunRecord(
                run.run_id, status, {}, f"p{run.run_id}", now - 2, now - 1, now, 0.5,
                [out.relative_to(store.root).as_posix()], error="boom" if status == "failed" else "",
            )
        )  # fmt: skip
    return store.root


def test_value_kinds() -> None:
    assert value_kind([1, 2, None]) == "int"
    assert value_kind([1, 2.5]) == "float"
    assert value_kind([True, False]) == "bool"
    assert value_kind([True, 1]) == "json"  # never silently 1 == True
    assert value_kind(["a", None]) == "text"
    assert value_kind([[1], [2, 3]]) == "json"


def test_table_types_come_from_the_plan(batch: Path) -> None:
    table = read_batch(batch)
    assert table.kind("pair") == "json" and table.kind("flag") == "bool"
    assert table.kind("started_at") == "time" and table.kind("outputs") == "list"
    assert [r.row["run_id"] for r in table.runs] == [1, 2, 3, 4]
    assert table.runs[0].row["error"] == "boom" and table.runs[1].row["error"] is None


def test_sqlite_keeps_lists_as_json_and_booleans_as_integers(batch: Path) -> None:
    res = CliRunner().invoke(cr_export, [str(batch), "--to", "sqlite", "--table", "t"])
    assert res.exit_code == 0, res.output
    conn = sqlite3.connect(batch / "runs.db")
    rows = conn.execute("SELECT run_id, pair, flag, outputs FROM t ORDER BY run_id").fetchall()
    plan = {r.run_id: r.values for r in RunStore.open(batch).plan.runs}
    for run_id, pair, flag, outputs in rows:
        assert json.loads(pair) == plan[run_id]["pair"]
        assert flag == int(plan[run_id]["flag"])
        assert json.loads(outputs) == [f"runs/{run_id:04d}/out.png"]
    conn.close()


def test_parquet_keeps_list_values_as_lists(batch: Path, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "x.parquet"
    res = CliRunner().invoke(cr_export, [str(batch), "--to", "parquet", "-o", str(out)])
    assert res.exit_code == 0, res.output
    table = pq.read_table(out)
    assert str(table.schema.field("pair").type).startswith("list<")
    assert str(table.schema.field("flag").type) == "bool"
    plan = {r.run_id: r.values for r in RunStore.open(batch).plan.runs}
    for row in table.to_pylist():
        assert row["pair"] == plan[row["run_id"]]["pair"]


@pytest.mark.parametrize(
    ("target", "extra"), [("parquet", "parquet"), ("mlflow", "mlflow"), ("optuna", "optuna")]
)
def test_missing_extra_is_one_line_and_exit_2(
    target: str, extra: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = {"parquet": "pyarrow", "mlflow": "mlflow", "optuna": "optuna"}[target]
    monkeypatch.setitem(sys.modules, module, None)  # import raises ImportError
    res = CliRunner().invoke(cr_export, [str(tmp_path), "--to", target])
    assert res.exit_code == 2
    assert res.output.strip().splitlines() == [
        f"error: {module} is not installed: install comfy-sweep[{extra}]"
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["--to", "sqlite", "--objective", "score_x"],
        ["--to", "parquet", "--tracking-uri", "http://127.0.0.1:5000"],
        ["--to", "sqlite", "--replace"],
    ],
)
def test_an_option_of_another_target_is_refused(batch: Path, args: list[str]) -> None:
    res = CliRunner().invoke(cr_export, [str(batch), *args])
    assert res.exit_code == 2
    assert "applies to --to" in res.output and len(res.output.strip().splitlines()) == 1


def test_not_a_batch_is_one_line(tmp_path: Path) -> None:
    res = CliRunner().invoke(cr_export, [str(tmp_path), "--to", "sqlite"])
    assert res.exit_code == 2
    assert res.output.strip() == (
        f"error: {tmp_path} is not a readable comfy-sweep batch: missing config.yaml"
    )


def test_metadata_csv_list_values_and_outputs_in_pandas(batch: Path) -> None:
    """docs/run-store.md's conversions for list values and outputs (the e2e test
    checks timestamps on a real batch)."""
    pd = pytest.importorskip("pandas")
    df = pd.read_csv(batch / "metadata.csv")
    plan = {r.run_id: r.values for r in RunStore.open(batch).plan.runs}
    assert len(df) == len(plan) and str(df["flag"].dtype) == "bool"
    for i, row in df.iterrows():
        assert json.loads(row["pair"]) == plan[row["run_id"]]["pair"]
        assert row["flag"] == plan[row["run_id"]]["flag"]
        assert df["outputs"].str.split(";")[i] == [f"runs/{row['run_id']:04d}/out.png"]
