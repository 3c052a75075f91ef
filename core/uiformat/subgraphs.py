"""Subgraph instances: their input slots and the widgets they promote.

A subgraph node shows, for each of its inputs that feeds a widget inside the
subgraph, a copy of that widget; the instance's ``widgets_values`` set those
copies in input order (and ``properties.proxyWidgets`` entries ``["-1", name]``
set them by name), as ``SubgraphNode._internalConfigureAfterSlots`` and the
proxy-widget ``onConfigure`` do in ComfyUI_frontend 1.32.
"""

from __future__ import annotations

from typing import Any

from .instances import NodeState, Slot, Widget
from .model import Graph

States = dict[tuple[str, str], NodeState]


def instance_inputs(state: NodeState, definition: Graph) -> list[Slot]:
    """The definition's inputs in its order, each with the saved link of the same name
    (the frontend rebuilds an instance's slots from its definition on load)."""
    saved = {slot.name: slot for slot in state.inputs}
    return [
        Slot(io.name, io.type, saved[io.name].link if io.name in saved else None)
        for io in definition.inputs
    ]


def _inner_widget(definition: Graph, states: States, link_id: str) -> Widget | None:
    link = definition.links.get(link_id)
    inner = states.get((definition.id, link.target_id)) if link else None
    if link is None or inner is None:
        return None
    index = inner.input_for_link(link.id)
    if index is None:
        index = link.target_slot if link.target_slot < len(inner.inputs) else None
    return inner.widget(inner.inputs[index].widget) if index is not None else None


def promote_widgets(state: NodeState, definition: Graph, states: States) -> None:
    """Give a subgraph instance its promoted widgets and their saved values."""
    state.inputs = instance_inputs(state, definition)
    state.widgets = []
    by_name = {io.name: io for io in definition.inputs}
    for slot in state.inputs:
        io = by_name.get(slot.name)
        for link_id in io.link_ids if io else []:
            inner = _inner_widget(definition, states, link_id)
            if inner is not None:
                state.widgets.append(Widget(slot.name, inner.value, inner.in_prompt))
                slot.widget = slot.name
                break
    _apply_values(state)


def _apply_values(state: NodeState) -> None:
    values = state.node.widgets_values
    if not isinstance(values, list):
        return
    for widget, value in zip(state.widgets, values, strict=False):
        widget.value = value
    proxies: Any = state.node.properties.get("proxyWidgets")
    if not isinstance(proxies, list):
        return
    for index, value in enumerate(values):
        entry = proxies[index] if index < len(proxies) else None
        if not (isinstance(entry, list) and len(entry) == 2 and str(entry[0]) == "-1"):
            continue
        named = state.widget(str(entry[1]))
        if value is not None and named is not None:
            named.value = value
