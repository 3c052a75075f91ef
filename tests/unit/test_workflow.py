"""Workflow model: formats, paths (ids, titles, quoting), structure checks, depth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from comfy_sweep.core.errors import WorkflowError
from comfy_sweep.core.workflow import (
    InputRef,
    Workflow,
    format_path,
    load_workflow,
    parse_path,
)
from hypothesis import given
from hypothesis import strategies as st
from shared_paths import SHARED_WORKFLOWS

SHARED = SHARED_WORKFLOWS


def node(cls: str, title: str | None = None, **inputs: object) -> dict[str, object]:
    data: dict[str, object] = {"class_type": cls, "inputs": inputs}
    if title is not None:
        data["_meta"] = {"title": title}
    return data


def small() -> Workflow:
    return Workflow.from_data(
        {
            "4": node("CheckpointLoaderSimple", "Load Checkpoint", ckpt_name="a.safetensors"),
            "6": node("CLIPTextEncode", "Prompt", text="hi", clip=["4", 1]),
            "7": node("CLIPTextEncode", "Prompt", text="bad", clip=["4", 1]),
            "75:58": node("KSampler", "KSampler", seed=5, cfg=7.0, model=["4", 0],
                          positive=["6", 0], negative=["7", 0]),
            "9": node("Weird", "my.node v2", strength=1.0),
            "12": node("KSampler", "75:58", cfg=3.0),
        },
        source="wf.json",
    )  # fmt: skip


def test_canonical_and_subgraph_ids() -> None:
    wf = small()
    ref = wf.resolve("nodes.75:58.inputs.cfg")
    assert ref == InputRef("75:58", "cfg")
    assert ref.path == "nodes.75:58.inputs.cfg"
    assert wf.get(ref) == 7.0


def test_title_paths_and_quoting() -> None:
    wf = small()
    assert wf.resolve("nodes.KSampler.inputs.seed").node_id == "75:58"
    assert wf.resolve('nodes."Load Checkpoint".inputs.ckpt_name').node_id == "4"
    assert wf.resolve("nodes.Load Checkpoint.inputs.ckpt_name").node_id == "4"
    assert wf.resolve('nodes."my.node v2".inputs.strength').node_id == "9"


def test_id_wins_over_title() -> None:
    # node "12" is titled "75:58"; the id "75:58" must still win
    assert small().resolve("nodes.75:58.inputs.cfg").node_id == "75:58"


def test_ambiguous_title_names_candidates() -> None:
    with pytest.raises(WorkflowError) as exc:
        small().resolve("nodes.Prompt.inputs.text", field="parameters.p.path")
    msg = exc.value.message
    assert "ambiguous" in msg and "6 (" in msg and "7 (" in msg
    assert exc.value.field == "parameters.p.path"
    assert exc.value.details["candidates"] == ["6", "7"]


def test_missing_title_lists_nodes() -> None:
    with pytest.raises(WorkflowError) as exc:
        small().resolve("nodes.Sampler.inputs.cfg")
    assert "'Sampler'" in exc.value.message and "75:58 ('KSampler', KSampler)" in exc.value.message


@pytest.mark.parametrize(
    ("path", "why"),
    [("nodes.6.inputs.clip", "linked"), ("nodes.6.inputs.nope", "does not exist")],
)
def test_linked_or_missing_input_lists_literals(path: str, why: str) -> None:
    with pytest.raises(WorkflowError) as exc:
        small().resolve(path)
    assert why in exc.value.message
    assert "literal inputs are: text" in exc.value.message
    assert exc.value.details["node_id"] == "6"


@pytest.mark.parametrize("bad", ["cfg", "nodes.3.cfg", "nodes.3.inputs.", "nodes..inputs.x", ""])
def test_malformed_paths(bad: str) -> None:
    with pytest.raises(WorkflowError, match="bad parameter path"):
        small().resolve(bad)


segments = st.text(min_size=1, max_size=12)
names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)


@given(segments, names)
def test_path_round_trip(segment: str, name: str) -> None:
    assert parse_path(format_path(segment, name)) == (segment, name)


def test_ui_format_refused(tmp_path: Path) -> None:
    f = tmp_path / "ui.json"
    f.write_text(json.dumps({"nodes": [], "links": [], "version": 0.4}))
    with pytest.raises(WorkflowError) as exc:
        load_workflow(f)
    assert str(f) in exc.value.message
    # Without the server's node definitions it cannot be converted: the message says
    # what to give (a server or a saved /object_info) or how to export the API format.
    assert "this is a UI-format workflow" in exc.value.message
    assert "--server" in exc.value.message and "--object-info" in exc.value.message
    assert "Export (API)" in exc.value.message


@pytest.mark.skipif(not SHARED.exists(), reason="shared workflows not present")
@pytest.mark.parametrize("name", ["default", "lora", "flux_schnell",
                                  "sdxl_refiner_prompt_example", "video_wan2_2_5B_ti2v"])  # fmt: skip
def test_real_workflows(name: str) -> None:
    with pytest.raises(WorkflowError, match="UI-format"):
        load_workflow(SHARED / "ui" / f"{name}.json")
    wf = load_workflow(SHARED / "api" / f"{name}.json")
    refs = list(wf.literal_inputs())
    assert refs
    for ref, value in refs:
        assert wf.resolve(ref.path) == ref and wf.get(ref) == value


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ([1, 2], "not an API-format workflow"),
        ({}, "not an API-format workflow"),
        ({"3": {"inputs": {}}}, "node 3 has no class_type"),
        ({"3": {"class_type": "X"}}, "node 3 (X) has no inputs"),
        ({"3": "x"}, "node 3 is not an object"),
        ({"3": node("X", a=["9", 0])}, "node 3 input 'a' links to node '9'"),
        ({"3": node("X", a=["3"])}, "malformed link"),
    ],
)
def test_structure_errors(data: object, needle: str) -> None:
    with pytest.raises(WorkflowError) as exc:
        Workflow.from_data(data, source="w.json")
    assert needle in exc.value.message and exc.value.message.startswith("w.json: ")


def test_cycle_refused() -> None:
    with pytest.raises(WorkflowError, match="cycle through nodes"):
        Workflow.from_data({"1": node("A", x=["2", 0]), "2": node("B", y=["1", 0])})


def test_bad_json_names_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "w.json"
    f.write_text('{\n "3": ,\n}')
    with pytest.raises(WorkflowError, match=r"w\.json: not valid JSON \(line 2"):
        load_workflow(f)
    with pytest.raises(WorkflowError, match="cannot read"):
        load_workflow(tmp_path / "missing.json")


def test_upstream_depth_is_longest_path() -> None:
    wf = Workflow.from_data(
        {
            "1": node("Src", v=1),
            "2": node("Mid", a=["1", 0]),
            "3": node("Sink", a=["1", 0], b=["2", 0]),
            "4": node("Lone", v=2),
        }
    )
    assert [wf.upstream_depth(n) for n in ("1", "2", "3", "4")] == [0, 1, 2, 0]
    with pytest.raises(WorkflowError):
        wf.upstream_depth("99")


def test_apply_copies() -> None:
    wf = small()
    ref = InputRef("75:58", "cfg")
    out = wf.apply({ref: 4.5})
    assert out["75:58"]["inputs"]["cfg"] == 4.5
    assert wf.get(ref) == 7.0 and wf.to_json()["75:58"]["inputs"]["cfg"] == 7.0
    assert out["75:58"]["inputs"]["model"] == ["4", 0]
