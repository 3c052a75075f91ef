"""Analyzer: classification, suggestions valid under object_info, template, JSON."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import yaml
from comfy_sweep.core.analyzer import JS_SAFE_INT, Analysis, ParamInfo, analyze, numeric_suggestion
from comfy_sweep.core.config.template import render_config_template
from comfy_sweep.core.objectinfo import InputSpec, ObjectInfo
from comfy_sweep.core.workflow import Workflow, load_workflow
from hypothesis import given
from hypothesis import strategies as st
from shared_paths import SHARED_WORKFLOWS

SHARED = SHARED_WORKFLOWS
SAVED = SHARED / "object_info_0.3.75.json"
NAMES = ["default", "lora", "flux_schnell", "sdxl_refiner_prompt_example", "video_wan2_2_5B_ti2v"]
needs_shared = pytest.mark.skipif(not SAVED.exists(), reason="shared workflows not present")
ENABLED_INPUTS = {"cfg", "steps", "shift", "strength_model", "strength_clip"}


@pytest.fixture(scope="module")
def oi() -> ObjectInfo:
    if not SAVED.exists():
        pytest.skip("saved object_info not present")
    return ObjectInfo.load(SAVED)


def on_grid(x: float, base: float, step: float) -> bool:
    return math.isclose((x - base) / step, round((x - base) / step), abs_tol=1e-9)


def assert_valid(p: ParamInfo, spec: InputSpec | None) -> None:
    """The suggestion of one parameter is valid for its object_info spec."""
    s = p.suggestion
    if p.category == "seed":
        assert s == {"type": "random_seed"}
        assert p.enabled or p.reason == "unused: this sampler's add_noise is disabled", p.path
        return
    if p.enabled:
        assert p.input in ENABLED_INPUTS, p.path
    if s["type"] == "values":
        assert s["values"], p.path
        if spec is not None and spec.kind == "COMBO" and not spec.file_list:
            assert all(v in (spec.options or ()) for v in s["values"]), p.path
        if spec is not None and spec.kind == "COMBO" and spec.file_list:
            assert s["values"] == [p.value] and not p.enabled
        return
    assert s["type"] in ("continuous", "linear"), p.path
    assert spec is not None and spec.kind in ("INT", "FLOAT"), f"{p.path}: range on {spec}"
    lo, hi = s["min"], s["max"]
    assert lo < hi
    assert spec.min is None or lo >= spec.min, p.path
    assert spec.max is None or hi <= spec.max, p.path
    if spec.kind == "INT":
        assert isinstance(lo, int) and isinstance(hi, int), p.path
        if spec.step and spec.step > 1:
            assert s["type"] == "linear" and s["step"] % spec.step == 0, p.path
            assert on_grid(lo, spec.min or 0, spec.step) and on_grid(hi, spec.min or 0, spec.step)
    if s["type"] == "linear":
        assert s["step"] > 0


@needs_shared
@pytest.mark.parametrize("name", NAMES)
def test_real_workflows_only_valid_suggestions(name: str, oi: ObjectInfo) -> None:
    wf = load_workflow(SHARED / "api" / f"{name}.json")
    analysis = analyze(wf, oi)
    assert analysis.object_info_used
    assert len(analysis.params) == len(list(wf.literal_inputs()))
    for p in analysis.params:
        assert_valid(p, oi.input_spec(p.class_type, p.input))
        if p.kind == "COMBO":
            assert p.suggestion["type"] == "values"
    assert any(p.category == "seed" for p in analysis.params)
    names = [p.name for p in analysis.params]
    assert len(set(names)) == len(names) and all(n.isidentifier() for n in names)


@needs_shared
def test_categories_on_real_workflows(oi: ObjectInfo) -> None:
    wf = load_workflow(SHARED / "api" / "lora.json")
    by_path = {p.path: p for p in analyze(wf, oi).params}
    assert by_path["nodes.3.inputs.seed"].category == "seed"
    assert by_path["nodes.3.inputs.sampler_name"].category == "sampling"
    assert by_path["nodes.11.inputs.strength_model"].category == "model"
    assert by_path["nodes.11.inputs.strength_model"].name == "lora_strength_model"
    assert by_path["nodes.11.inputs.lora_name"].category == "file"
    assert by_path["nodes.4.inputs.ckpt_name"].warnings  # missing on a model-less server
    assert by_path["nodes.5.inputs.width"].category == "resolution"
    prompt = by_path["nodes.6.inputs.text"]
    assert prompt.category == "prompt" and not prompt.enabled
    assert by_path["nodes.9.inputs.filename_prefix"].category == "other"


def regression_workflow() -> Workflow:
    """The inputs the original analyzer got wrong on the Wan 2.2 FLF2V template."""
    return Workflow.from_data(
        {
            "37": {"class_type": "UNETLoader",
                   "inputs": {"unet_name": "wan.safetensors", "weight_dtype": "default"}},
            "57": {"class_type": "KSamplerAdvanced",
                   "inputs": {"add_noise": "enable", "noise_seed": 1, "steps": 20, "cfg": 3.5,
                              "sampler_name": "euler", "scheduler": "simple", "start_at_step": 10,
                              "end_at_step": 10000, "return_with_leftover_noise": "disable"}},
        }
    )  # fmt: skip


@needs_shared
def test_weight_dtype_is_never_a_numeric_range(oi: ObjectInfo) -> None:
    p = next(p for p in analyze(regression_workflow(), oi).params if p.input == "weight_dtype")
    assert p.kind == "COMBO" and p.suggestion["type"] == "values" and not p.enabled
    assert set(p.suggestion["values"]) <= {"default", "fp8_e4m3fn", "fp8_e4m3fn_fast", "fp8_e5m2"}


@needs_shared
def test_end_at_step_sentinel_not_swept(oi: ObjectInfo) -> None:
    analysis = analyze(regression_workflow(), oi)
    p = next(p for p in analysis.params if p.input == "end_at_step")
    assert p.suggestion == {"type": "values", "values": [10000]} and not p.enabled
    assert "sentinel" in p.reason
    config = yaml.safe_load(render_config_template(analysis, "wan.json"))
    assert all(e["path"] != p.path for e in config["parameters"].values())


def test_without_object_info_falls_back() -> None:
    analysis = analyze(regression_workflow(), None)
    assert not analysis.object_info_used
    assert any("no object_info" in w for w in analysis.warnings)
    by_input = {p.input: p for p in analysis.params}
    assert by_input["end_at_step"].suggestion["type"] == "values"  # sentinel by name and size
    assert by_input["noise_seed"].category == "seed"
    assert by_input["cfg"].kind == "FLOAT" and by_input["cfg"].enabled
    assert by_input["steps"].suggestion["min"] >= 1
    assert by_input["unet_name"].category == "file"
    assert by_input["weight_dtype"].suggestion == {"type": "values", "values": ["default"]}


def test_unknown_class_is_reported() -> None:
    wf = Workflow.from_data({"1": {"class_type": "MyCustom", "inputs": {"strength": 0.5}}})
    analysis = analyze(wf, ObjectInfo({}))
    assert any("MyCustom" in w for w in analysis.warnings)


def test_json_big_ints_are_strings() -> None:
    seed_spec = ["INT", {"min": 0, "max": 2**64 - 1, "control_after_generate": True}]
    oi = ObjectInfo({"K": {"input": {"required": {"seed": seed_spec}}}})
    wf = Workflow.from_data({"1": {"class_type": "K", "inputs": {"seed": 2**60}}})
    data = json.loads(json.dumps(analyze(wf, oi).to_json()))
    assert data["schema_version"] == 1 and data["object_info_used"] is True
    row = data["params"][0]
    assert row["value"] == str(2**60) and row["bounds"]["max"] == str(2**64 - 1)
    assert row["bounds"]["min"] == 0 and row["suggestion"] == {"type": "random_seed"}
    assert set(row) >= {"name", "path", "node_id", "class_type", "title", "input", "value", "kind",
                        "category", "suggestion", "enabled", "reason", "warnings", "bounds"}  # fmt: skip
    small = Workflow.from_data({"1": {"class_type": "K", "inputs": {"seed": JS_SAFE_INT}}})
    assert analyze(small, oi).to_json()["params"][0]["value"] == JS_SAFE_INT


def template_for(name: str, oi: ObjectInfo) -> tuple[Analysis, dict[str, Any]]:
    analysis = analyze(load_workflow(SHARED / "api" / f"{name}.json"), oi)
    return analysis, yaml.safe_load(render_config_template(analysis, f"{name}.json"))


@needs_shared
@pytest.mark.parametrize("name", NAMES)
def test_template_loads_with_enabled_params(name: str, oi: ObjectInfo) -> None:
    analysis, config = template_for(name, oi)
    assert config["workflow_file"] == f"{name}.json"
    assert config["sampling_strategy"] == "sobol" and config["seeds_per_sample"] == 1
    assert config["output"]["run_name_pattern"] == "{run_id:04d}"
    enabled = {p.name: p for p in analysis.params if p.enabled}
    assert set(config["parameters"]) == set(enabled)
    for pname, entry in config["parameters"].items():
        assert entry == {"path": enabled[pname].path, **enabled[pname].suggestion}


@needs_shared
def test_template_comments_every_param(oi: ObjectInfo) -> None:
    analysis = analyze(load_workflow(SHARED / "api" / "video_wan2_2_5B_ti2v.json"), oi)
    text = render_config_template(analysis, "video.json")
    for p in analysis.params:
        assert f"# {p.name}: {p.class_type}" in text
        if not p.enabled:
            assert f"  # {p.name}:\n" in text
    # a commented block, once uncommented, is valid YAML with the suggestion
    block = text.split("  # weight_dtype:\n", 1)[1].split("\n\n", 1)[0]
    entry = yaml.safe_load("\n".join(line.replace("  # ", "", 1) for line in block.splitlines()))
    assert entry["type"] == "values" and "default" in entry["values"]
    assert "# options: default, fp8_e4m3fn" in text


@needs_shared
def test_template_parses_with_parse_config(oi: ObjectInfo) -> None:
    from comfy_sweep.core.config.load import parse_config
    from comfy_sweep.core.config.validate import validate_config

    for name in NAMES:
        wf = load_workflow(SHARED / "api" / f"{name}.json")
        analysis = analyze(wf, oi)
        cfg = parse_config(render_config_template(analysis, f"{name}.json"))
        assert set(cfg.parameters) == {p.name for p in analysis.params if p.enabled}
        validate_config(cfg, wf, oi)  # raises ConfigError on any invalid suggestion


def test_combo_suggestions_prefer_common_options() -> None:
    spec = ["COMBO", {"options": ["zeta", "euler", "dpmpp_2m", "lcm", "uni_pc"]}]
    oi = ObjectInfo({"K": {"input": {"required": {"sampler_name": spec}}}})
    wf = Workflow.from_data({"1": {"class_type": "K", "inputs": {"sampler_name": "lcm"}}})
    values = analyze(wf, oi).params[0].suggestion["values"]
    assert values[0] == "lcm" and set(values) <= {"lcm", "euler", "dpmpp_2m", "uni_pc"}
    assert len(values) == 4 and len(set(values)) == 4


@given(
    kind=st.sampled_from(["INT", "FLOAT"]),
    lo=st.integers(-1000, 1000),
    width=st.integers(0, 5000),
    step=st.sampled_from([None, 1, 2, 4, 8, 16, 0.01, 0.1, 0.5]),
    frac=st.floats(0, 1),
    name=st.sampled_from(["cfg", "steps", "width", "denoise", "fps", "x"]),
)
def test_numeric_suggestions_stay_valid(
    kind: str, lo: int, width: int, step: float | None, frac: float, name: str
) -> None:
    if kind == "INT" and step is not None and step < 1:
        step = None
    spec = InputSpec(kind=kind, min=lo, max=lo + width, step=step)
    value: float = lo + frac * width
    if kind == "INT":
        grid = int(step or 1)
        value = lo + int(frac * width) // grid * grid
    entry = numeric_suggestion(name, kind, value, spec)
    if not entry:
        return
    assert lo <= entry["min"] < entry["max"] <= lo + width
    if kind == "INT":
        assert isinstance(entry["min"], int) and isinstance(entry["max"], int)
        if step and step > 1:
            assert on_grid(entry["min"], lo, step) and on_grid(entry["max"], lo, step)


def test_subgraph_ids_and_odd_values() -> None:
    wf = Workflow.from_data(
        {
            "75:58": {"class_type": "KSampler", "_meta": {"title": "Inner"},
                      "inputs": {"cfg": 6.0, "steps": float("inf"), "seed": 3, "flag": True}},
        }
    )  # fmt: skip
    by_input = {p.input: p for p in analyze(wf, None).params}
    assert by_input["cfg"].path == "nodes.75:58.inputs.cfg"
    assert wf.resolve(by_input["cfg"].path).node_id == "75:58"
    assert by_input["steps"].suggestion == {"type": "values", "values": [float("inf")]}
    assert by_input["flag"].suggestion == {"type": "values", "values": [True, False]}
    assert by_input["seed"].suggestion == {"type": "random_seed"}


@pytest.mark.parametrize("oi_used", [True, False])
def test_seed_of_a_sampler_that_adds_no_noise_is_not_enabled(oi_used: bool) -> None:
    # The SDXL refiner pass (KSamplerAdvanced add_noise: disable) never uses its seed.
    wf = Workflow.from_data(
        {
            "10": {
                "class_type": "KSamplerAdvanced",
                "inputs": {"add_noise": "enable", "noise_seed": 5},
            },
            "11": {
                "class_type": "KSamplerAdvanced",
                "inputs": {"add_noise": "disable", "noise_seed": 0},
            },
        }
    )
    oi = ObjectInfo.load(SAVED) if oi_used and SAVED.is_file() else None
    by_node = {p.node_id: p for p in analyze(wf, oi).params if p.input == "noise_seed"}
    assert by_node["10"].enabled and by_node["10"].category == "seed"
    assert not by_node["11"].enabled and by_node["11"].category == "seed"
    assert by_node["11"].suggestion == {"type": "random_seed"}  # still offered, just off
    assert "add_noise is disabled" in by_node["11"].reason
