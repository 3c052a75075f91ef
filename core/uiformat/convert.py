"""UI (graph) workflow → API (prompt) format, as the frontend's ``graphToPrompt``.

Steps, in the frontend's order: load every node (instances.py), give subgraph
instances their promoted widgets (subgraphs.py), let primitives copy their
values into their targets (primitives.py), flatten subgraphs into execution
nodes (flatten.py), then emit every node that is neither virtual, muted nor
bypassed: widget values first, then each input resolved upstream; finally drop
inputs that point at nodes that were not emitted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import WorkflowError
from .flatten import Dto, Flattener
from .groupnodes import GroupDef, build_group, group_name, group_state, inner_states
from .instances import MISSING, MODE_BYPASS, MODE_NEVER, NodeState, Widget, node_state
from .model import Document, Graph, is_ui_workflow, parse_document
from .primitives import apply_primitive
from .subgraphs import promote_widgets
from .textvalues import SAVE_NODE_TYPES, dynamic_prompt, has_choice, text_replacements


@dataclass
class Conversion:
    """The API-format prompt, the original UI graph, and notes for the user."""

    prompt: dict[str, dict[str, Any]]
    ui_graph: dict[str, Any]
    notes: list[str] = field(default_factory=list)


class _Converter:
    def __init__(self, doc: Document, object_info: Mapping[str, Any], now: datetime) -> None:
        self.doc = doc
        self.object_info = object_info
        self.now = now
        self.flat = Flattener(doc.subgraphs)
        self.notes: list[str] = []
        self.group_defs: dict[str, GroupDef] = {}

    # ---- loading ---------------------------------------------------------
    def graphs(self) -> list[Graph]:
        return [self.doc.root, *self.doc.subgraphs.values()]

    def load(self) -> None:
        ids = set(self.doc.subgraphs)
        for graph in self.graphs():
            for node in graph.nodes.values():
                gdef = self._group(node.type)
                if gdef is not None:
                    state = group_state(node, gdef)
                    inner = inner_states(state, gdef, self.object_info)
                    self.flat.groups[(graph.id, node.id)] = (gdef, inner)
                else:
                    state = node_state(node, graph, self.object_info, ids)
                self.flat.states[(graph.id, node.id)] = state
        done: set[str] = set()
        for graph in self.graphs():
            self._promote(graph, done, ())

    def _group(self, node_type: str) -> GroupDef | None:
        name = group_name(node_type)
        if name is None or node_type in self.object_info:
            return None
        if name not in self.group_defs:
            data = self.doc.group_nodes.get(name)
            self.group_defs[name] = build_group(name, data, self.object_info)
        return self.group_defs[name]

    def _promote(self, graph: Graph, done: set[str], stack: tuple[str, ...]) -> None:
        """Promote inner instances first: an outer instance copies their widgets."""
        if graph.id in done:
            return
        if graph.id in stack:
            raise WorkflowError(f"subgraph {graph.name!r} contains itself")
        for node in graph.nodes.values():
            state = self.flat.states[(graph.id, node.id)]
            if state.kind == "subgraph":
                definition = self.doc.subgraphs[node.type]
                self._promote(definition, done, (*stack, graph.id))
                promote_widgets(state, definition, self.flat.states)
        done.add(graph.id)

    def apply_primitives(self) -> None:
        for graph in self.graphs():
            for node in graph.nodes.values():
                state = self.flat.states[(graph.id, node.id)]
                if state.kind == "primitive":
                    apply_primitive(state, graph, self.flat.states, self.replace)

    # ---- values ------------------------------------------------------------
    def replace(self, text: str) -> str:
        return text_replacements(text, self._lookup, self.now)

    def _lookup(self, node_name: str, widget_name: str) -> object | None:
        states = list(self.flat.states.values())
        matches = [s for s in states if s.node.properties.get("Node name for S&R") == node_name]
        matches = matches or [s for s in states if s.title == node_name]
        widget = matches[0].widget(widget_name) if matches else None
        if widget is None:
            return None
        return "" if widget.value is None or widget.value is MISSING else widget.value

    def widget_value(self, dto: Dto, widget: Widget) -> Any:
        value = widget.value
        if widget.dynamic_prompts and isinstance(value, str):
            if has_choice(value):
                self.notes.append(
                    f"node {dto.id} input {widget.name!r} keeps its {{a|b}} choices "
                    "(the ComfyUI frontend picks one at random on every queue)"
                )
            value = dynamic_prompt(value)
        if widget.name == "filename_prefix" and dto.state.class_type in SAVE_NODE_TYPES:
            value = self.replace(value) if isinstance(value, str) else value
        return value

    # ---- emission ------------------------------------------------------------
    def node_inputs(self, dto: Dto) -> dict[str, Any]:
        inputs: dict[str, Any] = {}
        for widget in dto.state.widgets:
            if widget.name and widget.in_prompt:
                _put(inputs, widget.name, self.widget_value(dto, widget))
        for index, slot in enumerate(dto.state.inputs):
            origin = self.flat.resolve_input(dto, index, set())
            if origin is None:
                continue
            if origin.node_id is None:
                _put(inputs, slot.name, origin.value)
            else:
                inputs[slot.name] = [origin.node_id, origin.slot]
        return inputs

    def emit(self) -> dict[str, dict[str, Any]]:
        self.flat.add_graph(self.doc.root, (), None)
        prompt: dict[str, dict[str, Any]] = {}
        for exec_id, dto in self.flat.dtos.items():
            if not _emitted(dto.state):
                continue
            prompt[exec_id] = {
                "inputs": self.node_inputs(dto),
                "class_type": dto.state.class_type,
                "_meta": {"title": dto.state.title},
            }
        for node in prompt.values():
            for name, value in list(node["inputs"].items()):
                if isinstance(value, list) and len(value) == 2 and value[0] not in prompt:
                    del node["inputs"][name]
        return prompt


def _emitted(state: NodeState) -> bool:
    return not state.is_virtual and state.mode not in (MODE_NEVER, MODE_BYPASS)


def _put(inputs: dict[str, Any], name: str, value: Any) -> None:
    """Lists are links to ComfyUI, so a list value is boxed; undefined is left out."""
    if value is MISSING:
        inputs.pop(name, None)
    elif isinstance(value, list):
        inputs[name] = {"__value__": value}
    else:
        inputs[name] = value


def convert_ui_workflow(
    data: Mapping[str, Any],
    object_info: Mapping[str, Any],
    *,
    source: str = "<workflow>",
    now: datetime | None = None,
) -> Conversion:
    """Convert a UI-format workflow with the server's ``/object_info`` (its ``data``).

    Raises WorkflowError (prefixed with ``source``) for a node type the server
    does not know, a subgraph that contains itself, or circular links.
    """
    if not is_ui_workflow(data):
        raise WorkflowError(f"{source}: not a UI-format workflow (no 'nodes' and 'links')")
    ui = dict(data)
    try:
        doc = parse_document(ui, source)
        conv = _Converter(doc, object_info, now or datetime.now())
        conv.load()
        conv.apply_primitives()
        prompt = conv.emit()
    except WorkflowError as err:
        message = err.message if err.message.startswith(source) else f"{source}: {err.message}"
        raise WorkflowError(message, field=err.field, details=err.details) from None
    if not prompt:
        raise WorkflowError(f"{source}: the workflow has no node to run (all muted or virtual?)")
    return Conversion(prompt, ui, conv.notes)
