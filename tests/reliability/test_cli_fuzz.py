"""Bad configs and workflows through the CLI, property-based: never a
traceback, exit 2 with one `error:` line naming the file/key/field."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from comfy_sweep.cli.analyze import main as cr_analyze
from comfy_sweep.cli.batch import main as cr_batch
from hypothesis import given, settings
from hypothesis import strategies as st

from .helpers import EXAMPLES, GRID6, example_prompt

# derandomize: CI sees the same examples every run (no flaky fuzz failures)
FUZZ = settings(max_examples=30, deadline=None, derandomize=True)
NO_SERVER = "127.0.0.1:1"  # refused at once: dry runs check heuristically
GRID_YAML = (EXAMPLES / "configs" / "image_grid.yaml").read_text()

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def invoke(command: Any, args: list[str]) -> tuple[int, str]:
    res = CliRunner().invoke(command, args)
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise AssertionError(f"traceback for {args}: {res.exception!r}\n{res.output}")
    assert "Traceback" not in res.output, res.output
    return res.exit_code, res.output


def assert_clean_failure(code: int, output: str, *names: str) -> None:
    assert code == 2, output
    errors = [ln for ln in output.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, output
    if names:
        assert any(n in errors[0] for n in names), f"{names} not named in: {errors[0]}"


def batch_dry_run(folder: Path, config_text: str, workflow: Any = None) -> tuple[int, str]:
    wf = example_prompt(64, "rel-cli-fuzz/img") if workflow is None else workflow
    (folder / "workflow.json").write_text(wf if isinstance(wf, str) else json.dumps(wf))
    (folder / "sweep.yaml").write_text(config_text)
    return invoke(cr_batch, [str(folder / "sweep.yaml"), "--dry-run", "--server", NO_SERVER])


def grid_config(**changes: Any) -> str:
    return yaml.safe_dump({"workflow_file": "workflow.json", **GRID6, **changes}, sort_keys=False)


@FUZZ
@given(data=json_values)
def test_random_config_structures(data: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        text = yaml.safe_dump(data) if not isinstance(data, str) else data
        code, out = batch_dry_run(Path(tmp), text)
        if code != 0:
            assert_clean_failure(code, out, "sweep.yaml", "workflow")


@FUZZ
@given(cut=st.integers(min_value=0, max_value=len(GRID_YAML) - 1))
def test_truncated_yaml(cut: int) -> None:
    text = GRID_YAML.replace("../image_noise_blur.json", "workflow.json")[:cut]
    with tempfile.TemporaryDirectory() as tmp:
        code, out = batch_dry_run(Path(tmp), text)
        if code != 0:
            assert_clean_failure(code, out, "sweep.yaml", "workflow")  # may cut its name


KEYS = ["sampling_strategy", "num_samples", "seeds_per_sample", "parameters", "output", "comfyui"]
wrong = st.one_of(
    st.lists(st.integers(), min_size=1, max_size=2),
    st.dictionaries(st.sampled_from(["zz", "min"]), st.integers(), min_size=1, max_size=1),
    st.just("???"),
)


@FUZZ
@given(key=st.sampled_from(KEYS), value=wrong)
def test_wrong_typed_config_key_is_named(key: str, value: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        code, out = batch_dry_run(Path(tmp), grid_config(**{key: value}))
        if code != 0:  # e.g. num_samples is ignored by grid
            assert_clean_failure(code, out, key)


def test_known_bad_config_keys_fail() -> None:
    """The property above must be able to fail: these are refused for sure."""
    bad_params = {
        "strength": {"path": "nodes.Noise.inputs.strength", "type": "values", "values": 5}
    }
    for changes, name in [
        ({"sampling_strategy": [1]}, "sampling_strategy"),
        ({"parameters": [1, 2]}, "parameters"),
        ({"parameters": bad_params}, "values"),
        ({"comfyui": {"queue_window": "many"}}, "queue_window"),
    ]:
        with tempfile.TemporaryDirectory() as tmp:
            code, out = batch_dry_run(Path(tmp), grid_config(**changes))
            assert_clean_failure(code, out, name)


# -- workflows -------------------------------------------------------------------


def mutate_workflow(kind: str, value: Any) -> Any:
    wf = example_prompt(64, "rel-cli-fuzz/img")
    if kind == "inputs_wrong_type":
        wf["2"]["inputs"] = value if not isinstance(value, dict) else [value]
    elif kind == "class_type_wrong_type":
        wf["3"]["class_type"] = value if not isinstance(value, str) else [value]
    elif kind == "missing_node":
        wf["3"]["inputs"]["image"] = ["99", 0]
    elif kind == "cycle":
        wf["2"]["inputs"]["image"] = ["3", 0]
    elif kind == "node_not_object":
        wf["2"] = value if not isinstance(value, dict) else [value]
    elif kind == "ui_format":
        wf = {
            "last_node_id": 4,
            "nodes": [{"id": 1, "type": "EmptyImage", "widgets_values": [1]}],
            "links": [],
            "version": 0.4,
        }
    elif kind == "top_level_not_object":
        wf = [wf]
    return wf


KINDS = [
    "inputs_wrong_type",
    "class_type_wrong_type",
    "missing_node",
    "cycle",
    "node_not_object",
    "ui_format",
    "top_level_not_object",
]


@FUZZ
@given(kind=st.sampled_from(KINDS), value=json_values)
def test_bad_workflows_through_cr_batch_and_cr_analyze(kind: str, value: Any) -> None:
    wf = mutate_workflow(kind, value)
    with tempfile.TemporaryDirectory() as tmp:
        code, out = batch_dry_run(Path(tmp), grid_config(), wf)
        assert_clean_failure(code, out, "workflow.json", "nodes", "workflow")
        code, out = invoke(cr_analyze, [str(Path(tmp) / "workflow.json"), "--json"])
        assert_clean_failure(code, out, "workflow.json", "nodes", "workflow")


@FUZZ
@given(cut=st.integers(min_value=0, max_value=300))
def test_truncated_workflow_json(cut: int) -> None:
    text = json.dumps(example_prompt(64, "rel-cli-fuzz/img"))[:cut]
    with tempfile.TemporaryDirectory() as tmp:
        code, out = batch_dry_run(Path(tmp), grid_config(), text)
        assert_clean_failure(code, out, "workflow.json")
        code, out = invoke(cr_analyze, [str(Path(tmp) / "workflow.json"), "--json"])
        assert_clean_failure(code, out, "workflow.json")


def test_ui_format_is_named_as_such() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        code, out = batch_dry_run(Path(tmp), grid_config(), mutate_workflow("ui_format", None))
        assert_clean_failure(code, out, "UI format", "UI-format", "ui format")
