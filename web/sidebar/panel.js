// @ts-check
// The Sweep sidebar tab. ComfyUI calls render(el) with a fresh element on
// every open and destroy() on close, so all state lives in lib/state.js and
// render only subscribes and draws.
import { store } from "../lib/state.js";
import { isActive } from "../lib/states.js";
import { ensureStyles, h } from "./dom.js";
import { formView, planBox } from "./formView.js";
import { listView } from "./listView.js";
import { openRuns, refreshSweeps } from "./sweepActions.js";
import { refreshExplorations } from "./explorations.js";

const POLL_MS = 5000; // fallback when progress events were missed (reconnects)
let mounted = null;

function draw(root, state) {
  root.replaceChildren(state.view === "form" ? formView(state) : listView(state));
}

export function renderPanel(el) {
  destroyPanel();
  ensureStyles();
  const root = h("div", { class: "comfy-sweep-panel" });
  el.replaceChildren(root);
  let shown = null;
  const redraw = (state) => {
    // Typing mutates the form in place; only the plan box needs redrawing
    // then, so inputs keep their focus.
    const planBoxEl = root.querySelector(".comfy-sweep-plan");
    if (shown && state.view === "form" && shown.view === "form" && state.form === shown.form && planBoxEl) {
      planBoxEl.replaceWith(planBox(state));
      root.querySelectorAll("[data-sweep-action=queue]").forEach((b) => { b.disabled = state.busy; });
    } else {
      draw(root, state);
      // "Explore parameter": bring the chosen row into view once per new form.
      if (state.form && state.form !== shown?.form) root.querySelector(".comfy-sweep-focused")?.scrollIntoView({ block: "nearest" });
    }
    shown = state;
  };
  const off = store.subscribe(redraw);
  const timer = setInterval(() => {
    if (store.state.view === "list" && store.state.sweeps.some((s) => isActive(s.state))) refreshSweeps();
    if (store.state.view === "list" && store.state.explorations?.some((x) => x.state === "running")) refreshExplorations();
  }, POLL_MS);
  mounted = { off, timer };
  redraw(store.state);
  refreshSweeps();
  refreshExplorations();
  // Runs shown before the tab was closed may have gained thumbnails since.
  if (store.state.expanded) openRuns(store.state.expanded);
}

export function destroyPanel() {
  if (!mounted) return;
  mounted.off();
  clearInterval(mounted.timer);
  mounted = null;
}
