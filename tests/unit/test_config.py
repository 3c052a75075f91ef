"""Config parsing (the original format, verbatim) and validation messages."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from comfy_sweep.core.config.load import (
    config_fingerprint,
    config_to_dict,
    dump_config_yaml,
    load_config,
    parse_config,
    resolve_workflow_path,
)
from comfy_sweep.core.config.validate import validate_config
from comfy_sweep.core.errors import ConfigError
from comfy_sweep.core.objectinfo import ObjectInfo
from comfy_sweep.core.plan.build import build_plan
from comfy_sweep.core.workflow import Workflow
from hypothesis import given, settings
from hypothesis import strategies as st
from original_suite import README_LORA
from shared_paths import ORIGINAL_README, SHARED_WORKFLOWS

README = ORIGINAL_README
SHARED = SHARED_WORKFLOWS

# The YAML examples of the original suite's README, verbatim (checked against it below).
README_CONFIGURE = """\
workflow_file: my_workflow.json
sampling_strategy: sobol  # sobol, lhs, grid, or random
num_samples: 100
seeds_per_sample: 3

parameters:
  param_nodes.57.inputs.cfg:
    path: nodes.57.inputs.cfg
    type: linear           # or continuous, values, random_seed
    min: 0.5
    max: 2.5
    step: 0.5
"""
README_PHASE1 = """\
# Quick scan with 50 Sobol samples
num_samples: 50
seeds_per_sample: 1
"""
README_PHASE3 = """\
# Narrow ranges based on Phase 1 findings
parameters:
  lora_strength:
    min: 1.5  # Refined from promising 1.0-2.0 range
    max: 2.5
"""
README_PHASE4 = """\
# Exhaustive grid on optimal ranges
sampling_strategy: grid
parameters:
  lora_strength: {values: [1.5, 2.0, 2.5]}
  cfg: {values: [1.0, 1.5]}
"""
README_NAMING = """\
output:
  run_name_pattern: "{run_id:04d}_lora{lora_strength:.1f}_cfg{cfg:.1f}"
  # Creates: 0001_lora1.5_cfg1.0/
"""
README_RESUME = """\
resume:
  enabled: true      # Default: true
  skip_existing: true  # Skip if output already exists
"""
README_EXAMPLES = [
    README_CONFIGURE,
    README_PHASE1,
    README_PHASE3,
    README_PHASE4,
    README_NAMING,
    README_RESUME,
    README_LORA,
]


def sampler_workflow() -> Workflow:
    """A small API workflow with the LoRA example's nodes (91, 92, 57)."""
    return Workflow.from_data(
        {
            "90": {
                "class_type": "UNETLoader",
                "inputs": {"unet_name": "m", "weight_dtype": "default"},
            },
            "91": {
                "class_type": "LoraLoaderModelOnly",
                "inputs": {
                    "model": ["90", 0],
                    "lora_name": "hi.safetensors",
                    "strength_model": 1.0,
                },
            },
            "92": {
                "class_type": "LoraLoaderModelOnly",
                "inputs": {
                    "model": ["90", 0],
                    "lora_name": "lo.safetensors",
                    "strength_model": 1.0,
                },
            },
            "57": {
                "class_type": "KSamplerAdvanced",
                "inputs": {
                    "model": ["91", 0],
                    "noise_seed": 7,
                    "steps": 20,
                    "cfg": 3.5,
                    "sampler_name": "euler",
                    "end_at_step": 10000,
                },
            },
        }
    )


OBJECT_INFO = ObjectInfo(
    {
        "KSamplerAdvanced": {
            "input": {
                "required": {
                    "noise_seed": [
                        "INT",
                        {"min": 0, "max": 2**64 - 1, "control_after_generate": True},
                    ],
                    "steps": ["INT", {"default": 20, "min": 1, "max": 10000}],
                    "cfg": ["FLOAT", {"default": 8.0, "min": 0.0, "max": 100.0, "step": 0.1}],
                    "sampler_name": [["euler", "dpmpp_2m"], {}],
                    "end_at_step": ["INT", {"default": 10000, "min": 0, "max": 10000}],
                }
            }
        },
        "LoraLoaderModelOnly": {
            "input": {"required": {"strength_model": ["FLOAT", {"min": -100.0, "max": 100.0}]}}
        },
    }
)


def fails(
    text: str, workflow: Workflow | None = None, info: ObjectInfo | None = None
) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        cfg = parse_config(textwrap.dedent(text), source="config.yaml")
        validate_config(cfg, workflow or sampler_workflow(), info)
    return caught.value


# ---- the original format ------------------------------------------------------------


def test_readme_examples_are_verbatim() -> None:
    if not README.exists():
        pytest.skip("original README not present")
    text = README.read_text(encoding="utf-8")
    for example in README_EXAMPLES:
        assert example.rstrip("\n") in text


@pytest.mark.parametrize("example", README_EXAMPLES)
def test_readme_examples_parse(example: str) -> None:
    cfg = parse_config(example, source="readme.yaml")
    assert cfg.sampling_strategy in ("sobol", "grid", "linear")


def test_original_parameter_names_and_types() -> None:
    cfg = parse_config(README_CONFIGURE)
    spec = cfg.parameters["param_nodes.57.inputs.cfg"]
    assert (spec.paths, spec.type, spec.min, spec.max, spec.step) == (
        ["nodes.57.inputs.cfg"],
        "linear",
        0.5,
        2.5,
        0.5,
    )
    assert (cfg.num_samples, cfg.seeds_per_sample) == (100, 3)


def test_partial_entries_infer_type() -> None:
    phase3 = parse_config(README_PHASE3).parameters["lora_strength"]
    assert (phase3.type, phase3.min, phase3.max, phase3.paths) == ("continuous", 1.5, 2.5, [])
    phase4 = parse_config(README_PHASE4).parameters
    assert phase4["cfg"].type == "values" and phase4["cfg"].values == [1.0, 1.5]
    stepped = parse_config(
        {"parameters": {"x": {"path": "nodes.57.inputs.cfg", "min": 1, "max": 2, "step": 0.5}}}
    )
    assert stepped.parameters["x"].type == "linear"


def test_missing_path_inferred_from_unique_input_name() -> None:
    cfg = parse_config(README_PHASE4, source="p4.yaml")
    cfg.parameters.pop("lora_strength")
    warnings = validate_config(cfg, sampler_workflow())
    assert cfg.parameters["cfg"].paths == ["nodes.57.inputs.cfg"]
    assert any("nodes.57.inputs.cfg" in w for w in warnings)


def test_missing_path_without_a_unique_input_is_an_error() -> None:
    err = fails(README_PHASE3)
    assert err.field == "parameters.lora_strength.path"
    assert "config.yaml:3:" in err.message


def test_path_from_original_parameter_name() -> None:
    cfg = parse_config(
        {"parameters": {"param_nodes.57.inputs.cfg": {"type": "continuous", "min": 1, "max": 2}}}
    )
    assert cfg.parameters["param_nodes.57.inputs.cfg"].paths == ["nodes.57.inputs.cfg"]


def test_linked_paths_and_additions() -> None:
    cfg = parse_config(
        """
        sampling_strategy: random
        sweep_seed: 5
        parameters:
          cfg: {path: nodes.57.inputs.cfg, paths: [nodes.57.inputs.cfg, nodes.91.inputs.strength_model], type: continuous, min: 0.1, max: 4, log: true}
        comfyui: {queue_window: 5, auth_token_env: COMFY_TOKEN, fail_fast: true, timeout: 12, poll_interval: 0.2}
        """.replace("\n        ", "\n")
    )
    spec = cfg.parameters["cfg"]
    assert spec.paths == ["nodes.57.inputs.cfg", "nodes.91.inputs.strength_model"]
    assert spec.log is True and cfg.sweep_seed == 5
    c = cfg.comfyui
    assert (c.queue_window, c.auth_token_env, c.fail_fast, c.timeout, c.poll_interval) == (
        5,
        "COMFY_TOKEN",
        True,
        12.0,
        0.2,
    )


def test_round_trip_through_dict_and_yaml() -> None:
    cfg = parse_config(README_LORA)
    again = parse_config(dump_config_yaml(cfg))
    assert config_to_dict(again) == config_to_dict(cfg)
    assert again.parameters == cfg.parameters


def test_load_config_resolves_workflow_relative_to_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.yaml").write_text(README_LORA, encoding="utf-8")
    cfg = load_config(tmp_path / "sub" / "c.yaml")
    assert resolve_workflow_path(cfg) == tmp_path / "sub" / "video_wan2_2_14B_flf2v.json"


def test_fingerprint_tracks_plan_inputs_not_drawn_seed() -> None:
    wf = sampler_workflow()
    a, b = parse_config(README_LORA), parse_config(README_LORA)
    build_plan(b, wf)  # draws a seed
    assert b.sweep_seed is not None and b.sweep_seed_drawn
    assert config_fingerprint(a, wf) == config_fingerprint(b, wf)
    explicit = parse_config(README_LORA + "sweep_seed: 5\n")
    assert config_fingerprint(explicit, wf) != config_fingerprint(a, wf)
    b.parameters["seed"].max = 10
    assert config_fingerprint(a, wf) != config_fingerprint(b, wf)


def test_integer_filled_from_object_info_and_current_value() -> None:
    cfg = parse_config(
        {
            "parameters": {
                "steps": {"path": "nodes.57.inputs.steps", "min": 4, "max": 30},
                "cfg": {"path": "nodes.57.inputs.cfg", "min": 1, "max": 3},
            }
        }
    )
    validate_config(cfg, sampler_workflow())  # no object_info: the current value decides
    assert cfg.parameters["steps"].integer and not cfg.parameters["cfg"].integer
    validate_config(cfg, sampler_workflow(), OBJECT_INFO)
    assert cfg.parameters["steps"].integer and cfg.parameters["cfg"].input_max == 100.0


# ---- one test per error: the message names the key (and line) ------------------------


def test_min_greater_than_max_names_key_and_line() -> None:
    err = fails(
        """\
        parameters:
          cfg:
            path: nodes.57.inputs.cfg
            type: continuous
            min: 5
            max: 2
        """
    )
    assert err.field == "parameters.cfg.min"
    assert err.message.startswith("config.yaml:5: parameters.cfg.min")
    assert err.details["line"] == 5


def test_step_not_positive() -> None:
    err = fails(
        "parameters:\n  cfg: {path: nodes.57.inputs.cfg, type: linear, min: 1, max: 2, step: 0}\n"
    )
    assert err.field == "parameters.cfg.step" and "parameters.cfg.step" in err.message


def test_unknown_type_lists_allowed() -> None:
    err = fails(
        "parameters:\n  cfg: {path: nodes.57.inputs.cfg, type: continous, min: 1, max: 2}\n"
    )
    assert err.field == "parameters.cfg.type"
    assert (
        "continuous, linear, values, random_seed" in err.message and "did you mean" in err.message
    )


def test_unknown_strategy_lists_allowed() -> None:
    err = fails("sampling_strategy: montecarlo\n")
    assert err.field == "sampling_strategy" and "sobol, lhs, grid, random, linear" in err.message
    assert err.message.startswith("config.yaml:1:")


def test_unknown_top_level_key_warns_with_close_match() -> None:
    cfg = parse_config("sampling_stratgy: grid\nparameters: {}\n", source="c.yaml")
    assert len(cfg.warnings) == 1
    assert "sampling_stratgy" in cfg.warnings[0] and "'sampling_strategy'" in cfg.warnings[0]
    assert cfg.warnings[0].startswith("c.yaml:1:")


def test_path_not_in_workflow() -> None:
    err = fails(
        "parameters:\n  cfg: {path: nodes.58.inputs.cfg, type: continuous, min: 1, max: 2}\n"
    )
    assert err.field == "parameters.cfg.path" and "config.yaml:2:" in err.message
    assert "58" in err.message


def test_linked_path_error_names_the_list_item() -> None:
    err = fails(
        "parameters:\n  cfg:\n    paths: [nodes.57.inputs.cfg, nodes.57.inputs.nope]\n"
        "    type: continuous\n    min: 1\n    max: 2\n"
    )
    assert err.field == "parameters.cfg.paths.1"


def test_value_outside_object_info_bounds() -> None:
    err = fails(
        "parameters:\n  cfg: {path: nodes.57.inputs.cfg, type: continuous, min: 1, max: 200}\n",
        info=OBJECT_INFO,
    )
    assert err.field == "parameters.cfg.max" and "100" in err.message


def test_value_not_among_combo_options() -> None:
    err = fails(
        "parameters:\n  sampler:\n    path: nodes.57.inputs.sampler_name\n    values: [euler, nope]\n",
        info=OBJECT_INFO,
    )
    assert err.field == "parameters.sampler.values.1" and "nope" in err.message


def test_continuous_over_a_combo_is_refused() -> None:
    err = fails(
        "parameters:\n  s: {path: nodes.57.inputs.sampler_name, type: continuous, min: 0, max: 3}\n",
        info=OBJECT_INFO,
    )
    assert err.field == "parameters.s.type" and "COMBO" in err.message


def test_grid_over_continuous_without_step() -> None:
    err = fails(
        "sampling_strategy: grid\nparameters:\n  cfg: {path: nodes.57.inputs.cfg, type: continuous, min: 1, max: 2}\n"
    )
    assert err.field == "parameters.cfg.step" and "grid" in err.message


def test_zero_runs_planned() -> None:
    err = fails("num_samples: 0\nparameters:\n  cfg: {path: nodes.57.inputs.cfg, min: 1, max: 2}\n")
    assert err.field == "num_samples" and "zero runs" in err.message


def test_unknown_name_in_run_name_pattern() -> None:
    err = fails(
        "parameters:\n  cfg: {path: nodes.57.inputs.cfg, min: 1, max: 2}\n"
        'output:\n  run_name_pattern: "{run_id:04d}_{cfgg:.1f}"\n'
    )
    assert (
        err.field == "output.run_name_pattern"
        and "'cfgg'" in err.message
        and "run_id, cfg" in err.message
    )


def test_seeds_per_sample_without_random_seed_has_a_hint() -> None:
    err = fails(README_CONFIGURE)
    assert err.field == "seeds_per_sample"
    assert "random_seed" in err.message and "nodes.57.inputs.noise_seed" in err.message


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("num_samples: ten\n", "num_samples"),
        ("seeds_per_sample: 1.5\n", "seeds_per_sample"),
        (
            "parameters:\n  cfg: {path: nodes.57.inputs.cfg, min: low, max: 2}\n",
            "parameters.cfg.min",
        ),
        ("parameters: [a, b]\n", "parameters"),
        ("comfyui: {queue_window: 0}\n", "comfyui.queue_window"),
        ("resume: {enabled: maybe}\n", "resume.enabled"),
    ],
)
def test_wrong_types_name_the_key(text: str, field: str) -> None:
    err = fails(text)
    assert err.field == field and field in err.message and "config.yaml:" in err.message


def test_log_scale_needs_positive_min() -> None:
    err = fails("parameters:\n  cfg: {path: nodes.57.inputs.cfg, min: 0, max: 2, log: true}\n")
    assert err.field == "parameters.cfg.min" and "log" in err.message


def test_yaml_syntax_error_has_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("num_samples: 4\nparameters:\n  cfg: {path: [unclosed\n", source="bad.yaml")
    assert caught.value.message.startswith("bad.yaml:")
    assert isinstance(caught.value.details.get("line"), int)


def test_numeric_strings_accepted_for_ranges() -> None:
    # YAML 1.1 reads 1e-5 without a dot as a string.
    cfg = parse_config(
        "parameters:\n  cfg: {path: nodes.57.inputs.cfg, min: 1e-5, max: 2, log: true}\n"
    )
    assert cfg.parameters["cfg"].min == pytest.approx(1e-5)


# ---- real workflows and object_info (skipped when absent) ---------------------------------


def _shared(name: str) -> Any:
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    return json.loads(path.read_text(encoding="utf-8"))


def test_real_lora_workflow_with_saved_object_info() -> None:
    wf = Workflow.from_data(_shared("api/lora.json"))
    info = ObjectInfo(_shared("object_info_0.3.75.json"))
    cfg = parse_config(
        "parameters:\n  cfg: {path: nodes.KSampler.inputs.cfg, min: 4, max: 9}\n"
        "  steps: {path: nodes.3.inputs.steps, type: linear, min: 10, max: 30, step: 10}\n"
        "  seed: {path: nodes.3.inputs.seed, type: random_seed}\n"
    )
    assert validate_config(cfg, wf, info) == []
    assert cfg.parameters["steps"].integer and cfg.parameters["cfg"].paths == [
        "nodes.KSampler.inputs.cfg"
    ]
    bad = parse_config(
        "parameters:\n  sampler: {path: nodes.3.inputs.sampler_name, values: [euler, warp9]}\n"
    )
    with pytest.raises(ConfigError, match=r"parameters\.sampler\.values\.1"):
        validate_config(bad, wf, info)


# ---- property: any data either parses or raises ConfigError (never a traceback) -------------

_scalars = (
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=True) | st.text(max_size=5)
)
_values = st.recursive(
    _scalars,
    lambda kids: (
        st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=4), kids, max_size=3)
    ),
    max_leaves=8,
)
_param = st.dictionaries(
    st.sampled_from(["path", "paths", "type", "min", "max", "step", "values", "log", "typo"]),
    _values | st.sampled_from(["continuous", "values", "linear", "nodes.57.inputs.cfg"]),
    max_size=6,
)
_top = st.fixed_dictionaries(
    {},
    optional={
        "sampling_strategy": _values | st.sampled_from(["grid", "sobol"]),
        "num_samples": _values,
        "seeds_per_sample": _values,
        "sweep_seed": _values,
        "parameters": st.dictionaries(
            st.text(min_size=1, max_size=4), _param | _values, max_size=3
        ),
        "output": st.dictionaries(
            st.sampled_from(["run_name_pattern", "base_dir"]), _values, max_size=2
        ),
        "comfyui": st.dictionaries(
            st.sampled_from(["queue_window", "timeout", "fail_fast"]), _values, max_size=2
        ),
    },
)


@settings(max_examples=150, deadline=None)
@given(_top)
def test_any_data_parses_or_raises_config_error(data: dict[str, Any]) -> None:
    try:
        cfg = parse_config(data, source="fuzz.yaml")
        build_plan(cfg, sampler_workflow(), OBJECT_INFO)
    except ConfigError as err:
        assert err.message.startswith("fuzz.yaml")


def test_runaway_sizes_are_refused() -> None:
    err = fails(
        "parameters:\n  cfg: {path: nodes.57.inputs.cfg, type: linear, min: 0, max: 1000000000, step: 0.000001}\n"
    )
    assert err.field == "parameters.cfg.step"
    err = fails(
        "sampling_strategy: grid\nparameters:\n"
        + "".join(
            f"  p{i}: {{path: nodes.57.inputs.cfg, type: linear, min: 1, max: 100, step: 1}}\n"
            for i in range(4)
        )
    )
    assert err.field == "parameters" and "100000000 runs" in err.message
