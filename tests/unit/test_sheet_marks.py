"""The contact sheet's data for ratings and "which settings win": rating and
pick per run (from metadata.csv's optional columns), the sample index for best
of seeds, which way each metric is better; and cr-rate writing them."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from comfy_sweep.cli.rate import rate
from comfy_sweep.core.config.load import load_config, resolve_workflow_path
from comfy_sweep.core.plan.build import build_plan
from comfy_sweep.core.report.sheet import build_report_data, render_contact_sheet
from comfy_sweep.core.store.format import RunRecord
from comfy_sweep.core.store.marks import Mark, read_picked, read_rating
from comfy_sweep.core.store.runstore import RunStore
from comfy_sweep.core.workflow import load_workflow
from sheet_fixtures import write_synthetic_batch

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "configs"


def runs_by_id(data: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {r["id"]: r for r in data["runs"]}


def test_rating_is_a_metric_column_and_pick_a_flag(tmp_path: Path) -> None:
    marks = {2: {"rating": "4", "picked": "true"}, 3: {"rating": "9"}, 4: {"picked": "yes"}}
    root = write_synthetic_batch(tmp_path / "b", 6, seeds_per_sample=2, marks=marks)
    data = build_report_data(root)
    runs = runs_by_id(data)
    assert runs[2]["m"]["rating"] == 4.0 and runs[2]["pk"] is True
    assert "rating" not in runs[3]["m"]  # out of range: unrated, not an error
    assert runs[4]["pk"] is False and runs[1]["pk"] is False
    assert data["metrics"][:3] == ["execution_s", "file_size", "rating"]
    assert [runs[i]["s"] for i in range(1, 7)] == [0, 0, 1, 1, 2, 2]  # plan.json sample_index
    assert data["goals"]["rating"] == "maximize" and data["goals"]["execution_s"] == "minimize"


def test_rating_is_offered_before_any_run_is_rated(tmp_path: Path) -> None:
    root = write_synthetic_batch(tmp_path / "b", 3, scores=False)
    assert "rating" in build_report_data(root)["metrics"]


def test_goals_come_from_the_batch_config(tmp_path: Path) -> None:
    root = write_synthetic_batch(tmp_path / "b", 3)
    cfg = {"metrics": {"quality": {"type": "noise"}, "sharp": {"type": "sharpness", "goal": "minimize"},
                       "moves": {"type": "motion"}}}  # fmt: skip
    (root / "config.yaml").write_text(yaml.safe_dump(cfg))
    goals = build_report_data(root)["goals"]
    assert goals["score_quality"] == "minimize"  # the catalogue's default for noise
    assert goals["score_sharp"] == "minimize"  # the config's own goal
    assert "score_moves" not in goals  # motion has no better direction
    (root / "config.yaml").write_text("metrics: [")  # unreadable: only the hint is lost
    assert "score_quality" not in build_report_data(root)["goals"]


def test_mark_cells() -> None:
    assert Mark(4, True).extra() == {"rating": "4", "picked": "true"}
    assert Mark(0, False).extra() == {"rating": "", "picked": ""}
    assert Mark(picked=True).extra() == {"picked": "true"}
    assert read_rating({"rating": "5"}) == 5 and read_rating({"rating": "0"}) is None
    assert read_rating({"rating": "x"}) is None and read_picked({"picked": "true"})


# ------------------------------------------------------------------ cr-rate
def _cell(root: Path, run_id: int, col: str) -> str:
    with open(root / "metadata.csv", newline="", encoding="utf-8") as f:
        return next(r for r in csv.DictReader(f) if r["run_id"] == str(run_id)).get(col, "")


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    """examples/configs/image_grid.yaml's 6 runs, 1-3 finished."""
    cfg = load_config(EXAMPLES / "image_grid.yaml")
    wf = load_workflow(resolve_workflow_path(cfg))
    store = RunStore.create(tmp_path, cfg, wf, build_plan(cfg, wf))
    for run_id in (1, 2, 3):
        store.record_submitted(run_id, f"p{run_id}", {})
        out = store.run_dir(run_id) / "a.png"
        out.write_bytes(b"x")
        now = time.time()
        rel = out.relative_to(store.root).as_posix()
        store.record_result(RunRecord(run_id, "done", {}, f"p{run_id}", now, now, now, 1.0, [rel]))
    return store.root


def test_rate_sets_stars_and_pick_and_rewrites_the_sheet(batch: Path) -> None:
    render_contact_sheet(batch)
    out = CliRunner().invoke(rate, [str(batch), "2", "4", "--pick"])
    assert out.exit_code == 0, out.output
    assert out.output.strip() == "run 2: ★★★★☆ · picked"
    assert (_cell(batch, 2, "rating"), _cell(batch, 2, "picked")) == ("4", "true")
    sheet = json.loads((batch / "contact_sheet.json").read_text())
    assert runs_by_id(sheet)[2]["m"]["rating"] == 4.0
    out = CliRunner().invoke(rate, [str(batch), "2", "0"])  # stars cleared, pick kept
    assert out.output.strip() == "run 2: ☆☆☆☆☆ · picked"
    out = CliRunner().invoke(rate, [str(batch), "2", "3", "--no-pick"])
    assert (_cell(batch, 2, "rating"), _cell(batch, 2, "picked")) == ("3", "")
    assert RunStore.open(batch).record(2).extra == {"rating": "3"}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["99", "3"], "no run 99"),
        (["5", "3"], "run 5 has not finished"),
        (["1", "6"], "STARS"),
        (["0", "3"], "RUN_ID"),
    ],
)
def test_rate_bad_input_is_one_line(batch: Path, args: list[str], message: str) -> None:
    out = CliRunner().invoke(rate, [str(batch), *args])
    assert out.exit_code == 2 and message in out.output, out.output
    assert "Traceback" not in out.output


def test_rate_says_so_when_a_sweep_holds_the_lock(batch: Path, tmp_path: Path) -> None:
    sweep = RunStore.open(batch)
    with sweep.lock("cr-batch (pid 1234)"):  # a live holder (this process)
        out = CliRunner().invoke(rate, [str(batch), "1", "5", "--wait", "0.3"])
        assert out.exit_code == 4, out.output  # the batch is locked (exit code table)
        assert out.output.count("\n") == 1 and "nothing changed" in out.output
        assert "cr-batch (pid 1234)" in out.output
    assert _cell(batch, 1, "rating") == ""
    assert CliRunner().invoke(rate, [str(batch), "1", "5"]).exit_code == 0  # free again
