"""cr-refine's core (core/refine): ranking, narrowing math, seeds, the INT grid,
object_info bounds, comments; and the command on a real run store."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from comfy_sweep.cli.refine import refine as refine_cmd
from comfy_sweep.core.config.load import load_config, parse_config
from comfy_sweep.core.config.validate import validate_config
from comfy_sweep.core.errors import ConfigError
from comfy_sweep.core.objectinfo import ObjectInfo
from comfy_sweep.core.plan.build import build_plan
from comfy_sweep.core.plan.sampling import axis_values
from comfy_sweep.core.refine.narrow import Bounds, interval, snap
from comfy_sweep.core.refine.refine import refine_batch
from comfy_sweep.core.store.format import RunRecord
from comfy_sweep.core.store.runstore import RunStore
from comfy_sweep.core.workflow import load_workflow
from shared_paths import SAVED_OBJECT_INFO

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WORKFLOW = EXAMPLES / "image_noise_blur.json"
OPTIMUM = {"strength": 0.3, "blur_radius": 9, "sigma": 2.5}


def config(tmp_path: Path, **over: Any) -> Path:
    data: dict[str, Any] = {
        "workflow_file": str(WORKFLOW),
        "sampling_strategy": "sobol",
        "num_samples": 32,
        "seeds_per_sample": 1,
        "sweep_seed": 11,
        "parameters": {
            "strength": {"path": "nodes.2.inputs.strength", "min": 0.0, "max": 1.0},
            "blur_radius": {"path": "nodes.3.inputs.blur_radius", "min": 1, "max": 25},
            "sigma": {"path": "nodes.3.inputs.sigma", "min": 0.5, "max": 8.0, "log": True},
            "canvas": {"path": "nodes.1.inputs.color", "values": [0, 3355443, 16777215]},
            "seed": {"path": "nodes.2.inputs.seed", "type": "random_seed"},
        },
        "metrics": {"like": {"type": "similarity", "reference": "/nonexistent/ref.png"}},
    }
    data.update(over)
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def score(values: dict[str, Any]) -> float:
    d = (values["strength"] - 0.3) ** 2 + ((values["blur_radius"] - 9) / 24) ** 2
    d += (math.log(values["sigma"] / 2.5) / 2.8) ** 2
    return math.exp(-10 * d) + (0.1 if values["canvas"] == 0 else 0.0)


def finished_store(tmp_path: Path, scorer: Any = score, **over: Any) -> RunStore:
    cfg = load_config(config(tmp_path, **over))
    wf = load_workflow(WORKFLOW)
    store = RunStore.create(tmp_path / "out", cfg, wf, build_plan(cfg, wf))
    with store.lock("test"):
        for run in store.plan.runs:
            rec = RunRecord(run.run_id, "done", {}, f"p{run.run_id}", 1.0, 1.0, 2.0, 1.0, [])
            store.record_result(rec)
        store.merge_scores({r.run_id: {"like": scorer(r.values)} for r in store.plan.runs})
    return RunStore.open(store.root)


def top_values(store: RunStore, name: str, k: int) -> list[Any]:
    recs = sorted(store.records(), key=lambda r: -r.scores["like"])[:k]
    by_id = {r.run_id: r for r in store.plan.runs}
    return [by_id[r.run_id].values[name] for r in recs]


# ---- the math ----------------------------------------------------------------------


def test_interval_pads_half_a_cell_and_stays_inside_the_old_range() -> None:
    lo, hi, why = interval([0.4, 0.5], Bounds((0.0, 1.0)), cell=0.25)
    assert (lo, hi, why) == (pytest.approx(0.275), pytest.approx(0.625), [])
    lo, hi, why = interval([0.0, 0.1], Bounds((0.0, 1.0)), cell=0.25)
    assert lo == 0.0 and not why  # no object_info: never past the old range


def test_interval_grows_past_an_edge_only_up_to_the_input_bound() -> None:
    lo, hi, why = interval([4.0, 6.0], Bounds((2.0, 6.0), (1.0, 6.5)), cell=0.5)
    assert hi == 6.5 and lo == pytest.approx(3.0) and why == ["the best runs sit on the old max"]
    lo, hi, _ = interval([4.0, 5.0], Bounds((2.0, 6.0), (1.0, 100.0)), cell=0.5)
    assert hi == 6.0  # not on the edge: stays inside


def test_snap_rounds_outward_onto_the_int_step_grid_within_bounds() -> None:
    assert snap(13.2, 27.9, Bounds((8.0, 64.0), (8.0, 64.0), step=8.0, origin=8.0)) == (8, 32)
    assert snap(1.4, 9.6, Bounds((1.0, 9.0), step=1.0)) == (1, 9)
    lo, hi = snap(0.2731, 0.6249, Bounds((0.0, 1.0)))
    assert lo <= 0.2731 and hi >= 0.6249 and (lo, hi) == (0.27, 0.63)


def test_log_ranges_narrow_in_log_space() -> None:
    lo, hi, _ = interval([1.0, 1.0], Bounds((0.1, 10.0)), cell=0.5, log=True)
    assert lo == pytest.approx(10**-0.5) and hi == pytest.approx(10**0.5)


# ---- a batch ------------------------------------------------------------------------


def test_ranges_contain_the_top_runs_are_narrower_and_on_the_int_grid(tmp_path: Path) -> None:
    store = finished_store(tmp_path)
    out = refine_batch(store, "like", top=5)
    params = out.config["parameters"]
    for name in ("strength", "blur_radius", "sigma"):
        old = store.config.parameters[name]
        new = params[name]
        assert old.min <= new["min"] <= new["max"] <= old.max
        assert new["max"] - new["min"] < old.max - old.min
        assert all(new["min"] <= v <= new["max"] for v in top_values(store, name, 5))
    assert isinstance(params["blur_radius"]["min"], int) and isinstance(
        params["blur_radius"]["max"], int
    )
    assert params["sigma"]["log"] is True
    assert params["seed"] == {"path": "nodes.2.inputs.seed", "type": "random_seed"}
    assert out.config["sampling_strategy"] == "sobol"
    assert set(params["canvas"]["values"]) == set(top_values(store, "canvas", 5))


def test_yaml_says_what_changed_and_parses_back(tmp_path: Path) -> None:
    store = finished_store(tmp_path)
    out = refine_batch(store, "score_like", top=5)
    text = out.yaml
    assert (
        text.startswith("# next sweep refined by cr-refine from out")
        or "refined by cr-refine" in text
    )
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("# strength:"))
    assert "0–1 →" in line and "around the top 5 by score_like" in line
    assert "# seed: stays random" in text
    cfg = parse_config(text, source="next.yaml")
    validate_config(cfg, load_workflow(WORKFLOW))  # runs with cr-batch as it is
    assert cfg.parameters["strength"].max == out.config["parameters"]["strength"]["max"]


def test_ties_at_the_last_place_are_kept(tmp_path: Path) -> None:
    store = finished_store(tmp_path, scorer=lambda v: round(v["strength"], 1))
    out = refine_batch(store, "like", top=2)
    best = max(r.scores["like"] for r in store.records())
    tied = [r for r in store.records() if r.scores["like"] >= sorted(
        (x.scores["like"] for x in store.records()), reverse=True)[1]]  # fmt: skip
    assert (
        len(out.ranking.top) == len(tied) >= 2
        and out.ranking.values[out.ranking.top[0].run_id] == best
    )
    if out.ranking.ties:
        assert any("tie the last place" in n for n in out.notes)


def test_production_is_a_grid_over_the_best_values_with_their_seeds(tmp_path: Path) -> None:
    store = finished_store(tmp_path)
    out = refine_batch(store, "like", top=3, production=True)
    cfg = parse_config(out.yaml, source="prod.yaml")
    validate_config(cfg, load_workflow(WORKFLOW))
    assert cfg.sampling_strategy == "grid" and cfg.seeds_per_sample == 1
    best = sorted(store.records(), key=lambda r: -r.scores["like"])[:3]
    by_id = {r.run_id: r for r in store.plan.runs}
    seeds = cfg.parameters["seed"]
    assert seeds.type == "values" and set(seeds.values or []) == {
        by_id[r.run_id].values["seed"] for r in best
    }
    for rec in best:  # every best run is one point of the grid, with its own seed
        run = by_id[rec.run_id]
        for name in ("strength", "blur_radius", "sigma", "seed"):
            assert run.values[name] in axis_values(cfg.parameters[name])
    assert "production grid" in out.yaml


def test_minimize_and_rating(tmp_path: Path) -> None:
    store = finished_store(tmp_path)
    low = refine_batch(store, "like", top=3, goal="minimize")
    assert low.ranking.goal == "minimize"
    worst = min(r.scores["like"] for r in store.records())
    assert low.ranking.values[low.ranking.top[0].run_id] == worst
    with store.lock("t"):
        store.set_extra(5, {"rating": "5"})
        store.set_extra(7, {"rating": "4"})
    rated = refine_batch(RunStore.open(store.root), "rating", top=1)
    assert [r.run_id for r in rated.ranking.top] == [5] and rated.ranking.label == "rating"


def test_unknown_metric_is_one_line_naming_the_columns(tmp_path: Path) -> None:
    store = finished_store(tmp_path)
    with pytest.raises(ConfigError) as err:
        refine_batch(store, "sharpness")
    assert "score_sharpness" in err.value.message and "score_like" in err.value.message


def test_object_info_lets_a_range_grow_to_the_input_bound(tmp_path: Path) -> None:
    # the best strength sits on the batch's max 0.5; ImageAddNoise's strength goes to 1.0
    over = {"parameters": {
        "strength": {"path": "nodes.2.inputs.strength", "min": 0.1, "max": 0.5},
        "sigma": {"path": "nodes.3.inputs.sigma", "min": 0.5, "max": 8.0},
    }}  # fmt: skip
    store = finished_store(tmp_path, scorer=lambda v: v["strength"], **over)
    if not SAVED_OBJECT_INFO.is_file():
        pytest.skip("../shared object_info not present")
    info = ObjectInfo(json.loads(SAVED_OBJECT_INFO.read_text(encoding="utf-8")))
    grown = refine_batch(store, "like", top=3, object_info=info).config["parameters"]["strength"]
    kept = refine_batch(store, "like", top=3).config["parameters"]["strength"]
    assert kept["max"] == 0.5 and 0.5 < grown["max"] <= 1.0


def test_command_writes_a_config_cr_batch_accepts(tmp_path: Path) -> None:
    store = finished_store(tmp_path)
    target = tmp_path / "next" / "next.yaml"
    target.parent.mkdir()
    res = CliRunner().invoke(refine_cmd, [str(store.root), "--by", "like", "-o", str(target)])
    assert res.exit_code == 0, res.output
    cfg = load_config(target)
    assert (target.parent / cfg.workflow_file).resolve() == WORKFLOW.resolve()
    validate_config(cfg, load_workflow(WORKFLOW))
    again = CliRunner().invoke(refine_cmd, [str(store.root), "--by", "like", "-o", str(target)])
    assert again.exit_code == 2 and "--force" in again.output
    bad = CliRunner().invoke(refine_cmd, [str(store.root), "--by", "nope"])
    assert bad.exit_code == 2 and "score_nope" in bad.output and "Traceback" not in bad.output
