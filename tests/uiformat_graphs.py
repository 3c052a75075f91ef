"""Hand-made UI-format graphs and the /object_info entries they need.

Small builders so each test states only the construct it checks; the entries
follow ComfyUI 0.3.75's /object_info for these node types.
"""

from __future__ import annotations

from typing import Any

IMAGE_OUT = {"output": ["IMAGE"], "output_name": ["IMAGE"]}

OBJECT_INFO: dict[str, Any] = {
    "EmptyImage": {
        "input": {"required": {
            "width": ["INT", {"default": 512, "min": 1, "max": 16384}],
            "height": ["INT", {"default": 512, "min": 1, "max": 16384}],
            "batch_size": ["INT", {"default": 1, "min": 1, "max": 4096}],
            "color": ["INT", {"default": 0, "min": 0, "max": 16777215, "display": "color"}],
        }},
        "input_order": {"required": ["width", "height", "batch_size", "color"]},
        "name": "EmptyImage", "display_name": "EmptyImage", **IMAGE_OUT,
    },
    "ImageBlur": {
        "input": {"required": {
            "image": ["IMAGE", {}],
            "blur_radius": ["INT", {"default": 1, "min": 1, "max": 31}],
            "sigma": ["FLOAT", {"default": 1.0, "min": 0.1, "max": 10.0, "step": 0.1}],
        }},
        "input_order": {"required": ["image", "blur_radius", "sigma"]},
        "name": "ImageBlur", "display_name": None, **IMAGE_OUT,
    },
    "ImageAddNoise": {
        "input": {"required": {
            "image": ["IMAGE"],
            "seed": ["INT", {"default": 0, "min": 0, "max": 2**64 - 1, "control_after_generate": True}],
            "strength": ["FLOAT", {"default": 0.5, "min": 0.0, "max": 1.0, "step": 0.01}],
        }},
        "input_order": {"required": ["image", "seed", "strength"]},
        "name": "ImageAddNoise", "display_name": "ImageAddNoise", **IMAGE_OUT,
    },
    "ImageInvert": {
        "input": {"required": {"image": ["IMAGE"]}},
        "name": "ImageInvert", "display_name": "Invert Image", **IMAGE_OUT,
    },
    "SaveImage": {
        "input": {"required": {
            "images": ["IMAGE", {}],
            "filename_prefix": ["STRING", {"default": "ComfyUI"}],
        }, "hidden": {"prompt": "PROMPT"}},
        "input_order": {"required": ["images", "filename_prefix"]},
        "name": "SaveImage", "display_name": "Save Image", "output": [], "output_name": [],
    },
    "LoadImage": {
        "input": {"required": {"image": [["a.png", "b.png"], {"image_upload": True}]}},
        "name": "LoadImage", "display_name": "Load Image",
        "output": ["IMAGE", "MASK"], "output_name": ["IMAGE", "MASK"],
    },
    "CLIPTextEncode": {
        "input": {"required": {
            "text": ["STRING", {"multiline": True, "dynamicPrompts": True}],
            "clip": ["CLIP", {}],
        }},
        "input_order": {"required": ["text", "clip"]},
        "name": "CLIPTextEncode", "display_name": "CLIP Text Encode (Prompt)",
        "output": ["CONDITIONING"], "output_name": ["CONDITIONING"],
    },
    "PickOne": {  # a V3 COMBO with control_after_generate: a control and a filter widget
        "input": {"required": {
            "choice": ["COMBO", {"options": ["x", "y", "z"], "control_after_generate": True}],
            "amount": ["FLOAT", {"default": 1.0}],
        }},
        "name": "PickOne", "display_name": "Pick One", "output": ["FLOAT"], "output_name": ["FLOAT"],
    },
}  # fmt: skip


def slot(name: str, type_: str, link: int | None = None, widget: bool = False) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "type": type_, "link": link}
    if widget:
        entry["widget"] = {"name": name}
    return entry


def out(type_: str, links: list[int] | None = None) -> dict[str, Any]:
    return {"name": type_, "type": type_, "links": links or []}


def node(
    id_: int,
    type_: str,
    inputs: list[dict[str, Any]] | None = None,
    outputs: list[dict[str, Any]] | None = None,
    values: Any = None,
    *,
    mode: int = 0,
    title: str | None = None,
    properties: dict[str, Any] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": id_, "type": type_, "mode": mode, "inputs": inputs or [],
        "outputs": outputs or [], "properties": properties or {},
    }  # fmt: skip
    if values is not None:
        data["widgets_values"] = values
    if title is not None:
        data["title"] = title
    return data


def graph(nodes: list[dict[str, Any]], links: list[list[Any]], **extra: Any) -> dict[str, Any]:
    return {"nodes": nodes, "links": links, "version": 0.4, **extra}


def blur_chain(blur_mode: int = 0) -> dict[str, Any]:
    """EmptyImage(1) -> ImageBlur(2) -> SaveImage(3)."""
    return graph(
        [
            node(1, "EmptyImage", [], [out("IMAGE", [1])], [64, 32, 1, 0]),
            node(
                2,
                "ImageBlur",
                [slot("image", "IMAGE", 1)],
                [out("IMAGE", [2])],
                [3, 0.5],
                mode=blur_mode,
            ),  # fmt: skip
            node(3, "SaveImage", [slot("images", "IMAGE", 2)], [], ["blur"]),
        ],
        [[1, 1, 0, 2, 0, "IMAGE"], [2, 2, 0, 3, 0, "IMAGE"]],
    )


def subgraph_def(
    sg_id: str, nodes: list[dict[str, Any]], links: list[dict[str, Any]],
    inputs: list[dict[str, Any]], outputs: list[dict[str, Any]], name: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A subgraph definition with what the frontend needs to load it (IO node bounds)."""
    for i, io in enumerate(inputs):
        io.setdefault("id", f"{sg_id}-in-{i}")
    for i, io in enumerate(outputs):
        io.setdefault("id", f"{sg_id}-out-{i}")
    return {
        "id": sg_id, "name": name or sg_id, "nodes": nodes, "links": links, "inputs": inputs,
        "outputs": outputs, "version": 1, "revision": 0, "config": {}, "groups": [],
        "widgets": [], "extra": {},
        "state": {"lastNodeId": 100, "lastLinkId": 300, "lastGroupId": 0, "lastRerouteId": 0},
        "inputNode": {"id": -10, "bounding": [0, 0, 120, 60]},
        "outputNode": {"id": -20, "bounding": [600, 0, 120, 60]},
    }  # fmt: skip


def sg_link(
    id_: int, origin: int, oslot: int, target: int, tslot: int, type_: str
) -> dict[str, Any]:
    return {"id": id_, "origin_id": origin, "origin_slot": oslot, "target_id": target,
            "target_slot": tslot, "type": type_}  # fmt: skip


def blur_subgraph(inner_mode: int = 0) -> dict[str, Any]:
    """A subgraph (blur + noise) between EmptyImage 1 and SaveImage 3, as instance 10."""
    inner = [
        node(1, "ImageBlur", [slot("image", "IMAGE", 101), slot("sigma", "FLOAT", 102, widget=True)],
             [out("IMAGE", [103])], [2, 0.3], mode=inner_mode),
        node(2, "ImageAddNoise", [slot("image", "IMAGE", 103)], [out("IMAGE", [104])],
             [7, "fixed", 0.1]),
    ]  # fmt: skip
    links = [sg_link(101, -10, 0, 1, 0, "IMAGE"), sg_link(102, -10, 1, 1, 2, "FLOAT"),
             sg_link(103, 1, 0, 2, 0, "IMAGE"), sg_link(104, 2, 0, -20, 0, "IMAGE")]  # fmt: skip
    sg = subgraph_def(
        "sg-blur", inner, links,
        [{"name": "image", "type": "IMAGE", "linkIds": [101]},
         {"name": "sigma", "type": "FLOAT", "linkIds": [102]}],
        [{"name": "IMAGE", "type": "IMAGE", "linkIds": [104]}],
    )  # fmt: skip
    return graph(
        [node(1, "EmptyImage", [], [out("IMAGE", [1])], [8, 8, 1, 0]),
         node(10, "sg-blur", [slot("image", "IMAGE", 1), slot("sigma", "FLOAT", None, True)],
              [out("IMAGE", [2])], [2.5]),
         node(3, "SaveImage", [slot("images", "IMAGE", 2)], [], ["sub"])],
        [[1, 1, 0, 10, 0, "IMAGE"], [2, 10, 0, 3, 0, "IMAGE"]],
        definitions={"subgraphs": [sg]},
    )  # fmt: skip


SUBGRAPH_ID = "5b1f6d1e-8a52-4d59-9a51-3c7d0c1a9e10"


def example_workflow() -> dict[str, Any]:
    """examples/ui_noise_blur_subgraph.json: model-free, with a subgraph (noise then
    blur, its sigma promoted), a primitive feeding two widgets, a reroute, a bypassed
    node and a note. Its API form: 1 (96x96), 10:1 noise, 10:2 blur (sigma 1.5), 3 save."""
    inner = [
        node(1, "ImageAddNoise", [slot("image", "IMAGE", 101)], [out("IMAGE", [103])],
             [42, "fixed", 0.5], title="Noise"),
        node(2, "ImageBlur", [slot("image", "IMAGE", 103), slot("sigma", "FLOAT", 102, True)],
             [out("IMAGE", [104])], [3, 1.0], title="Blur"),
    ]  # fmt: skip
    links = [sg_link(101, -10, 0, 1, 0, "IMAGE"), sg_link(102, -10, 1, 2, 2, "FLOAT"),
             sg_link(103, 1, 0, 2, 0, "IMAGE"), sg_link(104, 2, 0, -20, 0, "IMAGE")]  # fmt: skip
    sg = subgraph_def(
        SUBGRAPH_ID, inner, links,
        [{"id": "in-image", "name": "image", "type": "IMAGE", "linkIds": [101]},
         {"id": "in-sigma", "name": "sigma", "type": "FLOAT", "linkIds": [102]}],
        [{"id": "out-image", "name": "IMAGE", "type": "IMAGE", "linkIds": [104]}],
        name="Noise and blur",
    )  # fmt: skip
    nodes = [
        node(1, "EmptyImage",
             [slot("width", "INT", 11, True), slot("height", "INT", 12, True)],
             [out("IMAGE", [1])], [256, 256, 1, 3355443], title="Canvas"),
        node(9, "PrimitiveNode", [], [{"name": "INT", "type": "INT", "links": [11, 12],
             "widget": {"name": "width"}}], [96, "fixed"], title="Size"),
        node(20, "Reroute", [slot("", "*", 1)], [out("IMAGE", [2])]),
        node(10, SUBGRAPH_ID,
             [slot("image", "IMAGE", 2), slot("sigma", "FLOAT", None, True)],
             [out("IMAGE", [3])], [1.5], title="Noise and blur"),
        node(4, "ImageInvert", [slot("image", "IMAGE", 3)], [out("IMAGE", [4])], mode=4),
        node(3, "SaveImage", [slot("images", "IMAGE", 4)], [], ["comfy-sweep/ui"]),
        node(30, "Note", [], [], ["Sweep nodes.10:1.inputs.seed or nodes.10:2.inputs.sigma."]),
    ]  # fmt: skip
    for i, n in enumerate(nodes):
        n.update(pos=[40 + 260 * (i % 4), 60 + 320 * (i // 4)], size=[220, 120], flags={}, order=i)
    for n in inner:
        n.update(pos=[200 + 260 * (n["id"] - 1), 60], size=[220, 120], flags={}, order=n["id"])
    links_root = [[11, 9, 0, 1, 0, "INT"], [12, 9, 0, 1, 1, "INT"], [1, 1, 0, 20, 0, "IMAGE"],
                  [2, 20, 0, 10, 0, "IMAGE"], [3, 10, 0, 4, 0, "IMAGE"], [4, 4, 0, 3, 0, "IMAGE"]]  # fmt: skip
    return graph(
        nodes, links_root, last_node_id=30, last_link_id=12, groups=[], config={},
        extra={}, definitions={"subgraphs": [sg]},
    )  # fmt: skip


EXAMPLE_API = {
    "1": {"inputs": {"width": 96, "height": 96, "batch_size": 1, "color": 3355443},
          "class_type": "EmptyImage", "_meta": {"title": "Canvas"}},
    "10:1": {"inputs": {"seed": 42, "strength": 0.5, "image": ["1", 0]},
             "class_type": "ImageAddNoise", "_meta": {"title": "Noise"}},
    "10:2": {"inputs": {"blur_radius": 3, "sigma": 1.5, "image": ["10:1", 0]},
             "class_type": "ImageBlur", "_meta": {"title": "Blur"}},
    "3": {"inputs": {"filename_prefix": "comfy-sweep/ui", "images": ["10:2", 0]},
          "class_type": "SaveImage", "_meta": {"title": "Save Image"}},
}  # fmt: skip


def group_node_workflow(group_mode: int = 0) -> dict[str, Any]:
    """EmptyImage 1 -> group node 5 "Blur pair" (ImageBlur then ImageAddNoise) -> SaveImage 3."""
    inner = [
        {**node(0, "ImageBlur", [slot("image", "IMAGE")], [out("IMAGE", [7])], [3, 0.4]),
         "index": 0},
        {**node(1, "ImageAddNoise", [slot("image", "IMAGE", 7)], [out("IMAGE")],
                [11, "fixed", 0.3]), "index": 1},
    ]  # fmt: skip
    groups = {"Blur pair": {"nodes": inner, "links": [[0, 0, 1, 0, 7, "IMAGE"]], "external": []}}
    return graph(
        [node(1, "EmptyImage", [], [out("IMAGE", [1])], [8, 8, 1, 0]),
         node(5, "workflow>Blur pair", [slot("image", "IMAGE", 1)], [out("IMAGE", [2])],
              [5, 0.9, 99, "fixed", 0.7], mode=group_mode),
         node(3, "SaveImage", [slot("images", "IMAGE", 2)], [], ["group"])],
        [[1, 1, 0, 5, 0, "IMAGE"], [2, 5, 0, 3, 0, "IMAGE"]],
        extra={"groupNodes": groups},
    )  # fmt: skip


def group_node_twins() -> dict[str, Any]:
    """A group of two ImageBlur nodes (repeated names get the inner title as prefix), the
    first one's output exposed as well (``external``), each output saved."""
    inner = [
        {**node(0, "ImageBlur", [slot("image", "IMAGE")], [out("IMAGE", [7])], [3, 0.4]),
         "index": 0},
        {**node(1, "ImageBlur", [slot("image", "IMAGE", 7)], [out("IMAGE")], [1, 1.0],
                title="Second"), "index": 1},
    ]  # fmt: skip
    groups = {"Twins": {"nodes": inner, "links": [[0, 0, 1, 0, 7, "IMAGE"]],
                        "external": [[0, 0, "IMAGE"]]}}  # fmt: skip
    return graph(
        [node(1, "EmptyImage", [], [out("IMAGE", [1])], [8, 8, 1, 0]),
         node(5, "workflow>Twins", [slot("image", "IMAGE", 1)],
              [out("IMAGE", [3]), {"name": "Second IMAGE", "type": "IMAGE", "links": [2]}],
              [2, 0.5, 4, 1.5]),
         node(3, "SaveImage", [slot("images", "IMAGE", 2)], [], ["second"]),
         node(4, "SaveImage", [slot("images", "IMAGE", 3)], [], ["first"])],
        [[1, 1, 0, 5, 0, "IMAGE"], [2, 5, 1, 3, 0, "IMAGE"], [3, 5, 0, 4, 0, "IMAGE"]],
        extra={"groupNodes": groups},
    )  # fmt: skip


def _with(ui: dict[str, Any], change: Any) -> dict[str, Any]:
    change(ui)
    return ui


def frontend_cases() -> dict[str, dict[str, Any]]:
    """Hand-made graphs of real node types, each one construct, for comparing with the
    ComfyUI frontend's own graphToPrompt (tests/e2e/test_ui_convert_frontend.py)."""

    def primitive(ui: dict[str, Any]) -> None:
        ui["nodes"][1]["inputs"].append(slot("sigma", "FLOAT", 10, widget=True))
        ui["nodes"].append(node(9, "PrimitiveNode", [], [out("FLOAT", [10])], [4.5, "fixed"]))
        ui["links"].append([10, 9, 0, 2, 1, "FLOAT"])

    def reroutes(ui: dict[str, Any]) -> None:
        ui["nodes"][2]["inputs"][0]["link"] = 21
        ui["nodes"][1]["outputs"][0]["links"] = [20]
        ui["nodes"] += [node(8, "Reroute", [slot("", "*", 20)], [out("*", [22])]),
                        node(7, "Reroute", [slot("", "*", 22)], [out("*", [21])]),
                        node(30, "MarkdownNote", [], [], ["# hi"])]  # fmt: skip
        ui["links"] = [ui["links"][0], [20, 2, 0, 8, 0, "IMAGE"], [22, 8, 0, 7, 0, "*"],
                       [21, 7, 0, 3, 0, "IMAGE"]]  # fmt: skip

    def missing(ui: dict[str, Any]) -> None:
        ui["links"].append([9, 77, 0, 3, 0, "IMAGE"])
        ui["nodes"][2]["inputs"][0]["link"] = 9

    def dangling(ui: dict[str, Any]) -> None:
        ui["nodes"][1]["inputs"][0]["link"] = 99  # a link id that is not in the links list

    def prefix(ui: dict[str, Any]) -> None:
        ui["nodes"][0]["title"] = "Canvas"
        ui["nodes"][2]["widgets_values"] = ["out/%Canvas.width%x%Canvas.height%"]

    def noise(ui: dict[str, Any]) -> None:
        ui["nodes"][1] = node(2, "ImageAddNoise", [slot("image", "IMAGE", 1)], [out("IMAGE", [2])],
                              [1234, "randomize", 0.25])  # fmt: skip

    def text(ui: dict[str, Any]) -> None:
        ui["nodes"].append(node(5, "CLIPTextEncode", [slot("clip", "CLIP")], [out("CONDITIONING")],
                                ["a cat // comment\n/* block */ sharp \\{x\\}"]))  # fmt: skip

    return {
        "example": example_workflow(),
        "chain": blur_chain(),
        "muted": blur_chain(blur_mode=2),
        "bypassed": blur_chain(blur_mode=4),
        "seed_control": _with(blur_chain(), noise),
        "primitive": _with(blur_chain(), primitive),
        "reroutes_and_notes": _with(blur_chain(), reroutes),
        "missing_node_link": _with(blur_chain(), missing),
        "dangling_link_id": _with(blur_chain(), dangling),
        "filename_prefix": _with(blur_chain(), prefix),
        "dynamic_prompt": _with(blur_chain(), text),
        "group_node": group_node_workflow(),
        "group_node_bypassed": group_node_workflow(group_mode=4),
        "group_node_twins": group_node_twins(),
        "subgraph": blur_subgraph(),
        "subgraph_bypassed_inner": blur_subgraph(inner_mode=4),
    }
