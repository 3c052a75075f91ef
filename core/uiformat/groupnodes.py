"""Legacy group nodes: a ``workflow>Name`` node defined in ``extra.groupNodes``.

As ComfyUI_frontend 1.32's ``GroupNodeConfig`` / ``GroupNodeHandler``: the
group exposes, node by node, each inner widget that is not linked (named after
the input, prefixed with the inner node's title when the name repeats), each
input slot not linked inside the group, then each widget converted to an input;
and each inner output not linked inside the group (or marked external). Its
inner nodes run as ``<group id>:<index>``; their inputs come from the inner
links or, through the group's own inputs, straight from the outer node (the
frontend does not follow reroutes or bypasses there, and neither do we).
Primitives and reroutes inside a group node are refused: convert the group
node to a subgraph in ComfyUI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import WorkflowError
from .instances import NodeState, Slot, Widget, comfy_state
from .model import UiNode, key, parse_node
from .nodedefs import SEED_NAMES, WIDGET_TYPES, ordered_specs

GROUP_PREFIXES = ("workflow>", "workflow/")


@dataclass
class GroupDef:
    name: str
    nodes: list[UiNode]
    links_to: dict[int, dict[int, list[Any]]] = field(default_factory=dict)
    external: set[tuple[int, int]] = field(default_factory=set)
    inputs: list[Slot] = field(default_factory=list)  # the group's input slots
    input_map: dict[tuple[int, int], int] = field(default_factory=dict)  # (inner, slot) -> input
    widgets: list[tuple[str, int, str, int]] = field(
        default_factory=list
    )  # name, inner, input, controls
    outputs: list[tuple[int, int, Any]] = field(default_factory=list)  # inner, slot, type
    seen: dict[str, int] = field(default_factory=dict)


def group_name(node_type: str) -> str | None:
    for prefix in GROUP_PREFIXES:
        if node_type.startswith(prefix):
            return node_type[len(prefix) :]
    return None


def _links(raw: Any) -> list[list[Any]]:
    return (
        [list(link) for link in raw if isinstance(link, list) and len(link) >= 4]
        if isinstance(raw, list)
        else []
    )


def _name(gdef: GroupDef, inner: UiNode, input_name: str) -> str:
    """``getInputConfig``'s naming: the inner title prefixes a repeated name."""
    label = next((s.get("label") for s in inner.inputs if s.get("name") == input_name), None)
    name = label if isinstance(label, str) and label else input_name
    if name in gdef.seen:
        prefix = f"{inner.title or inner.type} "
        name = key_name = f"{prefix}{input_name}"
        if key_name in gdef.seen:
            name = f"{prefix}{gdef.seen[key_name]} {input_name}"
    else:
        key_name = name
    gdef.seen[key_name] = gdef.seen.get(key_name, 1) + 1
    return name


def _is_converted(inner: UiNode, input_name: str) -> bool:
    return any(
        s.get("name") == input_name and isinstance(s.get("widget"), dict)
        and s["widget"].get("name") == input_name
        for s in inner.inputs
    )  # fmt: skip


def _process_node(
    gdef: GroupDef, index: int, info: Mapping[str, Any]
) -> list[tuple[int, str, Any]]:
    """Widgets and input slots of one inner node; its converted widgets come back for later."""
    inner = gdef.nodes[index]
    linked = gdef.links_to.get(index, {})
    slots: list[tuple[str, Any]] = []
    converted: list[tuple[str, Any]] = []
    for spec in _specs_in_def_order(info):
        if spec.type not in WIDGET_TYPES:
            slots.append((spec.name, spec.type))
        elif _is_converted(inner, spec.name):
            converted.append((spec.name, spec.type))
        else:
            gdef.widgets.append((_name(gdef, inner, spec.name), index, spec.name, _controls(spec)))
    for i, (name, kind) in enumerate(slots):
        if i not in linked:
            gdef.input_map[(index, i)] = len(gdef.inputs)
            gdef.inputs.append(Slot(_name(gdef, inner, name), kind, None))
    return [(len(slots) + i, name, kind) for i, (name, kind) in enumerate(converted)]


def _controls(spec: Any) -> int:
    """How many control widgets follow this widget on the group node."""
    if spec.name in SEED_NAMES:  # the group gives every seed a control, whatever its type
        return 2 if spec.type == "COMBO" else 1
    if spec.extra.get("control_after_generate"):
        return 2 if spec.type == "COMBO" else 1 if spec.type == "INT" else 0
    return 0


def _specs_in_def_order(info: Mapping[str, Any]) -> list[Any]:
    # The group reads {...required, ...optional} of the definition, not input_order.
    specs = ordered_specs({k: v for k, v in info.items() if k != "input_order"})
    return specs


def _read_links(gdef: GroupDef, data: dict[str, Any]) -> set[tuple[int, int]]:
    """Fill links_to and external; return the (inner, output) pairs linked inside."""
    linked_from: set[tuple[int, int]] = set()
    for link in _links(data.get("links")):
        if link[0] is not None:
            gdef.links_to.setdefault(int(link[2]), {})[int(link[3])] = link
            linked_from.add((int(link[0]), int(link[1])))
    external = data.get("external")
    gdef.external = {
        (int(e[0]), int(e[1]))
        for e in (external if isinstance(external, list) else [])
        if isinstance(e, list) and len(e) >= 2
    }
    return linked_from


def _inner_info(gdef: GroupDef, inner: UiNode, object_info: Mapping[str, Any]) -> Mapping[str, Any]:
    info = object_info.get(inner.type)
    if not isinstance(info, Mapping):
        raise WorkflowError(
            f"group node {gdef.name!r} holds a {inner.type!r} node, which is not known to the "
            "server (a missing custom node pack, or a reroute/primitive: convert the group node "
            "to a subgraph in ComfyUI)"
        )
    return info


def _add_outputs(
    gdef: GroupDef, index: int, info: Mapping[str, Any], linked: set[tuple[int, int]]
) -> None:
    raw = info.get("output")
    for slot, kind in enumerate(raw if isinstance(raw, list) else []):
        if (index, slot) not in linked or (index, slot) in gdef.external:
            gdef.outputs.append((index, slot, "COMBO" if isinstance(kind, list) else kind))


def build_group(name: str, data: Any, object_info: Mapping[str, Any]) -> GroupDef:
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        raise WorkflowError(f"group node {name!r}: its definition in extra.groupNodes is missing")
    nodes = [
        parse_node({**n, "id": i}, f"group node {name!r}") for i, n in enumerate(data["nodes"])
    ]
    gdef = GroupDef(name, nodes)
    linked_from = _read_links(gdef, data)
    later: list[tuple[int, list[tuple[int, str, Any]]]] = []
    for index, inner in enumerate(nodes):
        info = _inner_info(gdef, inner, object_info)
        later.append((index, _process_node(gdef, index, info)))
        _add_outputs(gdef, index, info, linked_from)
    # Widgets converted to inputs come after every node's own inputs.
    for index, converted in later:
        for slot, input_name, kind in converted:
            if slot not in gdef.links_to.get(index, {}):
                gdef.input_map[(index, slot)] = len(gdef.inputs)
                gdef.inputs.append(Slot(_name(gdef, nodes[index], input_name), kind, None))
    return gdef


def group_state(node: UiNode, gdef: GroupDef) -> NodeState:
    """The group node as loaded: its inputs by name, its widgets with the saved values."""
    saved = {str(s.get("name")): s.get("link") for s in node.inputs}
    inputs = [
        Slot(s.name, s.type, None if saved.get(s.name) is None else key(saved[s.name]))
        for s in gdef.inputs
    ]
    widgets: list[Widget] = []
    for name, _, _, controls in gdef.widgets:
        widgets.append(Widget(name, None))
        widgets += [
            Widget(f"{name} control {i}", "fixed", in_prompt=False) for i in range(controls)
        ]
    values = node.widgets_values if isinstance(node.widgets_values, list) else []
    for widget, value in zip(widgets, values, strict=False):
        widget.value = value
    state = NodeState(node, "group", node.title or gdef.name, inputs, [o[2] for o in gdef.outputs])
    state.widgets = widgets
    return state


def inner_states(
    group: NodeState, gdef: GroupDef, object_info: Mapping[str, Any]
) -> list[NodeState]:
    """The inner nodes, their widgets set from the group's (``updateInnerWidgets``)."""
    states = [comfy_state(n, object_info[n.type], root=False) for n in gdef.nodes]
    values = iter(w for w in group.widgets if w.in_prompt)
    for (_, index, input_name, _), outer in zip(gdef.widgets, values, strict=False):
        widget = states[index].widget(input_name)
        if widget is not None and outer.value is not None:
            widget.value = outer.value
    return states
