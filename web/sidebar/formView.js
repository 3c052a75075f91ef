// @ts-check
// The new-sweep form: parameters by category, strategy, live plan.
import { MAX_QUEUE_WINDOW, TYPES, groupRows, linkedPathHint, setLinkedPaths, usesSamples } from "../lib/config.js";
import { formatEstimate, formatValue } from "../lib/format.js";
import { FORM_STRATEGIES } from "../lib/explore.js";
import { button, h } from "./dom.js";
import { metricsEditor } from "./metricsView.js";
import { cancelForm, exportYaml, formChanged, formEdited, importYaml, queueSweep } from "./newSweepActions.js";
import { refinedNote } from "./refineView.js";

const COLLAPSED = new Set(["prompt", "file"]);

function field(label, input) {
  return h("label", { class: "comfy-sweep-field" }, h("span", {}, label), input);
}

/**
 * An input bound to obj[key]; further attributes go to the element.
 * @param {Record<string, any>} obj @param {string} key
 * @param {{type?: string, onedit?: () => void, [attr: string]: unknown}} [opts]
 */
function input(obj, key, { type = "text", onedit = formEdited, ...attrs } = {}) {
  return h("input", { class: "comfy-sweep-input", type, value: obj[key] ?? "", ...attrs,
    oninput: (e) => { obj[key] = e.target.value; onedit(); } });
}

function select(obj, key, options, onchange = formChanged) {
  return h("select", { class: "comfy-sweep-input", onchange: (e) => { obj[key] = e.target.value; onchange(); } },
    options.map((o) => h("option", { value: o, selected: obj[key] === o }, o)));
}

function rowEditor(r, rows) {
  const range = r.type === "continuous" || r.type === "linear";
  const b = r.bounds ?? {};
  const hint = [b.min != null && `min ${b.min}`, b.max != null && `max ${b.max}`, b.step != null && `step ${b.step}`].filter(Boolean).join(", ");
  return h("div", { class: "comfy-sweep-editor" },
    field("type", select(r, "type", TYPES)),
    range && h("div", { class: "comfy-sweep-range" },
      field("min", input(r, "min", { type: "number", step: "any", data: { field: "min" } })),
      field("max", input(r, "max", { type: "number", step: "any", data: { field: "max" } })),
      field("step", input(r, "step", { type: "number", step: "any", data: { field: "step" } }))),
    r.type === "values" && field("values (comma-separated)", input(r, "valuesText", { data: { field: "values" } })),
    hint && h("div", { class: "comfy-sweep-muted comfy-sweep-small" }, `allowed: ${hint}`),
    field("also set (linked inputs)", h("input", { class: "comfy-sweep-input", placeholder: linkedPathHint(r, rows),
      value: r.paths.slice(1).join(", "), oninput: (e) => { setLinkedPaths(r, e.target.value); formEdited(); } })));
}

function paramRow(r, errors, rows) {
  const error = errors.find((e) => e.field?.includes(`parameters.${r.name}`));
  return h("div", { class: `comfy-sweep-param${r.enabled ? " comfy-sweep-on" : ""}${r.focused ? " comfy-sweep-focused" : ""}`,
    data: { param: r.name, path: r.paths[0] } },
  h("label", { class: "comfy-sweep-param-head", title: r.reason },
    h("input", { type: "checkbox", checked: r.enabled, onchange: (e) => { r.enabled = e.target.checked; formChanged(); } }),
    h("span", { class: "comfy-sweep-param-name", title: `${r.title} › ${r.input}` }, `${r.title} › ${r.input}`),
    h("span", { class: "comfy-sweep-muted comfy-sweep-param-value", title: formatValue(r.value) }, formatValue(r.value))),
  r.warnings?.length > 0 && h("div", { class: "comfy-sweep-warn" }, r.warnings.join(" ")),
  r.enabled && rowEditor(r, rows),
  error && h("div", { class: "comfy-sweep-error" }, error.message));
}

// data-plan-state is "pending" while the answer for the current form is on
// its way, so nobody (user or test) reads a stale total or error as current.
export function planBox(state) {
  const { plan, formErrors, busy, planPending } = state;
  const stateName = formErrors.length ? "error" : planPending || !plan ? "pending" : plan.error ? "error" : "ok";
  const box = h("div", { class: "comfy-sweep-plan", data: { planState: stateName } });
  if (busy) box.append(h("span", { class: "comfy-sweep-muted" }, "working…"));
  else if (formErrors.length) formErrors.forEach((e) => box.append(h("div", { class: "comfy-sweep-error" }, e.message)));
  else if (plan && !plan.error) {
    box.append(h("div", { class: "comfy-sweep-total" }, `Planned: ${formatEstimate(plan)}`,
      planPending && h("span", { class: "comfy-sweep-muted" }, " · updating…")));
    [...(plan.warnings ?? []), ...(plan.notes ?? [])].forEach((w) => box.append(h("div", { class: "comfy-sweep-warn" }, w)));
  } else if (plan?.error && !planPending) box.append(h("div", { class: "comfy-sweep-error" }, plan.error));
  else box.append(h("span", { class: "comfy-sweep-muted" }, "planning…"));
  return box;
}

function settings(form) {
  // grid/linear take every combination: the samples field does nothing there.
  const sampled = usesSamples(form.strategy);
  return h("div", { class: "comfy-sweep-settings" },
    field("name", input(form, "name", { placeholder: "optional", onedit: () => {} })),
    field("strategy", select(form, "strategy", FORM_STRATEGIES)),
    field(sampled ? "samples" : `samples (not used by ${form.strategy})`,
      input(form, "numSamples", { type: "number", min: 1, step: 1, disabled: !sampled, data: { field: "num_samples" } })),
    field("seeds per sample", input(form, "seedsPerSample", { type: "number", min: 1, data: { field: "seeds_per_sample" } })),
    field("queue window", input(form, "queueWindow", { type: "number", min: 1, max: MAX_QUEUE_WINDOW, step: 1,
      title: "prompts of this sweep kept on ComfyUI's queue at once", data: { field: "queue_window" } })));
}

function yamlButtons() {
  const file = h("input", { type: "file", accept: ".yaml,.yml", class: "comfy-sweep-hidden", data: { sweepAction: "import-file" },
    onchange: (e) => e.target.files[0] && importYaml(e.target.files[0]) });
  return [file, button("Import YAML", () => file.click(), { action: "import" }), button("Export YAML", exportYaml, { action: "export" })];
}

export function formView(state) {
  const { form, busy } = state;
  if (!form) return h("div", { class: "comfy-sweep-form" }, h("p", { class: "comfy-sweep-muted" }, "Analyzing the graph…"));
  const groups = groupRows(form.rows).map(([cat, rows]) =>
    h("details", { class: "comfy-sweep-group", open: !COLLAPSED.has(cat) || rows.some((r) => r.enabled) },
      h("summary", {}, `${cat} (${rows.filter((r) => r.enabled).length}/${rows.length})`),
      rows.map((r) => paramRow(r, state.formErrors, form.rows))));
  // The header (Queue sweep + the plan) stays in view while the rows scroll,
  // so after "Explore parameter" scrolls to its row the one button is there.
  return h("div", { class: "comfy-sweep-form" },
    h("div", { class: "comfy-sweep-sticky" },
      h("div", { class: "comfy-sweep-toolbar" },
        button("← Sweeps", cancelForm, { action: "back" }),
        button("Queue sweep", queueSweep, { action: "queue", primary: true, disabled: busy })),
      planBox(state)),
    refinedNote(form),
    settings(form),
    metricsEditor(form),
    h("div", { class: "comfy-sweep-actions" }, yamlButtons()),
    state.analysisWarnings.map((w) => h("div", { class: "comfy-sweep-warn" }, w)),
    groups);
}
