"""The metrics: config section: parsing, every error naming metrics.<name>.<key>,
the server's refusal of command scorers, and the way back to YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
from comfy_sweep.core.errors import ConfigError
from comfy_sweep.core.metrics.results import answer_from_text, answer_from_ui, columns, mean_answers
from comfy_sweep.core.metrics.spec import (
    metrics_from_yaml,
    metrics_to_raw,
    parse_metrics,
    refuse_unsafe_metrics,
)

FULL = {
    "sharp": {"type": "sharpness"},
    "noise": None,
    "like_ref": {"type": "similarity", "reference": "ref.png", "measure": "PSNR", "frames": 4},
    "judge": {"type": "http", "url": "https://api.example/score", "api_key_env": "MY_KEY",
              "timeout": 5},
    "mine": {"type": "command", "command": "python myscore.py {file}", "goal": "minimize"},
    "aesthetic": {"type": "comfy", "workflow": "score.json", "input": "nodes.1.inputs.image",
                  "output": 3},
}  # fmt: skip


def test_full_section_parses_in_order() -> None:
    specs = parse_metrics(FULL, source="c.yaml")
    assert [s.name for s in specs] == list(FULL)
    by = {s.name: s for s in specs}
    assert by["noise"].type == "noise" and by["noise"].effective_goal == "minimize"
    assert by["like_ref"].measure == "psnr" and by["like_ref"].frames == 4
    assert by["mine"].command == ("python", "myscore.py", "{file}")
    assert by["mine"].effective_goal == "minimize" and by["judge"].effective_goal == "maximize"
    assert by["aesthetic"].output == "3" and by["aesthetic"].column == "score_aesthetic"
    assert parse_metrics(["sharpness", "motion"])[1].effective_goal is None  # no direction


def test_round_trip_through_yaml_form(tmp_path: Path) -> None:
    specs = parse_metrics(FULL)
    assert parse_metrics(metrics_to_raw(specs)) == specs
    saved = metrics_to_raw(specs, base_dir=tmp_path)  # for a batch's config.yaml copy
    assert saved["like_ref"]["reference"] == str(tmp_path / "ref.png")
    assert saved["aesthetic"]["workflow"] == str(tmp_path / "score.json")
    assert metrics_to_raw(parse_metrics({"s": {"type": "similarity", "reference": "/a/r.png"}}),
                          base_dir=tmp_path)["s"]["reference"] == "/a/r.png"  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        ({"x": {"type": "sharp"}}, "metrics.x.type", "did you mean 'sharpness'"),
        ({"x": {}}, "metrics.x.type", "missing"),
        ({"x": {"type": "similarity"}}, "metrics.x.reference", "needs reference"),
        ({"x": {"type": "sharpness", "reference": "a.png"}}, "metrics.x.reference", "similarity only"),
        ({"x": {"type": "similarity", "refrence": "a"}}, "metrics.x.refrence", "did you mean 'reference'"),
        ({"x": {"type": "similarity", "reference": "a", "measure": "mse"}}, "metrics.x.measure", "ssim, psnr"),
        ({"x": {"type": "noise", "frames": 0}}, "metrics.x.frames", "1 to 256"),
        ({"x": {"type": "noise", "goal": "up"}}, "metrics.x.goal", "maximize, minimize"),
        ({"x": {"type": "http", "url": "ftp://h"}}, "metrics.x.url", "http://"),
        ({"x": {"type": "http", "url": "http://h", "api_key_env": "sk-123"}}, "metrics.x.api_key_env", "name"),
        ({"x": {"type": "http", "url": "http://h", "timeout": -1}}, "metrics.x.timeout", "positive"),
        ({"x": {"type": "command", "command": ["python", "a.py"]}}, "metrics.x.command", "{file}"),
        ({"x": {"type": "command", "command": ["a", {"b": 1}, "{file}"]}}, "metrics.x.command.1", "string"),
        ({"x": {"type": "comfy", "workflow": "w.json", "input": "1.image", "output": 2}}, "metrics.x.input", "nodes."),
        ({"x": {"type": "comfy", "workflow": "w.json", "input": "nodes.1.inputs.image"}}, "metrics.x.output", "needs output"),
        ({"bad name": {"type": "noise"}}, "metrics.bad name", "letters, digits"),
        ({"x": 3}, "metrics.x", "mapping"),
        ([1], "metrics.0", "type name"),
        ("sharpness", "metrics", "mapping"),
    ],
)  # fmt: skip
def test_errors_name_the_field(raw: object, field: str, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_metrics(raw, source="c.yaml")
    assert err.value.field == field
    assert words in err.value.message and err.value.message.startswith(f"c.yaml: {field}")


def test_server_refuses_command_scorers_unless_allowed() -> None:
    specs = parse_metrics(FULL)
    with pytest.raises(ConfigError) as err:
        refuse_unsafe_metrics(specs, allow_commands=False)
    assert err.value.field == "metrics.mine.type"
    assert "COMFY_SWEEP_ALLOW_COMMAND_SCORERS=1" in err.value.message
    refuse_unsafe_metrics(specs, allow_commands=True)
    refuse_unsafe_metrics([s for s in specs if s.type != "command"], allow_commands=False)


def test_metrics_from_a_whole_config_file() -> None:
    text = "workflow_file: w.json\nmetrics:\n  sharp: {type: sharpness}\n"
    assert [s.name for s in metrics_from_yaml(text, source="c.yaml")] == ["sharp"]
    assert metrics_from_yaml("workflow_file: w.json\n", source="c.yaml") == []
    with pytest.raises(ConfigError, match="c.yaml:2: YAML syntax error"):
        metrics_from_yaml("a: 1\n b: [\n", source="c.yaml")


def test_answers_from_programs_apis_and_ui_results() -> None:
    assert answer_from_text("loading model...\n0.75\n") == 0.75
    assert answer_from_text('{"aesthetic": 6.5, "label": "x", "nsfw": 0}') == {
        "aesthetic": 6.5,
        "nsfw": 0.0,
    }
    assert answer_from_text('{"scores": {"score_a": 1}, "b": 2}') == {"a": 1.0}
    for bad in ("", "nan", "hello", '{"label": "x"}', "true"):
        with pytest.raises(ValueError):
            answer_from_text(bad)
    assert answer_from_ui({"text": ["256"]}) == 256.0
    assert answer_from_ui({"images": [{"filename": "a.png"}], "text": ['{"w": 3}']}) == {"w": 3.0}
    with pytest.raises(ValueError, match="no number"):
        answer_from_ui({"text": ["None"]})
    assert columns("m", 1.0) == {"m": 1.0} and columns("m", {"a": 2.0}) == {"m_a": 2.0}
    assert mean_answers([1.0, 3.0]) == 2.0
    assert mean_answers([{"a": 1.0}, {"a": 3.0, "b": 1.0}]) == {"a": 2.0, "b": 1.0}


@pytest.mark.parametrize(
    ("reference", "name"),
    [("comfy-sweep/ref.png [input]", "comfy-sweep/ref.png"), ("ref.png [input]", "ref.png"),
     ("ref.png", None), ("/abs/ref.png", None)],
)  # fmt: skip
def test_input_references_are_comfyuis_annotation(reference: str, name: str | None) -> None:
    from comfy_sweep.core.metrics.spec import input_name

    assert input_name(reference) == name


@pytest.mark.parametrize("bad", ["../x.png [input]", "/etc/x.png [input]", "a//b.png [input]",
                                 "C:/x.png [input]", " [input]"])  # fmt: skip
def test_an_input_reference_leaving_the_folder_is_refused(bad: str) -> None:
    specs = parse_metrics({"like": {"type": "similarity", "reference": bad}}, source="c.yaml")
    with pytest.raises(ConfigError) as info:
        refuse_unsafe_metrics(specs, allow_commands=False, allow_paths=False)
    assert info.value.field == "metrics.like.reference"


def test_a_posted_reference_may_name_an_input_file_only(tmp_path: Path) -> None:
    from comfy_sweep.core.metrics.spec import metrics_to_raw
    from comfy_sweep.media.scorers import check_scorers
    from comfy_sweep.media.scoring import ScoreContext

    ok = parse_metrics(
        {"like": {"type": "similarity", "reference": "sub/r.png [input]"}}, source="c"
    )
    refuse_unsafe_metrics(ok, allow_commands=False, allow_paths=False)  # no error
    local = parse_metrics({"like": {"type": "similarity", "reference": "r.png"}}, source="c")
    with pytest.raises(ConfigError, match=r"\[input\]"):
        refuse_unsafe_metrics(local, allow_commands=False, allow_paths=False)
    assert metrics_to_raw(ok, base_dir=tmp_path)["like"]["reference"] == "sub/r.png [input]"
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "r.png").write_bytes(b"x")
    ctx = ScoreContext(input_dir=tmp_path)
    assert ctx.resolve("sub/r.png [input]") == tmp_path / "sub" / "r.png"
    check_scorers(ok, ctx)
    with pytest.raises(ConfigError) as info:  # client mode: no input folder here
        check_scorers(ok, ScoreContext(base_dir=tmp_path))
    assert info.value.field == "metrics.like.reference" and "server" in info.value.message
