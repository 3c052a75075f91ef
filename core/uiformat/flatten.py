"""Execution nodes and link resolution, as ComfyUI_frontend's ``ExecutableNodeDTO``.

Subgraph instances are expanded into their inner nodes with ids joined by
``:`` (``"75:58"``, nested ``"75:80:12"``). An input is followed upstream
through reroutes and other virtual nodes, through bypassed nodes (to their
first input of a matching type), into subgraphs (to the inner node behind a
subgraph output) and out of them (to whatever feeds the instance's input, or
the instance's promoted widget value when nothing does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import WorkflowError
from .groupnodes import GroupDef
from .instances import MODE_BYPASS, NodeState
from .model import SUBGRAPH_INPUT_ID, Graph

_MAX_DEPTH = 64


@dataclass(frozen=True)
class Origin:
    """A resolved input: a node output, or a widget value (``node_id`` None)."""

    node_id: str | None
    slot: int
    value: Any = None


@dataclass
class Dto:
    state: NodeState
    graph: Graph
    path: tuple[str, ...]  # ids of the subgraph instances around this node
    instance: Dto | None  # the subgraph (or group node) instance that contains it
    group: GroupDef | None = None  # set on a group node's inner nodes

    @property
    def id(self) -> str:
        return ":".join((*self.path, self.state.id))


def valid_connection(a: Any, b: Any) -> bool:
    """``LiteGraph.isValidConnection``: wildcards, equal, or comma lists that overlap."""
    a = 0 if a in ("", "*") else a
    b = 0 if b in ("", "*") else b
    if not a or not b or a == b:
        return True
    sa, sb = str(a).lower(), str(b).lower()
    if "," not in sa and "," not in sb:
        return sa == sb
    return any(x == y for x in sa.split(",") for y in sb.split(","))


class Flattener:
    """Builds the DTO map and resolves inputs against it."""

    def __init__(self, subgraphs: dict[str, Graph]) -> None:
        self.subgraphs = subgraphs
        self.dtos: dict[str, Dto] = {}
        self.states: dict[tuple[str, str], NodeState] = {}
        # group node (graph id, node id) -> its definition and inner nodes
        self.groups: dict[tuple[str, str], tuple[GroupDef, list[NodeState]]] = {}

    def add_graph(self, graph: Graph, path: tuple[str, ...], instance: Dto | None) -> None:
        if len(path) > _MAX_DEPTH:
            raise WorkflowError(f"subgraphs nest deeper than {_MAX_DEPTH} levels (a cycle?)")
        for node_id in graph.nodes:
            dto = Dto(self.states[(graph.id, node_id)], graph, path, instance)
            self.dtos[dto.id] = dto
            if dto.state.kind == "subgraph":
                inner = self.subgraphs[dto.state.node.type]
                self.add_graph(inner, (*path, node_id), dto)
            elif dto.state.kind == "group":
                self._add_group(dto, graph)

    def _add_group(self, dto: Dto, graph: Graph) -> None:
        if dto.path:
            raise WorkflowError(
                f"group node {dto.id} is inside a subgraph, which the ComfyUI frontend does not "
                "support either: convert the group node to a subgraph"
            )
        gdef, inner = self.groups[(graph.id, dto.state.id)]
        for state in inner:
            child = Dto(state, graph, (dto.state.id,), dto, gdef)
            self.dtos[child.id] = child

    # ---- resolution ------------------------------------------------------
    def resolve_input(self, dto: Dto, slot: int, seen: set[str], want: Any = None) -> Origin | None:
        self._visit(seen, f"{dto.graph.id}:{dto.state.id}[I]{slot}", dto)
        if slot >= len(dto.state.inputs):
            return None
        if dto.group is not None:
            return self._group_child_input(dto, dto.group, slot)
        entry = dto.state.inputs[slot]
        if entry.link is None:
            return None
        link = dto.graph.links.get(entry.link)
        if link is None:
            raise _broken(dto, entry.name, f"through link {entry.link}, missing from 'links'")
        if dto.instance is not None and link.origin_id == SUBGRAPH_INPUT_ID:
            return self._out_of_subgraph(dto.instance, link.origin_slot, seen)
        origin = dto.graph.nodes.get(link.origin_id)
        if origin is None:
            raise _broken(
                dto, entry.name, f"to node {link.origin_id}, which is not in the workflow"
            )
        source = self.dtos[":".join((*dto.path, origin.id))]
        return self.resolve_output(
            source, link.origin_slot, entry.type if want is None else want, seen
        )

    def _group_child_input(self, dto: Dto, gdef: GroupDef, slot: int) -> Origin | None:
        """``ExecutableGroupNodeChildDTO.resolveInput``: no bypass or reroute resolution."""
        index = int(dto.state.id)
        group = dto.instance
        outer = gdef.input_map.get((index, slot))
        if outer is not None and group is not None:
            entry = group.state.inputs[outer]
            link = group.graph.links.get(entry.link) if entry.link is not None else None
            origin = group.graph.nodes.get(link.origin_id) if link is not None else None
            if link is None or origin is None:
                return None
            return Origin(":".join((*group.path, origin.id)), link.origin_slot)
        inner = gdef.links_to.get(index, {}).get(slot)
        if inner is None or group is None:
            return None
        return Origin(f"{group.id}:{int(inner[0])}", int(inner[1]))

    def _out_of_subgraph(self, instance: Dto, slot: int, seen: set[str]) -> Origin | None:
        if slot >= len(instance.state.inputs):
            return None
        outer = instance.state.inputs[slot]
        if outer.link is None or outer.link not in instance.graph.links:
            widget = instance.state.widget(outer.widget)
            return Origin(None, -1, widget.value) if widget is not None else None
        return self.resolve_input(instance, slot, seen)

    def resolve_output(self, dto: Dto, slot: int, want: Any, seen: set[str]) -> Origin | None:
        self._visit(seen, f"{dto.graph.id}:{dto.state.id}[O]{slot}", dto)
        state = dto.state
        if state.kind == "group":
            return self._group_output(dto, slot, want, seen)
        if state.mode == MODE_BYPASS:
            index = bypass_slot(state, slot, want)
            return None if index < 0 else self.resolve_input(dto, index, seen)
        if state.kind == "subgraph":
            return self._into_subgraph(dto, slot, want, seen)
        if state.is_virtual:
            if slot >= len(state.inputs) or state.inputs[slot].link is None:
                return None
            link = dto.graph.links.get(state.inputs[slot].link or "")
            target = dto.graph.nodes.get(link.target_id) if link else None
            if link is None or target is None:
                return None
            holder = self.dtos[":".join((*dto.path, target.id))]
            return self.resolve_input(holder, link.target_slot, seen, want)
        return Origin(dto.id, slot)

    def _group_output(self, dto: Dto, slot: int, want: Any, seen: set[str]) -> Origin | None:
        """``ExecutableGroupNodeDTO.resolveOutput``: bypass by exact type, else the inner node."""
        if dto.state.mode == MODE_BYPASS:
            inputs = dto.state.inputs
            order = [slot, *range(len(inputs))]
            match = next((i for i in order if i < len(inputs) and inputs[i].type == want), None)
            return None if match is None else self.resolve_input(dto, match, seen)
        gdef, _ = self.groups[(dto.graph.id, dto.state.id)]
        if slot >= len(gdef.outputs):
            return None
        index, inner_slot, _ = gdef.outputs[slot]
        return Origin(f"{dto.id}:{index}", inner_slot)

    def _into_subgraph(self, dto: Dto, slot: int, want: Any, seen: set[str]) -> Origin | None:
        definition = self.subgraphs[dto.state.node.type]
        if slot >= len(definition.outputs) or not definition.outputs[slot].link_ids:
            return None
        link = definition.links.get(definition.outputs[slot].link_ids[0])
        if link is None:
            return None
        inner = definition.nodes.get(link.origin_id)
        if inner is None:
            raise WorkflowError(
                f"subgraph {definition.name!r} output {slot} is not fed by a node inside it"
            )
        inner_dto = self.dtos[":".join((*dto.path, dto.state.id, inner.id))]
        return self.resolve_output(inner_dto, link.origin_slot, want, seen)

    @staticmethod
    def _visit(seen: set[str], mark: str, dto: Dto) -> None:
        if mark in seen:
            raise WorkflowError(
                f"circular link through node {dto.id} ({dto.state.title}): "
                "the links loop back on themselves"
            )
        seen.add(mark)


def _broken(dto: Dto, input_name: str, what: str) -> WorkflowError:
    """A link to nothing: the frontend refuses to queue such a graph, and so do we."""
    return WorkflowError(
        f"node {dto.id} ({dto.state.title}) input {input_name!r} is linked {what}; "
        "reconnect or remove that link in ComfyUI"
    )


def bypass_slot(state: NodeState, slot: int, want: Any) -> int:
    """The input a bypassed node passes through to output ``slot`` (-1: none)."""
    inputs = state.inputs
    if want in ("*", ""):
        return slot if len(inputs) > slot else 0
    out_type = state.output_types[slot] if slot < len(state.output_types) else "*"
    if slot < len(inputs):
        opposite = inputs[slot].type
        if valid_connection(opposite, out_type) and valid_connection(opposite, want):
            return slot
    for i, entry in enumerate(inputs):
        if entry.type == want:
            return i
    for i, entry in enumerate(inputs):
        if valid_connection(entry.type, out_type) and valid_connection(entry.type, want):
            return i
    return -1
