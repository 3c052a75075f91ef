"""Config mistakes users make for real (QA pass): each is one message or warning
naming the key and line, never a silent surprise."""

from __future__ import annotations

import pytest
from comfy_sweep.core.config.load import parse_config
from comfy_sweep.core.config.validate import validate_config
from comfy_sweep.core.errors import ConfigError
from comfy_sweep.core.plan.build import build_plan
from comfy_sweep.core.workflow import Workflow

WF = Workflow.from_data(
    {
        "1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 64}},
        "2": {
            "class_type": "ImageAddNoise",
            "inputs": {"image": ["1", 0], "seed": 4, "strength": 0.5},
        },
    }
)


def test_a_repeated_parameter_is_a_warning_naming_both_lines() -> None:
    text = (
        "parameters:\n"
        "  strength: {path: nodes.2.inputs.strength, min: 0.1, max: 0.2}\n"
        "  strength: {path: nodes.2.inputs.strength, min: 0.1, max: 0.3}\n"
    )
    cfg = parse_config(text, source="c.yaml")
    assert cfg.parameters["strength"].max == 0.3  # YAML's rule: the last one wins
    assert cfg.warnings == [
        "c.yaml:3: parameters.strength: repeated (first on line 2); only this last one is used"
    ]


def test_distinct_keys_in_different_mappings_are_not_repeats() -> None:
    text = "output: {base_dir: a}\nresume: {enabled: true}\ncomfyui: {timeout: 5}\n"
    assert parse_config(text, source="c.yaml").warnings == []


def test_a_tab_in_the_indentation_says_so() -> None:
    with pytest.raises(
        ConfigError, match=r"^c\.yaml:3: .*\(YAML indents with spaces, never tabs\)$"
    ):
        parse_config("parameters:\n  s:\n\tpath: nodes.2.inputs.strength\n", source="c.yaml")


def test_no_parameters_with_several_runs_is_refused() -> None:
    cfg = parse_config("num_samples: 8\n", source="c.yaml")
    with pytest.raises(ConfigError, match=r"^c\.yaml: parameters: none given, so all 8 runs"):
        validate_config(cfg, WF)


def test_no_parameters_with_one_run_runs_the_workflow_once() -> None:
    plan = build_plan(parse_config("num_samples: 1\n", source="c.yaml"), WF)
    assert len(plan.runs) == 1


def test_random_seed_on_a_float_input_is_refused() -> None:
    cfg = parse_config(
        "parameters:\n  s: {path: nodes.2.inputs.strength, type: random_seed}\n", source="c.yaml"
    )
    with pytest.raises(ConfigError) as info:
        validate_config(cfg, WF)
    assert info.value.message.startswith(
        "c.yaml:2: parameters.s.type: type random_seed needs an integer input, "
        "but nodes.2.inputs.strength is FLOAT"
    )


def test_random_seed_on_an_integer_input_is_fine() -> None:
    cfg = parse_config("parameters:\n  s: {path: nodes.2.inputs.seed, type: random_seed}\n")
    assert validate_config(cfg, WF) == []
