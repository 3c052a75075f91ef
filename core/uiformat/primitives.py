"""PrimitiveNode: its one widget's value is copied into every widget it feeds.

As ``PrimitiveNode.applyToGraph`` (``extensions/core/widgetInputs.ts``): the
primitive's value (its saved ``widgets_values[0]``, else the first target's
value) overwrites the target widget named by each linked input; with the
"Run widget replace on values" property the ``%node.widget%`` replacements are
applied first. The frontend reads the links of the root graph even for a
primitive inside a subgraph; we read the primitive's own graph.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .instances import MISSING, NodeState
from .model import Graph

REPLACE_PROPERTY = "Run widget replace on values"


def _targets(
    state: NodeState, graph: Graph, states: dict[tuple[str, str], NodeState]
) -> list[tuple[NodeState, str]]:
    """(target node, widget name) for each output link that lands on a widget input."""
    links = state.node.outputs[0].get("links") if state.node.outputs else None
    found: list[tuple[NodeState, str]] = []
    for raw in links if isinstance(links, list) else []:
        link = graph.links.get(str(raw))
        target = states.get((graph.id, link.target_id)) if link else None
        if link is None or target is None:
            continue
        index = target.input_for_link(link.id)
        name = target.inputs[index].widget if index is not None else None
        if name and target.widget(name) is not None:
            found.append((target, name))
    return found


def primitive_value(state: NodeState, targets: list[tuple[NodeState, str]]) -> Any:
    values = state.node.widgets_values
    if isinstance(values, list) and values:
        return values[0]
    if targets:
        first, name = targets[0]
        widget = first.widget(name)
        return widget.value if widget is not None else MISSING
    return MISSING


def apply_primitive(
    state: NodeState,
    graph: Graph,
    states: dict[tuple[str, str], NodeState],
    replace: Callable[[str], str],
) -> None:
    targets = _targets(state, graph, states)
    if not targets:
        return
    value = primitive_value(state, targets)
    if value and isinstance(value, str) and state.node.properties.get(REPLACE_PROPERTY):
        value = replace(value)
    for target, name in targets:
        widget = target.widget(name)
        if widget is not None:
            widget.value = value
