"""UI-format → API conversion (core/uiformat): equal to the frontend's own export
on the real workflows in ../shared, and one hand-made graph per construct."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

import pytest
from comfy_sweep.core.errors import WorkflowError
from comfy_sweep.core.objectinfo import ObjectInfo
from comfy_sweep.core.uiformat import convert_ui_workflow, is_ui_workflow
from comfy_sweep.core.workflow import Workflow
from shared_paths import REPO, SAVED_OBJECT_INFO, SHARED_WORKFLOWS
from uiformat_graphs import (
    EXAMPLE_API,
    OBJECT_INFO,
    blur_chain,
    blur_subgraph,
    example_workflow,
    graph,
    group_node_twins,
    group_node_workflow,
    node,
    out,
    sg_link,
    slot,
    subgraph_def,
)

SHARED_NAMES = ["default", "lora", "flux_schnell", "sdxl_refiner_prompt_example",
                "video_wan2_2_5B_ti2v"]  # fmt: skip


def convert(ui: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return convert_ui_workflow(ui, OBJECT_INFO, **kw).prompt


# ---- the frontend's own exports ---------------------------------------------------


@pytest.mark.skipif(not SHARED_WORKFLOWS.is_dir(), reason="../shared/workflows not present")
@pytest.mark.parametrize("name", SHARED_NAMES)
def test_equals_the_frontends_export(name: str) -> None:
    info = json.loads(SAVED_OBJECT_INFO.read_text(encoding="utf-8"))
    ui = json.loads((SHARED_WORKFLOWS / "ui" / f"{name}.json").read_text(encoding="utf-8"))
    api = json.loads((SHARED_WORKFLOWS / "api" / f"{name}.json").read_text(encoding="utf-8"))
    assert convert_ui_workflow(ui, info).prompt == api


# ---- links, widgets, titles -------------------------------------------------------


def test_links_and_widget_values_in_widget_order() -> None:
    api = convert(blur_chain())
    assert api == {
        "1": {"inputs": {"width": 64, "height": 32, "batch_size": 1, "color": 0},
              "class_type": "EmptyImage", "_meta": {"title": "EmptyImage"}},
        "2": {"inputs": {"blur_radius": 3, "sigma": 0.5, "image": ["1", 0]},
              "class_type": "ImageBlur", "_meta": {"title": "ImageBlur"}},  # no display_name
        "3": {"inputs": {"filename_prefix": "blur", "images": ["2", 0]},
              "class_type": "SaveImage", "_meta": {"title": "Save Image"}},
    }  # fmt: skip


def test_saved_title_and_missing_values_fall_back_to_defaults() -> None:
    ui = blur_chain()
    ui["nodes"][1]["title"] = "Soft"
    ui["nodes"][1]["widgets_values"] = [5]  # sigma not saved: its default
    api = convert(ui)
    assert api["2"]["_meta"]["title"] == "Soft"
    assert api["2"]["inputs"]["sigma"] == 1.0 and api["2"]["inputs"]["blur_radius"] == 5


def test_seed_control_value_is_skipped() -> None:
    ui = graph(
        [node(1, "EmptyImage", [], [out("IMAGE", [1])], [8, 8, 1, 0]),
         node(2, "ImageAddNoise", [slot("image", "IMAGE", 1)], [out("IMAGE")],
              [1234, "randomize", 0.25])],
        [[1, 1, 0, 2, 0, "IMAGE"]],
    )  # fmt: skip
    assert convert(ui)["2"]["inputs"] == {"seed": 1234, "strength": 0.25, "image": ["1", 0]}


def test_combo_control_adds_a_control_and_a_filter_value() -> None:
    ui = graph([node(1, "PickOne", [], [out("FLOAT")], ["y", "fixed", "", 2.5])], [])
    assert convert(ui)["1"]["inputs"] == {"choice": "y", "amount": 2.5}


def test_upload_widget_value_is_not_sent() -> None:
    ui = graph([node(1, "LoadImage", [], [out("IMAGE"), out("MASK")], ["b.png", "image"])], [])
    assert convert(ui)["1"]["inputs"] == {"image": "b.png"}


def test_widget_converted_to_input_takes_the_link() -> None:
    ui = graph(
        [node(1, "EmptyImage", [], [out("IMAGE", [1])], [8, 8, 1, 0]),
         node(4, "PickOne", [], [out("FLOAT", [3])], ["x", "fixed", "", 7.5]),
         node(2, "ImageBlur", [slot("image", "IMAGE", 1), slot("sigma", "FLOAT", 3, widget=True)],
              [out("IMAGE")], [2, 0.5])],
        [[1, 1, 0, 2, 0, "IMAGE"], [3, 4, 0, 2, 2, "FLOAT"]],
    )  # fmt: skip
    assert convert(ui)["2"]["inputs"]["sigma"] == ["4", 0]


def test_list_values_are_boxed() -> None:
    ui = blur_chain()
    ui["nodes"][2]["widgets_values"] = [["a", "b"]]
    assert convert(ui)["3"]["inputs"]["filename_prefix"] == {"__value__": ["a", "b"]}


# ---- primitives, virtual nodes -------------------------------------------------------


def test_primitive_value_flows_into_every_target() -> None:
    ui = blur_chain()
    ui["nodes"][1]["inputs"].append(slot("sigma", "FLOAT", 10, widget=True))
    ui["nodes"].append(
        node(5, "ImageBlur", [slot("image", "IMAGE", 11), slot("sigma", "FLOAT", 12, widget=True)],
             [out("IMAGE")], [1, 0.1])
    )  # fmt: skip
    ui["nodes"].append(node(9, "PrimitiveNode", [], [out("FLOAT", [10, 12])], [4.5, "fixed"]))
    ui["links"] += [[10, 9, 0, 2, 1, "FLOAT"], [11, 1, 0, 5, 0, "IMAGE"], [12, 9, 0, 5, 1, "FLOAT"]]
    api = convert(ui)
    assert api["2"]["inputs"]["sigma"] == 4.5 and api["5"]["inputs"]["sigma"] == 4.5
    assert "9" not in api


def test_notes_and_reroutes_are_never_emitted() -> None:
    ui = blur_chain()
    ui["nodes"][2]["inputs"][0]["link"] = 21  # SaveImage <- Reroute 7 <- Reroute 8 <- blur
    ui["nodes"][1]["outputs"][0]["links"] = [20]
    ui["nodes"] += [
        node(8, "Reroute", [slot("", "*", 20)], [out("*", [22])]),
        node(7, "Reroute", [slot("", "*", 22)], [out("*", [21])]),
        node(30, "Note", [], [], ["hello"]),
        node(31, "MarkdownNote", [], [], ["# hi"]),
    ]
    ui["links"] = [ui["links"][0], [20, 2, 0, 8, 0, "IMAGE"], [22, 8, 0, 7, 0, "*"],
                   [21, 7, 0, 3, 0, "IMAGE"]]  # fmt: skip
    api = convert(ui)
    assert set(api) == {"1", "2", "3"} and api["3"]["inputs"]["images"] == ["2", 0]


def test_native_reroutes_do_not_change_links() -> None:
    ui = blur_chain()
    ui["links"][1] = {"id": 2, "origin_id": 2, "origin_slot": 0, "target_id": 3,
                      "target_slot": 0, "type": "IMAGE", "parentId": 1}  # fmt: skip
    ui["extra"] = {"reroutes": [{"id": 1, "pos": [0, 0], "linkIds": [2]}]}
    assert convert(ui)["3"]["inputs"]["images"] == ["2", 0]


# ---- muted and bypassed -------------------------------------------------------------


def test_muted_node_is_dropped_with_the_inputs_it_fed() -> None:
    api = convert(blur_chain(blur_mode=2))
    assert "2" not in api and api["3"]["inputs"] == {"filename_prefix": "blur"}


def test_bypassed_node_passes_its_input_through_by_type() -> None:
    api = convert(blur_chain(blur_mode=4))
    assert "2" not in api and api["3"]["inputs"]["images"] == ["1", 0]


def test_bypass_without_a_matching_input_drops_the_link() -> None:
    ui = graph(
        [node(1, "LoadImage", [], [out("IMAGE"), out("MASK", [1])], ["a.png", "image"], mode=4),
         node(2, "ImageInvert", [slot("image", "IMAGE", 1)], [out("IMAGE")])],
        [[1, 1, 1, 2, 0, "MASK"]],
    )  # fmt: skip
    assert convert(ui) == {
        "2": {"inputs": {}, "class_type": "ImageInvert", "_meta": {"title": "Invert Image"}}
    }


def test_links_to_missing_nodes_are_refused_in_one_line() -> None:
    # The frontend refuses to queue these too ("No input node found ...").
    ui = blur_chain()
    ui["links"].append([9, 77, 0, 3, 0, "IMAGE"])
    ui["nodes"][2]["inputs"][0]["link"] = 9  # from node 77, which is not in the graph
    with pytest.raises(WorkflowError) as exc:
        convert_ui_workflow(ui, OBJECT_INFO, source="wf.json")
    assert exc.value.message == (
        "wf.json: node 3 (Save Image) input 'images' is linked to node 77, which is not "
        "in the workflow; reconnect or remove that link in ComfyUI"
    )
    ui = blur_chain()
    ui["nodes"][1]["inputs"][0]["link"] = 99  # a link id that is not in the links list
    with pytest.raises(
        WorkflowError, match="node 2 .* linked through link 99, missing from 'links'"
    ):
        convert(ui)


def test_links_to_missing_nodes_of_muted_nodes_do_not_matter() -> None:
    ui = blur_chain(blur_mode=2)
    ui["nodes"][1]["inputs"][0]["link"] = 99
    assert set(convert(ui)) == {"1", "3"}


# ---- subgraphs ----------------------------------------------------------------------


def test_subgraph_nodes_get_outer_inner_ids() -> None:
    api = convert(blur_subgraph())
    assert set(api) == {"1", "10:1", "10:2", "3"}
    assert api["10:1"]["inputs"]["image"] == ["1", 0]
    assert api["10:2"]["inputs"]["image"] == ["10:1", 0]
    assert api["3"]["inputs"]["images"] == ["10:2", 0]


def test_subgraph_promoted_widget_value_reaches_the_inner_node() -> None:
    assert convert(blur_subgraph())["10:1"]["inputs"]["sigma"] == 2.5


def test_bypassed_node_inside_a_subgraph() -> None:
    api = convert(blur_subgraph(inner_mode=4))
    assert "10:1" not in api and api["10:2"]["inputs"]["image"] == ["1", 0]


def test_nested_subgraphs() -> None:
    ui = blur_subgraph()
    inner_sg = ui["definitions"]["subgraphs"][0]
    outer = subgraph_def(
        "sg-outer",
        [node(5, "sg-blur", [slot("image", "IMAGE", 201), slot("sigma", "FLOAT", None, True)],
              [out("IMAGE", [202])], [0.7])],
        [sg_link(201, -10, 0, 5, 0, "IMAGE"), sg_link(202, 5, 0, -20, 0, "IMAGE")],
        [{"name": "image", "type": "IMAGE", "linkIds": [201]}],
        [{"name": "IMAGE", "type": "IMAGE", "linkIds": [202]}],
    )  # fmt: skip
    ui["nodes"][1] = node(10, "sg-outer", [slot("image", "IMAGE", 1)], [out("IMAGE", [2])])
    ui["definitions"]["subgraphs"] = [inner_sg, outer]
    api = convert(ui)
    assert set(api) == {"1", "10:5:1", "10:5:2", "3"}
    assert api["10:5:1"]["inputs"]["sigma"] == 0.7
    assert api["3"]["inputs"]["images"] == ["10:5:2", 0]


def test_subgraph_that_contains_itself_is_refused() -> None:
    ui = blur_subgraph()
    ui["definitions"]["subgraphs"][0]["nodes"].append(node(9, "sg-blur", [], []))
    with pytest.raises(WorkflowError, match="contains itself"):
        convert(ui)


# ---- group nodes (legacy) --------------------------------------------------------------


def test_group_node_inner_nodes_get_group_ids_and_the_group_widget_values() -> None:
    api = convert(group_node_workflow())
    assert set(api) == {"1", "5:0", "5:1", "3"}
    assert api["5:0"]["inputs"] == {"blur_radius": 5, "sigma": 0.9, "image": ["1", 0]}
    assert api["5:1"]["inputs"] == {"seed": 99, "strength": 0.7, "image": ["5:0", 0]}
    assert api["3"]["inputs"]["images"] == ["5:1", 0]


def test_group_node_repeated_names_and_external_outputs() -> None:
    api = convert(group_node_twins())
    assert api["5:1"]["inputs"]["sigma"] == 1.5 and api["5:1"]["_meta"]["title"] == "Second"
    assert api["4"]["inputs"]["images"] == ["5:0", 0]  # output 0: the first blur (external)
    assert api["3"]["inputs"]["images"] == ["5:1", 0]


def test_bypassed_group_node_passes_its_input_through() -> None:
    # As the frontend: the group's inner nodes are still sent, the save reads the canvas.
    api = convert(group_node_workflow(group_mode=4))
    assert api["3"]["inputs"]["images"] == ["1", 0] and "5:0" in api


def test_group_node_with_an_unknown_inner_type_is_refused() -> None:
    ui = group_node_workflow()
    ui["extra"]["groupNodes"]["Blur pair"]["nodes"][0]["type"] = "Reroute"
    with pytest.raises(WorkflowError, match="group node 'Blur pair' holds a 'Reroute' node"):
        convert(ui)


# ---- text values ---------------------------------------------------------------------


def test_dynamic_prompt_comments_stripped_and_choices_kept() -> None:
    ui = graph([node(1, "CLIPTextEncode", [slot("clip", "CLIP")], [out("CONDITIONING")],
                     ["a {red|blue} cat // a comment\nsharp \\{not a choice\\}"])], [])  # fmt: skip
    conv = convert_ui_workflow(ui, OBJECT_INFO)
    assert conv.prompt["1"]["inputs"]["text"] == "a {red|blue} cat \nsharp \\{not a choice\\}"
    assert any("{a|b} choices" in n for n in conv.notes)
    ui["nodes"][0]["widgets_values"] = ["plain /* gone */text \\{x\\}"]
    assert convert(ui)["1"]["inputs"]["text"] == "plain text {x}"


def test_filename_prefix_replacements() -> None:
    ui = blur_chain()
    ui["nodes"][0]["title"] = "Canvas"
    ui["nodes"][2]["widgets_values"] = ["%date:yyyy-MM-dd%/%Canvas.width%_%Nope.x%"]
    api = convert(ui, now=datetime(2026, 3, 4, 5, 6, 7))
    assert api["3"]["inputs"]["filename_prefix"] == "2026-03-04/64_%Nope.x%"


# ---- refusals and the Workflow seam -----------------------------------------------------


def test_unknown_node_type_is_refused_naming_node_title_and_type() -> None:
    ui = blur_chain()
    ui["nodes"][1]["type"] = "FancyBlur"
    ui["nodes"][1]["title"] = "My blur"
    with pytest.raises(WorkflowError) as exc:
        convert_ui_workflow(ui, OBJECT_INFO, source="wf.json")
    msg = exc.value.message
    assert msg.startswith("wf.json: node 2 ('My blur') of type 'FancyBlur'")
    assert "custom node pack" in msg and "\n" not in msg


def test_unknown_node_type_that_is_muted_is_fine() -> None:
    ui = blur_chain(blur_mode=2)
    ui["nodes"][1]["type"] = "FancyBlur"
    assert set(convert(ui)) == {"1", "3"}


def test_workflow_keeps_the_ui_graph() -> None:
    ui = blur_chain()
    wf = Workflow.from_data(copy.deepcopy(ui), "wf.json", ObjectInfo(OBJECT_INFO))
    assert wf.ui_graph == ui and wf.resolve("nodes.ImageBlur.inputs.sigma").node_id == "2"
    with pytest.raises(WorkflowError, match="UI-format workflow: converting it needs"):
        Workflow.from_data(ui, "wf.json")


def test_example_workflow() -> None:
    """examples/ui_noise_blur_subgraph.json is the builder's graph and converts as documented."""
    example = json.loads((REPO / "examples" / "ui_noise_blur_subgraph.json").read_text())
    assert example == example_workflow()
    assert convert(example) == EXAMPLE_API


def test_detection() -> None:
    assert is_ui_workflow(blur_chain())
    assert not is_ui_workflow({"1": {"class_type": "X", "inputs": {}}})
