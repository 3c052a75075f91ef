// Node context menu: "Explore parameter ▸ <widget>". Returned through the
// documented getNodeMenuItems hook; it must always return an array (an
// undefined entry makes the whole node menu disappear), and callbacks close
// over node and widget because the Vue node menu calls them without arguments.
import { app } from "../../scripts/app.js";
import { exploreParameter } from "./sidebar/newSweepActions.js";

const SWEEPABLE = new Set(["number", "slider", "knob", "combo"]);

// A widget fed by a link is not a literal input: nothing to sweep there.
function linkedWidgetNames(node) {
  const connected = (input, slot) => (typeof node.isInputConnected === "function"
    ? node.isInputConnected(slot) : input.link != null); // input.link is deprecated in 1.5x
  return new Set((node.inputs ?? []).filter((i, slot) => i.widget && connected(i, slot)).map((i) => i.widget.name));
}

export function sweepableWidgets(node) {
  const linked = linkedWidgetNames(node);
  return (node.widgets ?? []).filter((w) => SWEEPABLE.has(w.type) && w.name !== "control_after_generate"
    && w.options?.serialize !== false && !linked.has(w.name));
}

function widgetUnderMouse(node) {
  const pos = app.canvas?.graph_mouse;
  if (!pos || typeof node.getWidgetOnPos !== "function") return null;
  return node.getWidgetOnPos(pos[0], pos[1], true) ?? null;
}

export function nodeMenuItems(node) {
  try {
    const widgets = sweepableWidgets(node ?? {});
    if (widgets.length === 0) return [];
    const hit = widgetUnderMouse(node);
    const ordered = hit && widgets.includes(hit) ? [hit, ...widgets.filter((w) => w !== hit)] : widgets;
    const options = ordered.map((widget) => ({
      content: widget.label || widget.name,
      callback: () => { exploreParameter(node, widget); },
    }));
    return [{ content: "Explore parameter", has_submenu: true, submenu: { options } }];
  } catch (err) {
    console.warn("[comfy-sweep] node menu", err);
    return [];
  }
}
