// @ts-check
// The new-sweep form's actions: capture the graph, analyze, live plan,
// queue, YAML import/export.
import { client } from "../lib/api.js";
import { store } from "../lib/state.js";
import { buildConfig, formFromAnalysis, formFromConfig, validateForm } from "../lib/config.js";
import { apiIdOf } from "../lib/graphPath.js";
import { sweepableWidgets } from "../lib/widgets.js";
import { api, app, notify, openSweepTab, rootGraph, toast, toastError, userFormDefaults } from "./comfy.js";
import { refreshSweeps } from "./sweepActions.js";
import { explorePlan, isExplore } from "../lib/explore.js";
import { startExploration } from "./explorations.js";

const PLAN_DELAY_MS = 350;
let planTimer = null;
let planSeq = 0;

// focus (config.js formFromAnalysis): the parameters "Explore parameter" or
// the exploreSelected command asked for.
export async function startNewSweep(focus = null) {
  store.set({ view: "form", busy: true, form: null, plan: null, formErrors: [] });
  try {
    const { output, workflow } = await app.graphToPrompt();
    const { analysis } = await client.analyze(output);
    const form = formFromAnalysis(analysis, { focus, prompt: output, defaults: userFormDefaults() });
    store.set({ form, source: { prompt: output, workflow }, analysisWarnings: analysis.warnings ?? [], busy: false });
    planNow();
  } catch (err) {
    store.set({ busy: false, view: "list" });
    toastError("Could not analyze the graph", err);
  }
}

export async function exploreParameter(node, widget) {
  await openSweepTab();
  await startNewSweep({ nodeId: apiIdOf(rootGraph(), node), input: widget.name });
}

// Every widget "Explore parameter" would offer on these nodes (the command
// comfy-sweep.exploreSelected). Returns false when none has one.
export async function exploreNodes(nodes) {
  const focus = nodes.map((node) => ({ nodeId: apiIdOf(rootGraph(), node), inputs: sweepableWidgets(node).map((w) => w.name) }))
    .filter((f) => f.inputs.length > 0);
  if (focus.length === 0) return false;
  await openSweepTab();
  await startNewSweep(focus);
  return true;
}

// Inputs mutate the form in place (so typing keeps focus) and call this.
export function formEdited() {
  clearTimeout(planTimer);
  planTimer = setTimeout(planNow, PLAN_DELAY_MS);
}

// Structural edits (type, enable) redraw the form.
export function formChanged() {
  store.set({ form: { ...store.state.form } });
  formEdited();
}

export async function planNow() {
  clearTimeout(planTimer);
  const { form, source } = store.state;
  if (!form || !source) return;
  const formErrors = validateForm(form);
  if (formErrors.length) {
    planSeq += 1; // an answer to an earlier, valid form is stale now
    store.set({ formErrors, plan: null, planPending: false });
    return;
  }
  if (isExplore(form)) return store.set({ formErrors: [], plan: explorePlan(form), planPending: false });
  const seq = ++planSeq;
  // The edit fixed any earlier slip: drop its message now, not when a slow
  // plan (large sweeps take seconds) answers.
  store.set({ formErrors: [], planPending: true });
  try {
    const plan = await client.plan(source.prompt, buildConfig(form));
    if (seq === planSeq) store.set({ plan, planPending: false });
  } catch (err) {
    if (seq === planSeq) store.set({ plan: { error: err.message, field: err.field }, planPending: false });
  }
}

export async function queueSweep() {
  const { form, source } = store.state;
  const formErrors = validateForm(form);
  if (formErrors.length) return store.set({ formErrors });
  store.set({ busy: true });
  try {
    const body = { prompt: source.prompt, workflow: source.workflow, config: buildConfig(form), client_id: api.clientId };
    if (form.name.trim()) body.name = form.name.trim();
    if (isExplore(form)) await startExploration(body);
    else {
      const res = await client.createSweep(body);
      notify("success", "Sweep queued", `${res.total} runs (${res.id})`);
    }
    store.set({ view: "list", busy: false });
    await refreshSweeps();
  } catch (err) {
    store.set({ busy: false, plan: { error: err.message, field: err.field } });
    toastError("Sweep not queued", err);
  }
}

export function cancelForm() {
  clearTimeout(planTimer);
  store.set({ view: "list", form: null, plan: null, formErrors: [], planPending: false });
}

export async function importYaml(file) {
  try {
    const { config, warnings } = await client.parseConfig(await file.text());
    store.set({ form: formFromConfig(config, store.state.form) });
    if (warnings?.length) toast("warn", "Imported with warnings", warnings.join("\n"), 8000);
    planNow();
  } catch (err) {
    toastError(`Could not import ${file.name}`, err);
  }
}

function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// The YAML names the API workflow saved next to it, so `cr-batch sweep.yaml`
// runs the same sweep headless.
export async function exportYaml() {
  const { form, source } = store.state;
  const base = (form.name.trim() || "sweep").replace(/[^\w.-]+/g, "_");
  try {
    const { yaml } = await client.renderConfig({ workflow_file: `${base}_api.json`, ...buildConfig(form) });
    download(`${base}.yaml`, yaml, "text/yaml");
    download(`${base}_api.json`, JSON.stringify(source.prompt, null, 2), "application/json");
  } catch (err) {
    toastError("Export failed", err);
  }
}
