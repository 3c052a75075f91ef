// @ts-check
// Actions on existing sweeps: list, progress, cancel/resume/delete, runs,
// "Load into graph".
import { client } from "../lib/api.js";
import { store } from "../lib/state.js";
import { formatValues, userMessage } from "../lib/format.js";
import { nodeByApiId } from "../lib/graphPath.js";
import { runsRefresher } from "../lib/runsRefresh.js";
import { FINAL_STATES } from "../lib/states.js";
import { app, notify, rootGraph, toastError } from "./comfy.js";

let refreshing = null;

const runsRefresh = runsRefresher({ load: (id) => loadRuns(id), isOpen: (id) => store.state.expanded === id });

export function refreshSweeps() {
  // Coalesce: a burst of progress events or clicks makes one request.
  refreshing ??= client.listSweeps()
    .then((res) => store.set({ sweeps: res?.sweeps ?? [], listError: null }))
    .catch((err) => store.set({ listError: userMessage(err) }))
    .finally(() => { refreshing = null; });
  return refreshing;
}

const announced = new Set();

export function onProgress(detail) {
  store.progress(detail);
  runsRefresh.progress(detail.sweep_id);
  const final = FINAL_STATES.has(detail.state);
  const key = `${detail.sweep_id}|${detail.state}|${detail.done}`;
  if (!final || announced.has(key)) return;
  announced.add(key);
  const failed = detail.failed ? `, ${detail.failed} failed` : "";
  notify(detail.failed ? "warn" : "success", `Sweep ${detail.state}`, `${detail.done}/${detail.total} done${failed}`);
  refreshSweeps();
}

async function act(label, fn) {
  try {
    await fn();
  } catch (err) {
    toastError(label, err);
  }
  await refreshSweeps();
}

export const cancelSweep = (id) => act("Cancel failed", () => client.cancel(id));
export const resumeSweep = (id) => act("Resume failed", () => client.resume(id));
export const deleteSweep = (id) => act("Delete failed", async () => {
  await client.remove(id);
  if (store.state.expanded === id) store.set({ expanded: null });
});

// Reading the runs when the list opens (or the tab is reopened with it open)
// picks up thumbnails written since the last read.
export function openRuns(id) {
  runsRefresh.opened();
  return loadRuns(id);
}

export async function loadRuns(id) {
  try {
    const detail = await client.getSweep(id, 0, 200);
    const runs = detail.runs ?? [];
    store.set({ runs: { ...store.state.runs, [id]: runs } });
    runsRefresh.loaded(id, runs);
  } catch (err) {
    toastError("Could not load runs", err);
  }
}

export function toggleRuns(id) {
  const expanded = store.state.expanded === id ? null : id;
  store.set({ expanded });
  if (expanded) openRuns(id);
}

const unwrap = (v) => (v && typeof v === "object" && "__value__" in v ? v.__value__ : v);
const isLink = (v) => Array.isArray(v) && v.length === 2 && typeof v[1] === "number";

// API ids name nodes by their path through subgraphs ("75:58"); widgets are
// found by name on the resolved node. Returns the number of widgets changed.
export function applyPromptToGraph(prompt, graph = rootGraph()) {
  let changed = 0;
  for (const [id, node] of Object.entries(prompt ?? {})) {
    const target = nodeByApiId(graph, id);
    if (!target?.widgets) continue;
    for (const [name, raw] of Object.entries(node.inputs ?? {})) {
      if (isLink(raw)) continue;
      const widget = target.widgets.find((w) => w.name === name);
      const value = unwrap(raw);
      if (!widget || widget.value === value) continue;
      widget.value = value;
      changed += 1;
    }
  }
  app.canvas?.setDirty?.(true, true);
  graph.setDirtyCanvas?.(true, true);
  return changed;
}

// From the run list and from a contact sheet (sheetLink.js): {ok, message},
// the toast's text, which the sheet shows too.
export async function loadRunIntoGraph(id, runId) {
  try {
    const { prompt, values } = await client.runPrompt(id, runId);
    const changed = applyPromptToGraph(prompt);
    const message = `${formatValues(values)} (${changed} widget${changed === 1 ? "" : "s"} changed)`;
    notify("success", `Run ${runId} loaded into the graph`, message);
    return { ok: true, message };
  } catch (err) {
    toastError("Load into graph failed", err);
    return { ok: false, message: userMessage(err) };
  }
}
