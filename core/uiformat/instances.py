"""Every node as the frontend holds it after loading: input slots in node-definition
order, widgets with their values, output types, and what kind of node it is.

A node of a known ComfyUI type is rebuilt from ``/object_info`` the way the
frontend's ``ComfyNode.configure`` does (saved inputs matched by name, widget
values assigned in widget order); virtual nodes (Note, MarkdownNote, Reroute,
PrimitiveNode) and subgraph instances keep their saved slots.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import WorkflowError
from .model import Graph, UiNode, key
from .nodedefs import NodeDef, build_node_def, forced_input_count

MISSING: Any = object()  # JavaScript's undefined: the key is left out of the prompt

VIRTUAL_TYPES = frozenset({"Note", "MarkdownNote", "Reroute", "PrimitiveNode"})
MODE_NEVER = 2  # muted
MODE_BYPASS = 4


@dataclass
class Slot:
    name: str
    type: Any
    link: str | None
    widget: str | None = None


@dataclass
class Widget:
    name: str
    value: Any
    in_prompt: bool = True
    dynamic_prompts: bool = False
    in_values: bool = True


@dataclass
class NodeState:
    node: UiNode
    kind: str  # "comfy" | "primitive" | "reroute" | "virtual" | "subgraph"
    title: str
    inputs: list[Slot]
    output_types: list[Any]
    widgets: list[Widget] = field(default_factory=list)
    class_type: str = ""

    @property
    def id(self) -> str:
        return self.node.id

    @property
    def mode(self) -> int:
        return self.node.mode

    @property
    def is_virtual(self) -> bool:
        return self.kind != "comfy"

    def widget(self, name: str | None) -> Widget | None:
        return next((w for w in self.widgets if w.name == name), None) if name else None

    def input_for_link(self, link_id: str) -> int | None:
        return next((i for i, s in enumerate(self.inputs) if s.link == link_id), None)


def _link(slot: Mapping[str, Any]) -> str | None:
    value = slot.get("link")
    return None if value is None else key(value)


def _saved_widget(slot: Mapping[str, Any]) -> str | None:
    widget = slot.get("widget")
    name = widget.get("name") if isinstance(widget, Mapping) else None
    return name if isinstance(name, str) else None


def saved_slots(node: UiNode) -> list[Slot]:
    return [
        Slot(str(s.get("name", "")), s.get("type", "*"), _link(s), _saved_widget(s))
        for s in node.inputs
    ]


def _comfy_inputs(node: UiNode, ndef: NodeDef) -> list[Slot]:
    """Definition order, saved link by name; unknown saved inputs appended (custom JS adds them)."""
    saved = {str(s.get("name")): s for s in node.inputs}
    slots = [
        Slot(d.name, d.type, _link(saved[d.name]) if d.name in saved else None, d.widget)
        for d in ndef.slots
    ]
    names = {d.name for d in ndef.slots}
    slots += [s for s in saved_slots(node) if s.name not in names]
    return slots


def _migrate(values: list[Any], info: Mapping[str, Any], widgets: list[Widget]) -> list[Any]:
    """``migrateWidgetsValues``: old saves hold a value for each forceInput input too."""
    total, forced = forced_input_count(info, {w.name for w in widgets})
    if total != len(values) or not any(forced):
        return values
    return [v for i, v in enumerate(values) if not (i < len(forced) and forced[i])]


def comfy_state(node: UiNode, info: Mapping[str, Any], root: bool) -> NodeState:
    ndef = build_node_def(node.type, info)
    widgets = [
        Widget(w.name, w.default, w.in_prompt, w.dynamic_prompts, w.in_values) for w in ndef.widgets
    ]
    if isinstance(node.widgets_values, list):
        saved = [w for w in widgets if w.in_values]
        for widget, value in zip(saved, _migrate(node.widgets_values, info, saved), strict=False):
            widget.value = value
    if root and node.type in ("KSampler", "KSamplerAdvanced"):
        _fix_sampler_name(widgets)
    outputs = list(ndef.output_types)
    outputs += [o.get("type", "*") for o in node.outputs[len(outputs) :]]
    return NodeState(
        node, "comfy", node.title or ndef.display_name, _comfy_inputs(node, ndef), outputs,
        widgets, node.type,
    )  # fmt: skip


def _fix_sampler_name(widgets: list[Widget]) -> None:
    # app.loadGraphData patches sampler names saved by very old versions.
    for w in widgets:
        if w.name == "sampler_name" and isinstance(w.value, str) and w.value.startswith("sample_"):
            w.value = w.value[7:]


def plain_state(node: UiNode, kind: str) -> NodeState:
    outputs = [o.get("type", "*") for o in node.outputs]
    return NodeState(node, kind, node.title or node.type, saved_slots(node), outputs)


def describe(node: UiNode, where: str) -> str:
    title = f" ({node.title!r})" if node.title else ""
    place = "" if where == "root" else f" in subgraph {where!r}"
    return f"node {node.id}{title} of type {node.type!r}{place}"


def node_state(
    node: UiNode, graph: Graph, object_info: Mapping[str, Any], subgraph_ids: set[str]
) -> NodeState:
    """The loaded form of one node; WorkflowError for an active node of an unknown type."""
    if node.type in subgraph_ids:
        return plain_state(node, "subgraph")
    if node.type == "PrimitiveNode":
        return plain_state(node, "primitive")
    if node.type == "Reroute":
        return plain_state(node, "reroute")
    if node.type in VIRTUAL_TYPES:
        return plain_state(node, "virtual")
    info = object_info.get(node.type)
    if isinstance(info, Mapping):
        return comfy_state(node, info, graph.id == "root")
    if node.mode == MODE_NEVER or node.mode == MODE_BYPASS:
        state = plain_state(node, "comfy")  # never emitted; bypass needs only its slots
        state.class_type = node.type
        return state
    raise WorkflowError(
        f"{describe(node, graph.name)} is not known to the server; "
        "a custom node pack is probably missing (install it, or mute the node)",
        details={"node_id": node.id, "type": node.type},
    )
