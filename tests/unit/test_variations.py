"""Prompt variations (replace, template, wildcards, values_file) and input sets:
parsing, validation messages, plans and prompts (pure core, no server)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from comfy_sweep.core.analyzer_inputs import files_block, suggest_input_files
from comfy_sweep.core.config.load import dump_config_yaml, load_config, parse_config
from comfy_sweep.core.errors import ConfigError
from comfy_sweep.core.labels import distinct_words
from comfy_sweep.core.plan.build import build_plan, prompt_for_run
from comfy_sweep.core.plan.model import Plan
from comfy_sweep.core.workflow import Workflow
from shared_paths import SHARED

WF: dict[str, Any] = {
    "1": {"class_type": "LoadImage", "inputs": {"image": "example.png"}},
    "2": {"class_type": "ImageBlur", "inputs": {"image": ["1", 0], "blur_radius": 3, "sigma": 1.0}},
    "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "t"}},
    "4": {"class_type": "CLIPTextEncode", "inputs": {"text": "a photo of a cat on a red sofa", "clip": ["9", 0]}},
    "5": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry, cat hair", "clip": ["9", 0]}},
    "6": {"class_type": "KSampler", "inputs": {"positive": ["4", 0], "negative": ["5", 0], "cfg": 7.0}},
    "9": {"class_type": "CLIPLoader", "inputs": {"clip_name": "c.safetensors"}},
}  # fmt: skip


SHARED_REFERENCE = SHARED / "reference" if (SHARED / "reference").is_dir() else None


def wf() -> Workflow:
    return Workflow.from_data(json.loads(json.dumps(WF)))


def cfg_of(text: str, tmp_path: Path | None = None) -> Any:
    text = textwrap.dedent(text)
    if tmp_path is None:
        return parse_config(text, "c.yaml")
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def plan_of(text: str, tmp_path: Path | None = None) -> tuple[Any, Plan]:
    cfg = cfg_of(text, tmp_path)
    return cfg, build_plan(cfg, wf())


def error_of(text: str, tmp_path: Path | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        plan_of(text, tmp_path)
    return info.value


# ---- replace ------------------------------------------------------------------------


def test_replace_sweeps_the_words_in_the_workflow_text() -> None:
    cfg, plan = plan_of("""\
        sampling_strategy: grid
        parameters:
          animal: {path: nodes.4.inputs.text, search: a cat, values: [a cat, a fox, two owls]}
    """)
    texts = [prompt_for_run(wf(), cfg, r)["4"]["inputs"]["text"] for r in plan.runs]
    assert sorted(texts) == [
        "a photo of a cat on a red sofa",
        "a photo of a fox on a red sofa",
        "a photo of two owls on a red sofa",
    ]
    assert sorted(r.values["animal"] for r in plan.runs) == ["a cat", "a fox", "two owls"]


def test_linked_replacements_move_together() -> None:
    cfg, plan = plan_of("""\
        sampling_strategy: grid
        parameters:
          pair:
            replace: [{path: nodes.4.inputs.text, search: cat}, {path: nodes.5.inputs.text, search: cat hair}]
            values: [[cat, cat hair], [dog, dog hair]]
    """)
    prompts = [prompt_for_run(wf(), cfg, r) for r in plan.runs]
    pairs = sorted((p["4"]["inputs"]["text"], p["5"]["inputs"]["text"]) for p in prompts)
    assert pairs == [
        ("a photo of a cat on a red sofa", "blurry, cat hair"),
        ("a photo of a dog on a red sofa", "blurry, dog hair"),
    ]
    assert plan.labels["pair"] == {
        '["dog", "dog hair"]': "dog / dog hair",
        '["cat", "cat hair"]': "cat / cat hair",
    }


def test_replace_round_trips_through_the_snapshot() -> None:
    cfg = cfg_of("""\
        parameters:
          a: {path: nodes.4.inputs.text, search: cat, values: [cat, fox]}
          b: {replace: [{path: nodes.4.inputs.text, search: red}, {path: nodes.5.inputs.text, search: blurry}], values: [[red, blurry], [blue, sharp]]}
    """)
    again = parse_config(dump_config_yaml(cfg))
    assert again.parameters == cfg.parameters


def test_search_text_absent_names_the_search_key() -> None:
    err = error_of("""\
        parameters:
          animal: {path: nodes.4.inputs.text, search: a dog, values: [a dog, a fox]}
    """)
    assert err.field == "parameters.animal.search"
    assert "'a dog' does not occur in nodes.4.inputs.text" in err.message
    assert err.message.startswith("c.yaml:2:")


def test_linked_search_absent_names_the_target() -> None:
    err = error_of("""\
        parameters:
          pair: {replace: [{path: nodes.4.inputs.text, search: cat}, {path: nodes.5.inputs.text, search: owl}], values: [[cat, owl]]}
    """)
    assert err.field == "parameters.pair.replace.1.search"


def test_linked_values_need_one_replacement_per_target() -> None:
    err = error_of("""\
        parameters:
          pair: {replace: [{path: nodes.4.inputs.text, search: cat}, {path: nodes.5.inputs.text, search: hair}], values: [cat, fox]}
    """)
    assert err.field == "parameters.pair.values.0"
    assert "list of 2 replacements" in err.message


# ---- templates and wildcards --------------------------------------------------------


def test_template_fills_slots_from_parameters_and_lists() -> None:
    cfg, plan = plan_of("""\
        sampling_strategy: grid
        parameters:
          animal: {values: [cat, fox]}
          prompt:
            path: nodes.4.inputs.text
            type: template
            template: "a {animal} in {place}"
            slots: {place: [Paris, Rome]}
    """)
    texts = {prompt_for_run(wf(), cfg, r)["4"]["inputs"]["text"] for r in plan.runs}
    assert texts == {"a cat in Paris", "a cat in Rome", "a fox in Paris", "a fox in Rome"}
    assert plan.parameters == ["animal", "place", "prompt"]
    assert plan.labels["prompt"]["a fox in Rome"] == "fox · Rome"
    # the pathless parameter fills no input of its own
    assert all(
        prompt_for_run(wf(), cfg, r)["5"]["inputs"]["text"] == "blurry, cat hair" for r in plan.runs
    )


def test_template_unknown_slot_is_one_line_naming_the_slot() -> None:
    err = error_of("""\
        parameters:
          prompt: {path: nodes.4.inputs.text, type: template, template: "a {animl}"}
    """)
    assert err.field == "parameters.prompt.template"
    assert "unknown slot {animl}" in err.message
    assert "\n" not in err.message


def test_template_is_sandboxed() -> None:
    err = error_of("""\
        parameters:
          prompt: {path: nodes.4.inputs.text, type: template, template: "{{ x.__class__ }}"}
    """)
    assert "unknown slot {x}" in err.message


def test_wildcards_expand_to_an_axis() -> None:
    cfg, plan = plan_of("""\
        sampling_strategy: grid
        parameters:
          prompt: {path: nodes.4.inputs.text, type: template, template: "a {red|green|blue} car"}
    """)
    texts = sorted(prompt_for_run(wf(), cfg, r)["4"]["inputs"]["text"] for r in plan.runs)
    assert texts == ["a blue car", "a green car", "a red car"]
    assert plan.parameters == ["prompt_w1", "prompt"]
    assert (
        parse_config(dump_config_yaml(cfg)).parameters["prompt"].template
        == "a {red|green|blue} car"
    )


def test_wildcards_in_the_workflow_text() -> None:
    data = json.loads(json.dumps(WF))
    data["4"]["inputs"]["text"] = "a {cat|fox} on a sofa"
    cfg = cfg_of("""\
        sampling_strategy: grid
        parameters:
          prompt: {path: nodes.4.inputs.text, type: template}
    """)
    plan = build_plan(cfg, Workflow.from_data(data))
    texts = sorted(
        prompt_for_run(Workflow.from_data(data), cfg, r)["4"]["inputs"]["text"] for r in plan.runs
    )
    assert texts == ["a cat on a sofa", "a fox on a sofa"]


def test_wildcard_with_an_empty_option_names_the_key() -> None:
    err = error_of("""\
        parameters:
          prompt: {path: nodes.4.inputs.text, type: template, template: "a {red||blue} car"}
    """)
    assert err.field == "parameters.prompt.template"
    assert "wildcard {red||blue} has an empty option" in err.message


# ---- values_file ----------------------------------------------------------------------


def test_values_file_one_value_per_line(tmp_path: Path) -> None:
    (tmp_path / "prompts.txt").write_text(
        "# prompts\na cat on a sofa\n\na fox on a sofa\n", encoding="utf-8"
    )
    cfg, plan = plan_of(
        """\
        sampling_strategy: grid
        parameters:
          prompt: {path: nodes.4.inputs.text, values_file: prompts.txt}
        """,
        tmp_path,
    )
    assert [r.values["prompt"] for r in plan.runs] == ["a cat on a sofa", "a fox on a sofa"]
    assert plan.labels == {}  # short texts are their own labels


def test_values_file_missing_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        cfg_of(
            "parameters:\n  prompt: {path: nodes.4.inputs.text, values_file: nope.txt}\n", tmp_path
        )
    assert info.value.field == "parameters.prompt.values_file"


def test_long_text_values_get_short_labels() -> None:
    long = [
        "a highly detailed photo of a cat on a red sofa, 4k",
        "a highly detailed photo of a fox on a red sofa, 4k",
    ]
    assert distinct_words(long) == ["cat", "fox"]


def test_label_is_used_in_run_folder_names() -> None:
    _, plan = plan_of("""\
        sampling_strategy: grid
        output: {run_name_pattern: "{run_id:02d}_{prompt}"}
        parameters:
          animal: {values: [cat, fox]}
          prompt: {path: nodes.4.inputs.text, type: template, template: "a photo of a {animal}"}
    """)
    assert sorted(r.folder for r in plan.runs) == ["01_cat", "02_fox"]


# ---- input sets -------------------------------------------------------------------------


def make_sets(root: Path, names: tuple[str, ...] = ("a", "b", "c")) -> None:
    for i, name in enumerate(names):
        folder = root / "sets" / name
        folder.mkdir(parents=True)
        (folder / "prompt.txt").write_text(f"set {name}: a cat\n", encoding="utf-8")
        (folder / "frame.png").write_bytes(bytes([i]) * 32)


SETS = """\
    sampling_strategy: grid
    output: {run_name_pattern: "{set}_{run_id:02d}"}
    parameters:
      blur: {path: nodes.2.inputs.blur_radius, values: [1, 5]}
    inputs:
      directory: sets
      files: {prompt.txt: nodes.4.inputs.text, frame.png: nodes.1.inputs.image}
"""


def test_input_sets_are_the_outermost_axis(tmp_path: Path) -> None:
    make_sets(tmp_path)
    cfg, plan = plan_of(SETS, tmp_path)
    assert plan.parameters[0] == "set"
    assert [r.values["set"] for r in plan.runs] == ["a", "a", "b", "b", "c", "c"]
    assert plan.runs[0].folder == "a_01"
    prompt = prompt_for_run(wf(), cfg, plan.runs[2])
    assert prompt["4"]["inputs"]["text"] == "set b: a cat"
    name = prompt["1"]["inputs"]["image"]
    assert (
        name.startswith("comfy-sweep/")
        and name.endswith(".png")
        and len(name) == len("comfy-sweep/") + 16 + 4
    )
    assert plan.runs[2].files[0].name == name
    # deterministic: the same files give the same plan
    assert Plan.from_json(plan.to_json()).runs == build_plan(cfg_of(SETS, tmp_path), wf()).runs


def test_set_missing_a_file_is_skipped_with_a_warning(tmp_path: Path) -> None:
    make_sets(tmp_path)
    (tmp_path / "sets" / "b" / "frame.png").unlink()
    _, plan = plan_of(SETS, tmp_path)
    assert {r.values["set"] for r in plan.runs} == {"a", "c"}
    assert any(
        w == f"skipping set b: no frame.png in {tmp_path / 'sets' / 'b'}" for w in plan.warnings
    )


def test_set_missing_a_file_is_refused_with_strict(tmp_path: Path) -> None:
    make_sets(tmp_path)
    (tmp_path / "sets" / "b" / "frame.png").unlink()
    cfg = cfg_of(SETS, tmp_path)
    cfg.inputs.strict = True
    with pytest.raises(ConfigError) as info:
        build_plan(cfg, wf())
    assert info.value.field == "inputs.files.frame.png"
    assert "sets/b: no frame.png" in info.value.message


def test_replace_on_a_set_text_is_checked_per_set(tmp_path: Path) -> None:
    make_sets(tmp_path)
    (tmp_path / "sets" / "c" / "prompt.txt").write_text("set c: a dog", encoding="utf-8")
    text = SETS.replace(
        "parameters:\n",
        "parameters:\n      animal: {path: nodes.4.inputs.text, search: a cat, values: [a cat, a fox]}\n",
    )
    err = error_of(text, tmp_path)
    assert err.field == "parameters.animal.search"
    assert "of set c" in err.message


def test_set_is_a_reserved_parameter_name(tmp_path: Path) -> None:
    make_sets(tmp_path)
    err = error_of(SETS.replace("blur:", "set:"), tmp_path)
    assert err.field == "parameters.set"
    assert "column of metadata.csv" in err.message


def test_metadata_columns_are_reserved_names() -> None:
    err = error_of("parameters:\n  status: {path: nodes.6.inputs.cfg, values: [1, 2]}\n")
    assert err.field == "parameters.status"


def test_inline_sets_need_no_folders() -> None:
    cfg, plan = plan_of("""\
        sampling_strategy: grid
        parameters:
          blur: {path: nodes.2.inputs.blur_radius, values: [1, 5]}
        inputs:
          sets:
            one: {nodes.1.inputs.image: comfy-sweep/aaaa.png}
            two: {nodes.1.inputs.image: comfy-sweep/bbbb.png}
    """)
    assert [prompt_for_run(wf(), cfg, r)["1"]["inputs"]["image"] for r in plan.runs] == [
        "comfy-sweep/aaaa.png", "comfy-sweep/aaaa.png", "comfy-sweep/bbbb.png", "comfy-sweep/bbbb.png",
    ]  # fmt: skip
    assert all(not r.files for r in plan.runs)


def test_negative_prompt_fills_the_negative_text(tmp_path: Path) -> None:
    make_sets(tmp_path, ("a",))
    cfg, plan = plan_of(SETS + "      negative_prompt: ugly\n", tmp_path)
    assert prompt_for_run(wf(), cfg, plan.runs[0])["5"]["inputs"]["text"] == "ugly"


def test_missing_mapping_lists_candidates_and_a_files_block(tmp_path: Path) -> None:
    make_sets(tmp_path)
    err = error_of("parameters: {}\nnum_samples: 1\ninputs: {directory: sets}\n", tmp_path)
    assert err.field == "inputs.files"
    assert "\n  files:\n    image_1.png: nodes.1.inputs.image  # image: LoadImage" in err.message
    assert "\n    prompt.txt: nodes.4.inputs.text  # text" in err.message
    assert "\n    negative_prompt.txt: nodes.5.inputs.text  # text" in err.message


@pytest.mark.skipif(SHARED_REFERENCE is None, reason="shared reference material absent")
def test_original_shots_yaml_gives_the_mapping_message(tmp_path: Path) -> None:
    src = SHARED_REFERENCE / "original-suite-shots"
    (tmp_path / "configs").mkdir()
    (tmp_path / "workflow.json").write_bytes((src / "workflow.json").read_bytes())
    (tmp_path / "configs" / "shots.yaml").write_bytes((src / "shots.yaml").read_bytes())
    cfg = load_config(tmp_path / "configs" / "shots.yaml")
    assert cfg.inputs is not None and cfg.inputs.from_shots
    assert cfg.inputs.negative_prompt is not None
    assert any("comfyui_input_path is ignored" in w for w in cfg.warnings)
    workflow = Workflow.from_data(json.loads((src / "workflow.json").read_text(encoding="utf-8")))
    with pytest.raises(ConfigError) as info:
        build_plan(cfg, workflow)
    assert info.value.field == "shots.files"
    block = files_block(suggest_input_files(workflow))
    assert block in info.value.message
    assert "first_frame.png: nodes.68.inputs.image" in block
    assert "last_frame.png: nodes.62.inputs.image" in block
    assert "prompt.txt: nodes.6.inputs.text" in block


# ---- contact sheet ------------------------------------------------------------------------


def test_contact_sheet_shows_labels_with_the_full_text(tmp_path: Path) -> None:
    from comfy_sweep.core.report.sheet import build_report_data

    cfg, plan = plan_of("""\
        sampling_strategy: grid
        parameters:
          animal: {values: [cat, fox]}
          prompt: {path: nodes.4.inputs.text, type: template, template: "a long photo of a {animal} on a red sofa"}
          pair: {replace: [{path: nodes.4.inputs.text, search: red}, {path: nodes.5.inputs.text, search: blurry}], values: [[red, blurry]]}
    """)
    (tmp_path / "plan.json").write_text(json.dumps(plan.to_json()), encoding="utf-8")
    (tmp_path / "progress.json").write_text(json.dumps({"state": "running"}), encoding="utf-8")
    data = build_report_data(tmp_path)
    run = next(r for r in data["runs"] if r["v"]["animal"] == "fox")
    assert run["v"]["prompt"] == "fox"
    assert run["t"]["prompt"] == "a long photo of a fox on a red sofa"
    assert run["v"]["pair"] == "red / blurry"
    assert run["t"]["pair"] == '["red", "blurry"]'
    assert "animal" not in run["t"]


# ---- routes ------------------------------------------------------------------------------


def test_routes_refuse_set_folders_unless_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    from comfy_sweep.core.errors import RequestError
    from comfy_sweep.server_routes.schemas import ALLOW_LOCAL_PATHS_ENV, sweep_request

    body = {"prompt": WF, "config": {"inputs": {"directory": "/data/shots", "files": {}}}}
    monkeypatch.delenv(ALLOW_LOCAL_PATHS_ENV, raising=False)
    with pytest.raises(RequestError) as info:
        sweep_request(body)
    assert info.value.field == "config.inputs.directory"
    inline = {
        "prompt": WF,
        "config": {"inputs": {"sets": {"a": {"nodes.1.inputs.image": "x.png"}}}},
    }
    assert sweep_request(inline).config["inputs"]["sets"]
    monkeypatch.setenv(ALLOW_LOCAL_PATHS_ENV, "1")
    assert sweep_request(body).config["inputs"]["directory"] == "/data/shots"


def test_input_sets_over_a_v2_server_are_refused_before_any_batch() -> None:
    err = error_of("""\
        sampling_strategy: grid
        comfyui:
          servers: [{address: "http://127.0.0.1:9", api: v2}]
        parameters:
          blur: {path: nodes.2.inputs.blur_radius, values: [1, 5]}
        inputs:
          sets:
            one: {nodes.1.inputs.image: comfy-sweep/aaaa.png}
    """)
    assert err.field == "inputs" and "Comfy API v2" in err.message
