// @ts-check
// Which widgets of a node "Explore parameter" offers. Pure (no ComfyUI
// imports) so `node --test` can drive it with plain node objects.
import { AXIS_INPUTS } from "./config.js";

const SWEEPABLE = new Set(["number", "slider", "knob", "combo"]);

// A widget fed by a link is not a literal input: nothing to sweep there.
function linkedWidgetNames(node) {
  const connected = (input, slot) => (typeof node.isInputConnected === "function"
    ? node.isInputConnected(slot) : input.link != null); // input.link is deprecated in 1.5x
  return new Set((node.inputs ?? []).filter((i, slot) => i.widget && connected(i, slot)).map((i) => i.widget.name));
}

// Numeric and combo widgets, minus the control_after_generate companion and
// linked ones. An axis node (nodes/axes.py) offers only its axis input: its
// min/max/step widgets describe the axis and change no output, so a sweep
// over them would make identical images.
export function sweepableWidgets(node) {
  const linked = linkedWidgetNames(node);
  const axis = AXIS_INPUTS[node.comfyClass ?? node.type];
  return (node.widgets ?? []).filter((w) => SWEEPABLE.has(w.type) && w.name !== "control_after_generate"
    && w.options?.serialize !== false && !linked.has(w.name) && (!axis || w.name === axis));
}
