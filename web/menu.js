// @ts-check
// Node context menu: "Explore parameter ▸ <widget>". Returned through the
// documented getNodeMenuItems hook; it must always return an array (an
// undefined entry makes the whole node menu disappear), and callbacks close
// over node and widget because the Vue node menu calls them without arguments.
import { app } from "../../scripts/app.js";
import { sweepableWidgets } from "./lib/widgets.js";
import { exploreParameter } from "./sidebar/newSweepActions.js";

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
