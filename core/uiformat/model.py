"""The UI (graph) workflow as plain data: graphs, nodes, slots and links.

Parses what ComfyUI saves (``nodes``, ``links``, ``definitions.subgraphs``)
into one shape for the root graph and every subgraph definition. Root links are
arrays ``[id, origin_id, origin_slot, target_id, target_slot, type]``; subgraph
links are objects with the same fields. Node ids become strings: the frontend
looks nodes up in a JavaScript object, where ``3`` and ``"3"`` are one key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import WorkflowError

# The frontend's ids for a subgraph's input and output pseudo-nodes.
SUBGRAPH_INPUT_ID = "-10"
SUBGRAPH_OUTPUT_ID = "-20"


@dataclass
class Link:
    id: str
    origin_id: str
    origin_slot: int
    target_id: str
    target_slot: int
    type: Any = "*"


@dataclass
class UiNode:
    """One node as saved; ``inputs``/``outputs`` are the saved slot objects."""

    id: str
    type: str
    mode: int
    title: str | None
    inputs: list[dict[str, Any]]
    outputs: list[dict[str, Any]]
    widgets_values: Any
    properties: dict[str, Any]


@dataclass
class IoSlot:
    """A subgraph input or output: its name, type and the inner links it feeds."""

    name: str
    type: Any
    link_ids: list[str]


@dataclass
class Graph:
    """The root graph or one subgraph definition (``id`` is its UUID)."""

    id: str
    name: str
    nodes: dict[str, UiNode]
    links: dict[str, Link]
    inputs: list[IoSlot] = field(default_factory=list)
    outputs: list[IoSlot] = field(default_factory=list)


@dataclass
class Document:
    root: Graph
    subgraphs: dict[str, Graph]
    group_nodes: dict[str, Any]


def key(value: object) -> str:
    """A node or link id as the frontend's object keys see it."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _int(value: object, default: int = 0) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return default


def parse_link(raw: object) -> Link | None:
    """A link in either saved form; None for anything malformed (the frontend drops those)."""
    if isinstance(raw, list) and len(raw) >= 5:
        kind = raw[5] if len(raw) > 5 else "*"
        return Link(key(raw[0]), key(raw[1]), _int(raw[2]), key(raw[3]), _int(raw[4]), kind)
    if isinstance(raw, dict) and "id" in raw:
        return Link(
            key(raw["id"]),
            key(raw.get("origin_id")),
            _int(raw.get("origin_slot")),
            key(raw.get("target_id")),
            _int(raw.get("target_slot")),
            raw.get("type", "*"),
        )
    return None


def _slots(raw: object) -> list[dict[str, Any]]:
    return [dict(s) for s in raw if isinstance(s, dict)] if isinstance(raw, list) else []


def parse_node(raw: object, where: str) -> UiNode:
    if not isinstance(raw, dict) or "id" not in raw or not isinstance(raw.get("type"), str):
        raise WorkflowError(f"{where}: a node without an id or type: {str(raw)[:80]}")
    title = raw.get("title")
    props = raw.get("properties")
    return UiNode(
        id=key(raw["id"]),
        type=raw["type"],
        mode=_int(raw.get("mode"), 0),
        title=title if isinstance(title, str) and title else None,
        inputs=_slots(raw.get("inputs")),
        outputs=_slots(raw.get("outputs")),
        widgets_values=raw.get("widgets_values"),
        properties=dict(props) if isinstance(props, dict) else {},
    )


def _io_slots(raw: object) -> list[IoSlot]:
    slots: list[IoSlot] = []
    for s in _slots(raw):
        ids = s.get("linkIds")
        link_ids = [key(i) for i in ids] if isinstance(ids, list) else []
        slots.append(IoSlot(str(s.get("name", "")), s.get("type", "*"), link_ids))
    return slots


def parse_graph(raw: dict[str, Any], graph_id: str, where: str) -> Graph:
    nodes_raw = raw.get("nodes")
    if not isinstance(nodes_raw, list):
        raise WorkflowError(f"{where}: 'nodes' is not a list")
    nodes: dict[str, UiNode] = {}
    for item in nodes_raw:
        node = parse_node(item, where)
        nodes[node.id] = node
    links: dict[str, Link] = {}
    links_raw = raw.get("links")
    for item in links_raw if isinstance(links_raw, list) else []:
        link = parse_link(item)
        if link is not None:
            links[link.id] = link
    return Graph(
        id=graph_id,
        name=str(raw.get("name") or graph_id),
        nodes=nodes,
        links=links,
        inputs=_io_slots(raw.get("inputs")),
        outputs=_io_slots(raw.get("outputs")),
    )


def parse_document(data: dict[str, Any], where: str) -> Document:
    """The root graph, every subgraph definition (by UUID) and the legacy group-node definitions."""
    root = parse_graph(data, "root", where)
    defs = data.get("definitions")
    raw_subgraphs = defs.get("subgraphs") if isinstance(defs, dict) else None
    subgraphs: dict[str, Graph] = {}
    for sg in raw_subgraphs if isinstance(raw_subgraphs, list) else []:
        if isinstance(sg, dict) and isinstance(sg.get("id"), str):
            subgraphs[sg["id"]] = parse_graph(sg, sg["id"], f"{where}: subgraph {sg.get('name')!r}")
    extra = data.get("extra")
    groups = extra.get("groupNodes") if isinstance(extra, dict) else None
    return Document(root, subgraphs, dict(groups) if isinstance(groups, dict) else {})


def is_ui_workflow(data: object) -> bool:
    """ComfyUI's UI (graph) format: a ``nodes`` list beside ``links``."""
    return isinstance(data, dict) and isinstance(data.get("nodes"), list) and "links" in data
