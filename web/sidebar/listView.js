// @ts-check
// The sweep list: progress, ETA, current values, actions, runs.
import { contactSheetRoute, fileRoute } from "../lib/api.js";
import { RESUMABLE_STATES, RUN_DONE, isActive } from "../lib/states.js";
import { formatDuration, formatProgress, formatTime, valuePairs } from "../lib/format.js";
import { apiUrl } from "./comfy.js";
import { button, h } from "./dom.js";
import { startNewSweep } from "./newSweepActions.js";
import { explorationsSection } from "./explorations.js";
import { refineBox, refineButton } from "./refineView.js";
import { cancelSweep, deleteSweep, loadRunIntoGraph, refreshSweeps, resumeSweep, toggleRuns } from "./sweepActions.js";

// Two-step delete inside the card: no blocking dialog over the canvas.
function deleteButton(s) {
  const btn = button("Delete", () => {
    if (btn.dataset.armed) return deleteSweep(s.id);
    btn.dataset.armed = "1";
    btn.textContent = "Confirm delete";
    setTimeout(() => { delete btn.dataset.armed; btn.textContent = "Delete"; }, 4000);
  }, { action: "delete", danger: true });
  return btn;
}

function sweepActions(s) {
  const active = isActive(s.state);
  return h("div", { class: "comfy-sweep-actions" },
    button("Contact sheet", () => window.open(apiUrl(contactSheetRoute(s.id)), "_blank"), { action: "contact-sheet", disabled: s.done === 0 && active }),
    button("Runs", () => toggleRuns(s.id), { action: "runs" }),
    active && button("Cancel", () => cancelSweep(s.id), { action: "cancel" }),
    RESUMABLE_STATES.has(s.state) && button("Resume", () => resumeSweep(s.id), { action: "resume" }),
    refineButton(s),
    !active && deleteButton(s));
}

// One unbreakable span per name=value pair: a narrow panel wraps between
// pairs, never inside a number.
function valuesLine(values, prefix = "") {
  const list = valuePairs(values);
  const pairs = list.flatMap((p, i) => [i ? " " : null, h("span", { class: "comfy-sweep-pair" }, i < list.length - 1 ? `${p} ·` : p)]);
  return h("div", { class: "comfy-sweep-muted comfy-sweep-values" }, prefix, pairs);
}

function runRow(sweepId, run) {
  return h("li", { class: `comfy-sweep-run comfy-sweep-status-${run.status}` },
    run.thumbnail ? h("img", { src: apiUrl(fileRoute(sweepId, run.thumbnail)), alt: "", loading: "lazy" }) : h("span", { class: "comfy-sweep-thumb" }),
    h("div", { class: "comfy-sweep-run-text" },
      h("div", {}, `#${run.run_id} ${run.status}`),
      valuesLine(run.values),
      run.error && h("div", { class: "comfy-sweep-error" }, run.error)),
    run.status === RUN_DONE && button("Load into graph", () => loadRunIntoGraph(sweepId, run.run_id), { action: "load-run" }));
}

function sweepCard(s, state) {
  const { text, pct } = formatProgress(s);
  const eta = isActive(s.state) && s.eta_s != null ? ` · ETA ${formatDuration(s.eta_s)}` : "";
  const runs = state.expanded === s.id ? state.runs[s.id] : null;
  return h("li", { class: "comfy-sweep-card", data: { sweepId: s.id, state: s.state } },
    h("div", { class: "comfy-sweep-card-head" },
      h("span", { class: "comfy-sweep-name", title: s.id }, s.name || s.id),
      h("span", { class: `comfy-sweep-badge comfy-sweep-state-${s.state}` }, s.state)),
    h("div", { class: "comfy-sweep-bar" }, h("div", { style: `width:${pct}%` })),
    h("div", { class: "comfy-sweep-muted comfy-sweep-progress" }, text + eta),
    s.current && isActive(s.state) && valuesLine(s.current.values, "now: "),
    s.message && !isActive(s.state) && h("div", { class: "comfy-sweep-muted comfy-sweep-message" }, s.message),
    h("div", { class: "comfy-sweep-muted comfy-sweep-small" }, formatTime(s.created_at)),
    sweepActions(s),
    refineBox(s, state),
    runs && h("ul", { class: "comfy-sweep-runs" }, runs.length ? runs.map((r) => runRow(s.id, r)) : h("li", {}, "no runs yet")));
}

export function listView(state) {
  return h("div", { class: "comfy-sweep-list" },
    h("div", { class: "comfy-sweep-toolbar" },
      button("New sweep from this graph", () => startNewSweep(), { action: "new", primary: true }),
      button("↻", () => refreshSweeps(), { action: "refresh", title: "Refresh" })),
    explorationsSection(state),
    state.listError && h("div", { class: "comfy-sweep-error" }, state.listError),
    state.sweeps.length === 0
      ? h("p", { class: "comfy-sweep-muted" }, "No sweeps yet. Build one from the current graph, or right-click a node → Explore parameter.")
      : h("ul", { class: "comfy-sweep-cards" }, state.sweeps.map((s) => sweepCard(s, state))));
}
