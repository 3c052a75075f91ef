"""Phase planning of comfy-sweep explore (core/explore): what varies, the budget
split, skipped phases, winners carried forward, --only; the configs each step
writes are checked by the real planner (build_plan) against the saved object_info."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from comfy_sweep.core.analyzer import analyze
from comfy_sweep.core.config.load import parse_config
from comfy_sweep.core.errors import ConfigError, PlanError
from comfy_sweep.core.explore.budget import grid_shape, split_budget
from comfy_sweep.core.explore.hero import hero_config, production_config
from comfy_sweep.core.explore.importance import importance
from comfy_sweep.core.explore.model import Objective, Step, StepResult, plan_steps
from comfy_sweep.core.explore.phases import (
    Common,
    mined_seeds,
    narrow,
    second_seed,
    step_config,
)
from comfy_sweep.core.explore.settings import choose_objective, metrics_section
from comfy_sweep.core.explore.space import Space, build_space, parse_only
from comfy_sweep.core.explore.winners import Row, ranked, run_winner, surf_winner
from comfy_sweep.core.objectinfo import ObjectInfo
from comfy_sweep.core.plan.build import build_plan
from comfy_sweep.core.workflow import Workflow, load_workflow
from shared_paths import SAVED_OBJECT_INFO, SHARED_WORKFLOWS

API = SHARED_WORKFLOWS / "api"
needs_shared = pytest.mark.skipif(not SAVED_OBJECT_INFO.is_file(), reason="../shared absent")
MAX = Objective("sim", "maximize")

# A model-free workflow: no sampler, two continuous inputs, a COMBO and a seed.
ROTATE = {
    "1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 64, "batch_size": 1, "color": 8421504}},
    "2": {"class_type": "ImageAddNoise", "inputs": {"image": ["1", 0], "seed": 7, "strength": 0.3}},
    "3": {"class_type": "ImageBlur", "inputs": {"image": ["2", 0], "blur_radius": 4, "sigma": 1.0}},
    "4": {"class_type": "ImageRotate", "inputs": {"image": ["3", 0], "rotation": "none"}},
    "5": {"class_type": "SaveImage", "inputs": {"images": ["4", 0], "filename_prefix": "x"}},
}  # fmt: skip
ONLY = [
    "nodes.2.inputs.strength=0.05:0.95",
    "nodes.3.inputs.sigma=0.3:4",
    "nodes.4.inputs.rotation",
]


@pytest.fixture(scope="module")
def oi() -> ObjectInfo:
    if not SAVED_OBJECT_INFO.is_file():
        pytest.skip("../shared absent")
    return ObjectInfo.load(SAVED_OBJECT_INFO)


def space_of(wf: Workflow, oi: ObjectInfo, only: list[str] | None = None) -> Space:
    return build_space(analyze(wf, oi), [parse_only(o) for o in only or []])


def common(wf_file: str = "/wf.json", objective: Objective | None = MAX) -> Common:
    return Common(wf_file, {}, objective, sweep_seed=11, server="127.0.0.1:8188")


def planned(data: dict[str, Any], wf: Workflow, oi: ObjectInfo) -> list[dict[str, Any]]:
    """The runs the real planner makes of a step's config."""
    data = {**data, "workflow_file": "wf.json"}
    plan = build_plan(parse_config(data, source="step.yaml"), wf, oi)
    return [dict(r.values) for r in plan.runs]


def result(
    key: str, values: dict[str, Any], score: float | None, run_id: int = 1, runs: int = 18
) -> StepResult:
    winner = {"run_id": run_id, "values": values, "score": score, "batch": key, "outputs": []}
    return StepResult(key, key, "sha", runs=runs, winner=winner, table=[winner])


# ---- budget ------------------------------------------------------------------------------------
def test_grid_shape_is_balanced_and_fits() -> None:
    assert grid_shape(9, 42, 9) == (3, 3)
    assert grid_shape(10, 42, 9) == (5, 2)  # 10 combinations fit exactly
    assert grid_shape(16, 42, 1) == (16, 1)  # no scheduler axis
    assert grid_shape(50, 3, 2) == (3, 2)  # every combination there is


def test_split_with_every_phase() -> None:
    s = split_budget(
        64, samplers=42, schedulers=9, has_search=True, has_seeds=True, rounds_allowed=True
    )
    assert s.total == 64
    assert s.surfing == 18 and (s.samplers, s.schedulers) == (3, 3)  # ~30 %, 2 seeds each
    assert s.seeds == 13  # ~20 %
    assert s.rounds == (18, 9, 6) and s.search == 33


def test_split_without_sampler_skips_surfing() -> None:
    s = split_budget(
        40, samplers=0, schedulers=0, has_search=True, has_seeds=True, rounds_allowed=True
    )
    assert s.surfing == 0 and s.seeds == 8 and s.search == 32
    assert [st.key for st in plan_steps(s)] == ["search1", "search2", "search3", "seeds"]


def test_split_for_a_person_has_one_search_round() -> None:
    s = split_budget(
        40, samplers=5, schedulers=5, has_search=True, has_seeds=True, rounds_allowed=False
    )
    assert len(s.rounds) == 1 and s.total == 40
    assert [st.phase for st in plan_steps(s)] == ["surfing", "search", "seeds"]


def test_small_rounds_are_folded_into_the_one_before() -> None:
    s = split_budget(
        12, samplers=0, schedulers=0, has_search=True, has_seeds=False, rounds_allowed=True
    )
    assert s.rounds == (12,)  # 6/3/2 would make rounds too small to narrow on


def test_split_without_search_gives_the_rest_to_seeds() -> None:
    s = split_budget(
        20, samplers=4, schedulers=1, has_search=False, has_seeds=True, rounds_allowed=True
    )
    assert s.search == 0 and s.surfing == 6 and s.seeds == 14 and s.total == 20


def test_split_refuses_nothing_and_too_little() -> None:
    with pytest.raises(PlanError, match="nothing to explore"):
        split_budget(
            10, samplers=0, schedulers=0, has_search=False, has_seeds=False, rounds_allowed=True
        )
    with pytest.raises(PlanError, match="too small"):
        split_budget(
            2, samplers=0, schedulers=0, has_search=True, has_seeds=True, rounds_allowed=True
        )


def test_a_larger_budget_only_grows_the_seed_list() -> None:
    assert mined_seeds(5, 8) == mined_seeds(5, 20)[:8]  # the seeds batch is extended, not redone
    assert len(set(mined_seeds(5, 20))) == 20


# ---- what varies ---------------------------------------------------------------------------------
@needs_shared
def test_space_of_the_shared_workflows(oi: ObjectInfo) -> None:
    for path in sorted(API.glob("*.json")):
        space = space_of(load_workflow(path), oi)
        assert [a.name for a in space.surf] == ["sampler_name", "scheduler"], path.name
        sampler = space.surf[0]
        assert sampler.candidates[0] == sampler.value  # the workflow's own value first
        assert len(sampler.candidates) == 42 and "euler" in sampler.candidates[:6]
        assert {"steps", "cfg"} <= {a.name for a in space.search}, path.name
        assert [a.name for a in space.seeds] == ["seed"], path.name


@needs_shared
def test_refiner_samplers_are_one_linked_axis(oi: ObjectInfo) -> None:
    space = space_of(load_workflow(API / "sdxl_refiner_prompt_example.json"), oi)
    assert len(space.surf[0].paths) == 2  # both KSamplerAdvanced nodes, one axis
    assert len(space.seeds) == 1  # the refiner's seed is unused (add_noise disabled)


def test_a_workflow_without_sampler_has_no_surfing(oi: ObjectInfo) -> None:
    space = space_of(Workflow(ROTATE), oi)
    assert space.surf == [] and not space.has_surfing
    assert space.search == []  # nothing the analyzer enables by default
    space = space_of(Workflow(ROTATE), oi, ONLY)
    assert [a.name for a in space.search] == ["strength", "sigma", "rotation"]
    assert space.axis("strength").entry == {"type": "continuous", "min": 0.05, "max": 0.95}
    assert space.axis("rotation").entry["values"] == [
        "none",
        "90 degrees",
        "180 degrees",
        "270 degrees",
    ]


@needs_shared
def test_only_narrows_what_varies(oi: ObjectInfo) -> None:
    wf = load_workflow(API / "lora.json")
    space = space_of(wf, oi, ["cfg=2:9", "scheduler=normal,karras"])
    assert [a.name for a in space.search] == ["cfg"]
    assert space.search[0].entry == {"type": "continuous", "min": 2.0, "max": 9.0}
    assert [a.name for a in space.surf] == ["scheduler"]
    assert space.surf[0].candidates == ("normal", "karras")
    with pytest.raises(ConfigError, match="not a literal input"):
        space_of(wf, oi, ["nodes.3.inputs.nope"])
    with pytest.raises(ConfigError, match="MIN < MAX"):
        parse_only("cfg=9:2")


# ---- the steps' configs ------------------------------------------------------------------------
@needs_shared
def test_surfing_grid_uses_the_same_two_seeds(oi: ObjectInfo) -> None:
    wf = load_workflow(API / "default.json")
    space = space_of(wf, oi)
    split = split_budget(
        64, samplers=42, schedulers=9, has_search=True, has_seeds=True, rounds_allowed=True
    )
    step = plan_steps(split)[0]
    runs = planned(step_config(common(), space, step, {}, (3, 3)), wf, oi)
    assert len(runs) == split.surfing == 18
    assert {r["seed"] for r in runs} == {wf.prompt["3"]["inputs"]["seed"], second_seed(11)}
    combos = {(r["sampler_name"], r["scheduler"]) for r in runs}
    assert len(combos) == 9 and ("euler", "normal") in combos


@needs_shared
def test_winners_are_carried_forward(oi: ObjectInfo) -> None:
    wf = load_workflow(API / "default.json")
    space = space_of(wf, oi)
    split = split_budget(
        64, samplers=42, schedulers=9, has_search=True, has_seeds=True, rounds_allowed=True
    )
    steps = {s.key: s for s in plan_steps(split)}
    surf = result("surfing", {"sampler_name": "dpmpp_2m", "scheduler": "karras", "seed": 99}, 0.5)
    runs = planned(
        step_config(common(), space, steps["search1"], {"surfing": surf}, (3, 3)), wf, oi
    )
    assert len(runs) == 18
    assert {(r["sampler_name"], r["scheduler"], r["seed"]) for r in runs} == {
        ("dpmpp_2m", "karras", 99)
    }
    assert len({r["cfg"] for r in runs}) > 10  # Sobol over the analyzer's range 4..12
    best = {"sampler_name": "dpmpp_2m", "scheduler": "karras", "seed": 99, "steps": 24, "cfg": 6.5}
    done = {"surfing": surf, "search1": result("search1", best, 0.8)}
    runs = planned(step_config(common(), space, steps["search2"], done, (3, 3)), wf, oi)
    # around the best run: half a design cell of round 1 (18 runs over 2 ranges) each side
    cfgs, steps_ = [r["cfg"] for r in runs], [r["steps"] for r in runs]
    assert min(cfgs) >= 5.5 and max(cfgs) <= 7.5 and min(steps_) >= 21 and max(steps_) <= 27
    assert max(cfgs) - min(cfgs) > 1.0
    worse = {**best, "cfg": 11.0}
    done["search2"] = result("search2", worse, 0.7)  # round 2 did worse: round 1's best stays
    runs = planned(step_config(common(), space, steps["seeds"], done, (3, 3)), wf, oi)
    assert len(runs) == split.seeds and {r["cfg"] for r in runs} == {6.5}
    assert {r["steps"] for r in runs} == {24} and len({r["seed"] for r in runs}) == split.seeds


def test_narrow_stays_inside_and_on_the_grid(oi: ObjectInfo) -> None:
    space = space_of(Workflow(ROTATE), oi, ONLY)
    strength = space.axis("strength")
    assert narrow(strength, 0.9, 2) == {"type": "continuous", "min": 0.59, "max": 0.95}
    assert narrow(strength, 0.5, 3) == {"type": "continuous", "min": 0.428, "max": 0.572}
    assert narrow(space.axis("rotation"), "180 degrees", 2) == {
        "type": "values",
        "values": ["180 degrees"],
    }


# ---- winners -----------------------------------------------------------------------------------
def rows() -> list[Row]:
    return [
        Row(1, {"sampler_name": "euler", "scheduler": "normal", "seed": 1}, 0.9),
        Row(2, {"sampler_name": "euler", "scheduler": "normal", "seed": 2}, 0.1),
        Row(3, {"sampler_name": "ddim", "scheduler": "normal", "seed": 1}, 0.6),
        Row(4, {"sampler_name": "ddim", "scheduler": "normal", "seed": 2}, 0.6, rating=5),
        Row(
            5,
            {"sampler_name": "uni_pc", "scheduler": "karras", "seed": 1},
            None,
            picked=True,
            rating=2,
        ),
    ]


def test_surfing_compares_combinations_by_their_mean() -> None:
    winner, table = surf_winner(rows(), ["sampler_name", "scheduler"], MAX)
    assert winner is not None and winner["values"]["sampler_name"] == "ddim"  # 0.6 > (0.9+0.1)/2
    assert [t["label"] for t in table] == ["ddim / normal", "euler / normal"]
    winner, _ = surf_winner(rows(), ["sampler_name"], Objective("sim", "minimize"))
    assert winner is not None and winner["values"]["sampler_name"] == "euler"


def test_a_person_decides_by_picks_then_stars() -> None:
    winner, _ = surf_winner(rows(), ["sampler_name", "scheduler"], None)
    assert winner is not None and winner["run_id"] == 5  # picked beats 5 stars
    assert [r.run_id for r in ranked(rows(), None)] == [5, 4]
    unrated = [Row(1, {"cfg": 1}), Row(2, {"cfg": 2})]
    assert run_winner(unrated, None)[0] is None  # nothing rated yet: the exploration waits


def test_importance_ranks_the_parameter_that_matters(oi: ObjectInfo) -> None:
    space = space_of(Workflow(ROTATE), oi, ONLY)
    data = [
        Row(i, {"strength": 0.05 + 0.06 * i, "sigma": 0.3 + (i * 7 % 10) * 0.3,
                "rotation": ["none", "180 degrees"][i % 2]}, 1.0 - abs(0.05 + 0.06 * i - 0.55))
        for i in range(14)
    ]  # fmt: skip
    table = importance(data, space.search)
    assert table[0]["name"] == "strength" and table[0]["measure"] == "spearman"
    names = [e["name"] for e in table]
    assert set(names) == {"strength", "sigma", "rotation"}
    assert table[-1]["strength"] < 0.5


def test_hero_and_production_configs(oi: ObjectInfo, tmp_path: Path) -> None:
    space = space_of(Workflow(ROTATE), oi, ONLY)
    values = {"strength": 0.5575, "sigma": 1.75, "rotation": "180 degrees"}
    heroes = [{"values": {**values, "seed": 7}}, {"values": {**values, "seed": 123}},
              {"values": {**values, "strength": 0.2, "seed": 5}}]  # fmt: skip
    hero = hero_config(common(), space, heroes, tmp_path / "hero")
    assert hero is not None
    params = hero["parameters"]
    assert params["seed"]["values"] == [7, 123]  # the third hero has other settings
    assert params["strength"]["values"] == [0.5575]
    ranking = [{"name": "sigma"}, {"name": "strength"}]
    prod = production_config(common(), space, heroes, ranking, 3, tmp_path / "prod")
    assert prod is not None and prod["sampling_strategy"] == "grid"
    assert len(prod["parameters"]["sigma"]["values"]) == 3
    assert len(prod["parameters"]["strength"]["values"]) == 3
    assert prod["parameters"]["rotation"]["values"] == ["180 degrees"]
    runs = planned(prod, Workflow(ROTATE), oi)
    assert len(runs) == 3 * 3 * 2


# ---- settings ------------------------------------------------------------------------------------
def test_metric_arguments_and_objective(tmp_path: Path) -> None:
    raw = metrics_section(["sim=similarity:ref.png", "db=similarity:ref.png,psnr"], None, tmp_path)
    assert raw["sim"]["reference"] == str(tmp_path / "ref.png")
    assert raw["db"]["measure"] == "psnr"
    assert choose_objective(raw, None) is None  # two metrics, none named: the person decides
    assert choose_objective(raw, "db") == Objective("db", "maximize")
    raw = metrics_section([], "noise", tmp_path)
    assert choose_objective(raw, "noise") == Objective("noise", "minimize")
    with pytest.raises(ConfigError, match="motion"):
        choose_objective(metrics_section([], "motion", tmp_path), "motion")
    with pytest.raises(ConfigError, match="NAME=TYPE"):
        metrics_section(["similarity"], None, tmp_path)
    assert Step("seeds", "seeds", 4).folder == "phase3_seeds"


# ---- cr-analyze --recipes ------------------------------------------------------------------------
@needs_shared
@pytest.mark.parametrize("flag", ["--recipes", "--generate-category-templates"])
def test_analyze_writes_the_three_phase_configs(flag: str, oi: ObjectInfo, tmp_path: Path) -> None:
    from click.testing import CliRunner
    from comfy_sweep.cli.analyze import main as cr_analyze

    args = [
        str(API / "lora.json"),
        flag,
        "-o",
        str(tmp_path),
        "--object-info",
        str(SAVED_OBJECT_INFO),
    ]
    res = CliRunner().invoke(cr_analyze, args)
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "lora_phase1_surfing.yaml",
        "lora_phase2_search.yaml",
        "lora_phase3_seeds.yaml",
    ]
    wf = load_workflow(API / "lora.json")
    counts = {}
    for path in tmp_path.iterdir():
        data = yaml.safe_load(path.read_text())
        counts[path.name] = len(planned(data, wf, oi))
    assert counts["lora_phase1_surfing.yaml"] == 18  # 3 samplers x 3 schedulers x 2 seeds
    assert counts["lora_phase2_search.yaml"] == 33 and counts["lora_phase3_seeds.yaml"] == 13
    res = CliRunner().invoke(cr_analyze, args)  # never overwritten without --force
    assert res.exit_code == 2 and "exists" in res.output
