"""Plans: run counts, determinism, cache-aware order, extension, folders, JSON."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from typing import Any

import pytest
from comfy_sweep.core.config.load import parse_config
from comfy_sweep.core.config.model import SEED_LIMIT
from comfy_sweep.core.errors import ConfigError, PlanError
from comfy_sweep.core.objectinfo import ObjectInfo
from comfy_sweep.core.plan.build import build_plan, format_plan_table, prompt_for_run
from comfy_sweep.core.plan.extend import extend_plan
from comfy_sweep.core.plan.folders import format_run_folder, sanitize_folder
from comfy_sweep.core.plan.model import Plan
from comfy_sweep.core.plan.order import count_value_changes, recompute_cost
from comfy_sweep.core.workflow import Workflow
from hypothesis import given, settings
from hypothesis import strategies as st
from original_suite import README_LORA
from shared_paths import SHARED_WORKFLOWS


def sampler_workflow() -> Workflow:
    """Nodes 91 and 92 (LoRA loaders on one model) feed KSamplerAdvanced 57."""
    lora = {
        "class_type": "LoraLoaderModelOnly",
        "inputs": {"model": ["90", 0], "lora_name": "l", "strength_model": 1.0},
    }
    return Workflow.from_data(
        {
            "90": {
                "class_type": "UNETLoader",
                "inputs": {"unet_name": "m", "weight_dtype": "default"},
            },
            "91": lora,
            "92": json.loads(json.dumps(lora)),
            "57": {
                "class_type": "KSamplerAdvanced",
                "inputs": {"model": ["91", 0], "noise_seed": 7, "cfg": 3.5},
            },
        }
    )


def blur_workflow() -> Workflow:
    """The measured case: an expensive upstream blur, a cheap downstream noise seed."""
    return Workflow.from_data(
        {
            "1": {
                "class_type": "EmptyImage",
                "inputs": {"width": 64, "height": 64, "batch_size": 1, "color": 0},
            },
            "2": {
                "class_type": "ImageBlur",
                "inputs": {"image": ["1", 0], "blur_radius": 3, "sigma": 1.0},
            },
            "3": {
                "class_type": "ImageAddNoise",
                "inputs": {"image": ["2", 0], "seed": 1, "strength": 0.5},
            },
            "4": {
                "class_type": "SaveImage",
                "inputs": {"images": ["3", 0], "filename_prefix": "x"},
            },
        }
    )


def plan_of(text: str, workflow: Workflow | None = None, info: ObjectInfo | None = None) -> Plan:
    return build_plan(parse_config(text, "c.yaml"), workflow or blur_workflow(), info)


def non_seed(plan: Plan, names: list[str]) -> list[tuple[Any, ...]]:
    return [tuple(r.values[n] for n in names) for r in plan.runs]


# ---- counts and sets ----------------------------------------------------------------------


def test_readme_lora_example_plans_180_runs() -> None:
    plan = build_plan(parse_config(README_LORA), sampler_workflow())
    assert len(plan.runs) == 180
    pairs = Counter(non_seed(plan, ["lora_high_strength", "lora_low_strength"]))
    steps = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
    assert set(pairs) == set(itertools.product(steps, steps))
    assert set(pairs.values()) == {5}
    assert len({r.values["seed"] for r in plan.runs}) == 180  # a fresh seed per run
    assert [r.run_id for r in plan.runs] == list(range(1, 181))


def test_grid_is_the_full_product() -> None:
    plan = plan_of(
        "sampling_strategy: grid\nparameters:\n"
        "  sigma: {path: nodes.2.inputs.sigma, values: [0.5, 1.0, 2.0]}\n"
        "  strength: {path: nodes.3.inputs.strength, type: linear, min: 0.2, max: 0.8, step: 0.3}\n"
    )
    assert sorted(non_seed(plan, ["sigma", "strength"])) == sorted(
        itertools.product([0.5, 1.0, 2.0], [0.2, 0.5, 0.8])
    )


def test_same_seed_same_plan_other_seed_other_plan() -> None:
    text = (
        "sampling_strategy: sobol\nnum_samples: 8\nseeds_per_sample: 2\nsweep_seed: {}\nparameters:\n"
        "  strength: {{path: nodes.3.inputs.strength, min: 0.1, max: 0.9}}\n"
        "  seed: {{path: nodes.3.inputs.seed, type: random_seed}}\n"
    )
    a, b, c = plan_of(text.format(1)), plan_of(text.format(1)), plan_of(text.format(2))
    assert a.to_json() == b.to_json()
    assert non_seed(a, ["strength"]) != non_seed(c, ["strength"])


def test_sweep_seed_is_drawn_once_and_recorded() -> None:
    cfg = parse_config(
        "num_samples: 4\nparameters:\n  strength: {path: nodes.3.inputs.strength, min: 0, max: 1}\n"
    )
    plan = build_plan(cfg, blur_workflow())
    assert cfg.sweep_seed is not None and plan.sweep_seed == cfg.sweep_seed
    assert build_plan(cfg, blur_workflow()).to_json() == plan.to_json()


def test_sobol_power_of_two_warning_names_nearest() -> None:
    plan = plan_of(
        "num_samples: 10\nsweep_seed: 1\nparameters:\n  strength: {path: nodes.3.inputs.strength, min: 0, max: 1}\n"
    )
    assert any("power of two" in w and "nearest: 8" in w for w in plan.warnings)


def test_integer_rounding_merges_duplicates_with_a_note() -> None:
    plan = plan_of(
        "num_samples: 16\nsweep_seed: 3\nparameters:\n  blur: {path: nodes.2.inputs.blur_radius, min: 1, max: 3}\n"
    )
    assert sorted(r.values["blur"] for r in plan.runs) == [1, 2, 3]
    assert all(isinstance(r.values["blur"], int) for r in plan.runs)
    assert plan.notes == [
        "13 duplicate points merged (identical after integer rounding or discrete values); 3 distinct samples remain"
    ]


def test_seed_only_sweep_keeps_every_sample() -> None:
    plan = plan_of(
        "sampling_strategy: random\nnum_samples: 6\nsweep_seed: 1\nparameters:\n  seed: {path: nodes.3.inputs.seed, type: random_seed}\n"
    )
    assert len(plan.runs) == 6 and len({r.values["seed"] for r in plan.runs}) == 6


def test_seeds_respect_input_max_and_2_53() -> None:
    info = ObjectInfo(
        {"ImageAddNoise": {"input": {"required": {"seed": ["INT", {"min": 0, "max": 50}]}}}}
    )
    plan = plan_of(
        "sampling_strategy: random\nnum_samples: 20\nsweep_seed: 1\nparameters:\n  seed: {path: nodes.3.inputs.seed, type: random_seed}\n",
        info=info,
    )
    assert all(0 <= r.values["seed"] <= 50 for r in plan.runs)
    big = plan_of(
        "sampling_strategy: random\nnum_samples: 20\nsweep_seed: 1\nparameters:\n  seed: {path: nodes.3.inputs.seed, type: random_seed}\n"
    )
    assert all(0 <= r.values["seed"] <= SEED_LIMIT for r in big.runs)


# ---- cache-aware order ----------------------------------------------------------------------


def test_measured_case_upstream_changes_exactly_three_times() -> None:
    # Config order puts the downstream parameter first, so sample order varies blur fastest.
    plan = plan_of(
        "sampling_strategy: grid\nsweep_seed: 1\nparameters:\n"
        "  noise_seed: {path: nodes.3.inputs.seed, values: [11, 22, 33, 44]}\n"
        "  blur: {path: nodes.2.inputs.blur_radius, values: [1, 5, 9, 13]}\n"
    )
    by_sample = sorted(plan.runs, key=lambda r: r.sample_index)
    assert count_value_changes(by_sample, ["blur"]) == 15
    assert count_value_changes(plan.runs, ["blur"]) == 3
    assert Counter(non_seed(plan, ["noise_seed", "blur"])) == Counter(
        non_seed(Plan(by_sample, [], "grid"), ["noise_seed", "blur"])
    )


def test_upstream_outer_with_seeds_per_sample() -> None:
    plan = plan_of(
        "sampling_strategy: grid\nseeds_per_sample: 4\nsweep_seed: 2\nparameters:\n"
        "  seed: {path: nodes.3.inputs.seed, type: random_seed}\n"
        "  blur: {path: nodes.2.inputs.blur_radius, values: [1, 5, 9, 13]}\n"
    )
    assert len(plan.runs) == 16 and count_value_changes(plan.runs, ["blur"]) == 3


def test_snake_order_changes_one_value_per_step() -> None:
    cfg = parse_config(
        "sampling_strategy: grid\nsweep_seed: 1\nparameters:\n"
        "  strength: {path: nodes.3.inputs.strength, values: [0.1, 0.5, 0.9, 0.7]}\n"
        "  sigma: {path: nodes.2.inputs.sigma, values: [1.0, 2.0]}\n"
        "  width: {path: nodes.1.inputs.width, values: [64, 128, 256]}\n"
    )
    plan = build_plan(cfg, blur_workflow())
    names = ["width", "sigma", "strength"]  # upstream-most first
    for a, b in itertools.pairwise(plan.runs):
        assert sum(a.values[n] != b.values[n] for n in names) == 1
    assert count_value_changes(plan.runs, ["width"]) == 2  # each width visited once
    shuffled = Plan(sorted(plan.runs, key=lambda r: r.sample_index), plan.parameters, "grid")
    assert recompute_cost(plan, cfg, blur_workflow()) < recompute_cost(
        shuffled, cfg, blur_workflow()
    )


def test_sobol_order_groups_discrete_upstream_values() -> None:
    cfg = parse_config(
        "num_samples: 32\nsweep_seed: 5\nparameters:\n"
        "  strength: {path: nodes.3.inputs.strength, min: 0, max: 1}\n"
        "  blur: {path: nodes.2.inputs.blur_radius, values: [1, 3, 5, 7]}\n"
    )
    plan = build_plan(cfg, blur_workflow())
    assert count_value_changes(plan.runs, ["blur"]) == 3  # never revisits a blur value
    ordered = sorted(plan.runs, key=lambda r: r.sample_index)
    assert count_value_changes(ordered, ["blur"]) > 3
    assert sorted(r.sample_index for r in plan.runs) == list(range(32))


def test_linked_parameter_uses_min_depth_and_sets_every_path() -> None:
    wf = sampler_workflow()
    cfg = parse_config(
        "sampling_strategy: grid\nsweep_seed: 1\nparameters:\n"
        "  cfg: {path: nodes.57.inputs.cfg, values: [1.0, 2.0, 3.0]}\n"
        "  lora: {paths: [nodes.91.inputs.strength_model, nodes.92.inputs.strength_model], values: [0.5, 1.0]}\n"
    )
    plan = build_plan(cfg, wf)
    assert count_value_changes(plan.runs, ["lora"]) == 1
    prompt = prompt_for_run(wf, cfg, plan.runs[-1])
    assert (
        prompt["91"]["inputs"]["strength_model"]
        == prompt["92"]["inputs"]["strength_model"]
        == plan.runs[-1].values["lora"]
    )
    assert prompt["57"]["inputs"]["cfg"] == plan.runs[-1].values["cfg"]
    assert wf.prompt["91"]["inputs"]["strength_model"] == 1.0  # the workflow itself is untouched


# ---- extension -------------------------------------------------------------------------------


SOBOL = (
    "sampling_strategy: {strategy}\nnum_samples: {n}\nseeds_per_sample: 2\nsweep_seed: 9\nparameters:\n"
    "  strength: {{path: nodes.3.inputs.strength, min: 0.1, max: 0.9}}\n"
    "  sigma: {{path: nodes.2.inputs.sigma, min: 0.5, max: 4.0}}\n"
    "  seed: {{path: nodes.3.inputs.seed, type: random_seed}}\n"
)


@pytest.mark.parametrize("strategy", ["sobol", "random"])
def test_extension_keeps_old_runs_and_continues_the_sequence(strategy: str) -> None:
    wf = blur_workflow()
    old_cfg = parse_config(SOBOL.format(strategy=strategy, n=8))
    old = build_plan(old_cfg, wf)
    new_cfg = parse_config(SOBOL.format(strategy=strategy, n=16))
    extended = extend_plan(
        Plan.from_json(json.loads(json.dumps(old.to_json()))), old_cfg, new_cfg, wf
    )
    assert extended.runs[:16] == old.runs
    assert [r.run_id for r in extended.runs] == list(range(1, 33))
    fresh = build_plan(parse_config(SOBOL.format(strategy=strategy, n=16)), wf)

    def as_set(p: Plan) -> set[tuple[Any, ...]]:
        return {(r.sample_index, r.repeat, *r.values.values()) for r in p.runs}

    assert as_set(extended) == as_set(fresh)  # the same samples and seeds as a 16-point batch


def test_grid_extension_adds_only_new_combinations() -> None:
    wf = blur_workflow()
    text = "sampling_strategy: grid\nsweep_seed: 4\nparameters:\n  blur: {{path: nodes.2.inputs.blur_radius, values: {b}}}\n  strength: {{path: nodes.3.inputs.strength, values: [0.2, 0.6]}}\n"
    old_cfg = parse_config(text.format(b="[1, 5]"))
    old = build_plan(old_cfg, wf)
    new = extend_plan(old, old_cfg, parse_config(text.format(b="[1, 5, 9, 13]")), wf)
    assert new.runs[:4] == old.runs
    added = new.runs[4:]
    assert [r.run_id for r in added] == [5, 6, 7, 8]
    assert sorted(non_seed(Plan(added, [], "grid"), ["blur", "strength"])) == [
        (9, 0.2),
        (9, 0.6),
        (13, 0.2),
        (13, 0.6),
    ]
    assert count_value_changes(added, ["blur"]) == 1  # themselves cache-ordered
    assert len({r.sample_index for r in new.runs}) == 8


@pytest.mark.parametrize(
    ("old_text", "new_text", "reason"),
    [
        (SOBOL.format(strategy="lhs", n=8), SOBOL.format(strategy="lhs", n=16), "Latin hypercube"),
        (
            SOBOL.format(strategy="sobol", n=8),
            SOBOL.format(strategy="random", n=16),
            "sampling_strategy changed",
        ),
        (
            SOBOL.format(strategy="sobol", n=8),
            SOBOL.format(strategy="sobol", n=8).replace(
                "seeds_per_sample: 2", "seeds_per_sample: 3"
            ),
            "seeds_per_sample changed",
        ),
        (
            SOBOL.format(strategy="sobol", n=8),
            SOBOL.format(strategy="sobol", n=16).replace("max: 0.9", "max: 0.8"),
            "'strength' changed",
        ),
        (
            SOBOL.format(strategy="sobol", n=16),
            SOBOL.format(strategy="sobol", n=8),
            "num_samples lowered",
        ),
    ],
)
def test_non_extensions_are_refused_with_reason(old_text: str, new_text: str, reason: str) -> None:
    wf = blur_workflow()
    old_cfg = parse_config(old_text)
    old = build_plan(old_cfg, wf)
    with pytest.raises(PlanError, match=reason):
        extend_plan(old, old_cfg, parse_config(new_text), wf)


# ---- folders, JSON, table -------------------------------------------------------------------


def test_run_name_pattern_with_format_specs() -> None:
    plan = plan_of(
        "sampling_strategy: grid\nsweep_seed: 1\nparameters:\n  strength: {path: nodes.3.inputs.strength, values: [0.25]}\n"
        'output: {run_name_pattern: "{run_id:04d}_str{strength:.1f}"}\n'
    )
    assert plan.runs[0].folder == "0001_str0.2"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('a<b>c:d"e/f\\g|h?i*j', "a_b_c_d_e_f_g_h_i_j"),
        ("tab\there", "tab_here"),
        ("trailing. . ", "trailing"),
        ("CON", "_CON"),
        ("com1.txt", "_com1.txt"),
        ("LPT9", "_LPT9"),
        ("CONSOLE", "CONSOLE"),
        ("...", "0007"),
    ],
)
def test_folder_sanitising(raw: str, expected: str) -> None:
    assert sanitize_folder(raw, "0007") == expected


def test_folders_stay_unique() -> None:
    plan = plan_of(
        "sampling_strategy: grid\nsweep_seed: 1\nparameters:\n  strength: {path: nodes.3.inputs.strength, values: [0.21, 0.24, 0.6]}\n"
        'output: {run_name_pattern: "s{strength:.1f}"}\n'
    )
    folders = [r.folder for r in plan.runs]
    assert len(set(folders)) == 3 and sorted(folders)[:2] == ["s0.2", f"s0.2_{plan.runs[1].run_id}"]


def test_format_run_folder_uses_run_id_and_values() -> None:
    assert (
        format_run_folder("{run_id:04d}_{sampler}", 12, {"sampler": "dpmpp/2m"}) == "0012_dpmpp_2m"
    )


def test_plan_json_round_trip_is_json_safe() -> None:
    plan = build_plan(parse_config(README_LORA), sampler_workflow())
    text = json.dumps(plan.to_json())
    again = Plan.from_json(json.loads(text))
    assert again == plan
    with pytest.raises(PlanError):
        Plan.from_json({"runs": [{"run_id": 1}]})


def test_plan_table_ends_with_count() -> None:
    plan = build_plan(parse_config(README_LORA), sampler_workflow())
    table = format_plan_table(plan, max_rows=5)
    lines = table.splitlines()
    assert lines[-1] == "planned runs: 180"
    assert lines[0].split()[:4] == ["run", "sample", "rep", "lora_high_strength"]
    assert len(lines) == 1 + 5 + 2 and "175 more runs" in lines[-2]
    assert format_plan_table(plan).splitlines()[-1] == "planned runs: 180"


def test_zero_runs_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="num_samples"):
        plan_of(
            "num_samples: 0\nparameters:\n  strength: {path: nodes.3.inputs.strength, min: 0, max: 1}\n"
        )


# ---- property: never outside bounds, integers stay integers --------------------------------------

INFO = ObjectInfo(
    {
        "ImageBlur": {
            "input": {
                "required": {
                    "blur_radius": ["INT", {"min": 1, "max": 31}],
                    "sigma": ["FLOAT", {"min": 0.1, "max": 10.0}],
                }
            }
        },
        "ImageAddNoise": {
            "input": {
                "required": {
                    "seed": ["INT", {"min": 0, "max": 2**64 - 1}],
                    "strength": ["FLOAT", {"min": 0.0, "max": 1.0}],
                }
            }
        },
    }
)
BOUNDS = {"blur_radius": (1, 31, True), "sigma": (0.1, 10.0, False), "strength": (0.0, 1.0, False)}
NODE = {"blur_radius": "2", "sigma": "2", "strength": "3"}


@st.composite
def param_entry(draw: st.DrawFn, name: str) -> dict[str, Any]:
    lo_b, hi_b, is_int = BOUNDS[name]
    a, b = sorted(draw(st.floats(lo_b, hi_b, allow_nan=False)) for _ in range(2))
    kind = draw(st.sampled_from(["continuous", "linear", "values"]))
    entry: dict[str, Any] = {"path": f"nodes.{NODE[name]}.inputs.{name}", "type": kind}
    if kind == "values":
        vals = draw(
            st.lists(
                st.integers(int(lo_b), int(hi_b))
                if is_int
                else st.floats(lo_b, hi_b, allow_nan=False),
                min_size=1,
                max_size=4,
            )
        )
        entry["values"] = vals
    else:
        entry.update(min=int(round(a)) if is_int else a, max=int(round(b)) if is_int else b)
        if kind == "linear":
            entry["step"] = draw(st.floats(0.05, 5.0)) if not is_int else draw(st.integers(1, 7))
        elif name == "sigma" and draw(st.booleans()):
            entry["log"] = True
    return entry


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(sorted(BOUNDS)), min_size=1, max_size=3, unique=True))
    params = {n: draw(param_entry(n)) for n in names}
    if draw(st.booleans()):
        params["seed"] = {"path": "nodes.3.inputs.seed", "type": "random_seed"}
    continuous = any(p["type"] == "continuous" for p in params.values())
    strategies = ["sobol", "lhs", "random"] + ([] if continuous else ["grid", "linear"])
    return {
        "sampling_strategy": draw(st.sampled_from(strategies)),
        "num_samples": draw(st.integers(1, 12)),
        "seeds_per_sample": draw(st.integers(1, 2)) if "seed" in params else 1,
        "sweep_seed": draw(st.integers(0, 2**32)),
        "parameters": params,
    }


@settings(max_examples=60, deadline=None)
@given(configs())
def test_plans_never_violate_bounds_or_integerness(data: dict[str, Any]) -> None:
    plan = build_plan(parse_config(data), blur_workflow(), INFO)
    assert plan.runs
    for run in plan.runs:
        for name, (lo, hi, is_int) in BOUNDS.items():
            if name in run.values:
                v = run.values[name]
                assert lo - 1e-9 <= v <= hi + 1e-9
                assert isinstance(v, int) if is_int else isinstance(v, (int, float))
        if "seed" in run.values:
            assert isinstance(run.values["seed"], int) and 0 <= run.values["seed"] <= SEED_LIMIT


# ---- a real two-sampler workflow with the saved object_info (skipped when absent) -----------


def test_real_sdxl_refiner_linked_steps_and_two_seeds() -> None:

    shared = SHARED_WORKFLOWS
    if not (shared / "api/sdxl_refiner_prompt_example.json").exists():
        pytest.skip("shared workflows not present")
    wf = Workflow.from_data(
        json.loads((shared / "api/sdxl_refiner_prompt_example.json").read_text())
    )
    info = ObjectInfo(json.loads((shared / "object_info_0.3.75.json").read_text()))
    cfg = parse_config(
        "sampling_strategy: grid\nseeds_per_sample: 2\nsweep_seed: 3\nparameters:\n"
        "  sampler: {paths: [nodes.10.inputs.sampler_name, nodes.11.inputs.sampler_name], values: [euler, dpmpp_2m]}\n"
        "  cfg: {paths: [nodes.10.inputs.cfg, nodes.11.inputs.cfg], type: linear, min: 5, max: 8, step: 1.5}\n"
        "  base_seed: {path: nodes.10.inputs.noise_seed, type: random_seed}\n"
        "  refiner_seed: {path: nodes.11.inputs.noise_seed, type: random_seed}\n"
    )
    plan = build_plan(cfg, wf, info)
    assert len(plan.runs) == 2 * 3 * 2
    assert all(r.values["base_seed"] != r.values["refiner_seed"] for r in plan.runs)
    assert len({r.values["base_seed"] for r in plan.runs}) == 12
    prompt = prompt_for_run(wf, cfg, plan.runs[0])
    for node in ("10", "11"):
        assert prompt[node]["inputs"]["sampler_name"] == plan.runs[0].values["sampler"]
        assert prompt[node]["inputs"]["cfg"] == plan.runs[0].values["cfg"]
    bad = parse_config(
        "parameters:\n  end: {path: nodes.11.inputs.end_at_step, min: 5000, max: 15000}\n"
    )
    with pytest.raises(ConfigError, match=r"parameters\.end\.max"):
        build_plan(bad, wf, info)
