// @ts-check
// The new-sweep form's scores: metric rows (name, built-in type, a
// similarity's reference) and, under adaptive and explore, the objective (DOM only;
// the data side is lib/metricsForm.js).
import { ADAPTIVE, BUILTIN_METRICS, usesObjective, GOALS, METRIC_TYPES, addMetric, objectiveMetric, removeMetric,
  renameMetric, setMetricType } from "../lib/metricsForm.js";
import { comfyFetchApi } from "../lib/api.js";
import { REFERENCE_ACCEPT, uploadReference } from "../lib/referenceUpload.js";
import { toastError } from "./comfy.js";
import { button, h } from "./dom.js";
import { formChanged, formEdited } from "./newSweepActions.js";

function select(options, value, onchange, attrs = {}) {
  return h("select", { class: "comfy-sweep-input", onchange: (e) => onchange(e.target.value), ...attrs },
    options.map(([v, label]) => h("option", { value: v, selected: v === value }, label)));
}

const pairs = (list) => list.map((v) => [v, v]);

function metricRow(form, row, index) {
  // A type outside the built-ins (an imported http/comfy scorer) is kept and listed.
  const types = METRIC_TYPES.includes(row.type) ? METRIC_TYPES : [...METRIC_TYPES, row.type];
  return h("div", { class: "comfy-sweep-metric", data: { metric: row.name } },
    h("div", { class: "comfy-sweep-metric-line" },
      h("input", { class: "comfy-sweep-input", value: row.name, title: "its column is score_<name>",
        "aria-label": "metric name", data: { field: "metric-name" },
        oninput: (e) => { renameMetric(form, row, e.target.value); formEdited(); } }),
      select(pairs(types), row.type, (v) => { setMetricType(form, row, v); formChanged(); },
        { "aria-label": "metric type", data: { field: "metric-type" } }),
      button("✕", () => { removeMetric(form, index); formChanged(); }, { action: "remove-metric", title: "remove" })),
    row.type === "similarity" && referenceLine(row));
}

// The reference: a file uploaded into ComfyUI's input folder ("comfy-sweep/x.png [input]",
// which posted configs may name), or a path the server reads only when its owner allows it.
function referenceLine(row) {
  const upload = async (e) => {
    const input = e.target;
    const file = input.files?.[0];
    if (!file) return;
    input.disabled = true;
    try {
      row.reference = await uploadReference(comfyFetchApi, file);
      formChanged(); // redraw: the field shows the uploaded name
    } catch (err) {
      toastError("Reference not uploaded", err);
    } finally {
      input.disabled = false;
      input.value = "";
    }
  };
  return h("div", { class: "comfy-sweep-metric-line" },
    h("input", { class: "comfy-sweep-input", value: row.reference,
      placeholder: "reference: upload… or a path", data: { field: "metric-reference" },
      title: "an uploaded file (comfy-sweep/<name> [input]) or, if the ComfyUI owner allows local paths, a path on its machine",
      oninput: (e) => { row.reference = e.target.value; formEdited(); } }),
    h("label", { class: "comfy-sweep-btn comfy-sweep-upload", title: "upload an image or video into ComfyUI's input folder" },
      "upload…",
      h("input", { type: "file", accept: REFERENCE_ACCEPT, hidden: true, "aria-label": "upload reference",
        data: { field: "metric-reference-file" }, onchange: upload })));
}

function objectiveRow(form) {
  form.objective ??= { metric: "", goal: "" };
  const obj = form.objective;
  const metric = objectiveMetric(form);
  const own = BUILTIN_METRICS[form.metrics.find((r) => r.name === metric)?.type ?? ""];
  return h("div", { class: "comfy-sweep-metric-line comfy-sweep-objective" },
    h("span", { class: "comfy-sweep-small" }, "optimise"),
    select(form.metrics.map((r) => [r.name, r.name]), metric, (v) => { obj.metric = v; formChanged(); },
      { "aria-label": "objective metric", data: { field: "objective-metric" } }),
    // Default: the metric's own direction; the other one overrides it.
    select(own ? [["", own], ...pairs(GOALS.filter((g) => g !== own))] : [["", "goal…"], ...pairs(GOALS)], obj.goal,
      (v) => { obj.goal = v; formChanged(); }, { "aria-label": "objective goal", data: { field: "objective-goal" } }));
}

export function metricsEditor(form) {
  form.metrics ??= [];
  const adaptive = form.strategy === ADAPTIVE;
  const hint = adaptive ? "adaptive proposes samples from a score: add the metric it optimises"
    : form.strategy === "explore" ? "optional: a score decides each phase's winners; without one you rate the runs"
    : "optional: a score for every run (the contact sheet sorts by it; Refine ranks by it)";
  return h("div", { class: "comfy-sweep-metrics" },
    h("div", { class: "comfy-sweep-metric-line" },
      h("span", { class: "comfy-sweep-metrics-title" }, `Scores (${form.metrics.length})`),
      button("+ metric", () => { addMetric(form); formChanged(); }, { action: "add-metric" })),
    form.metrics.length === 0 && h("div", { class: "comfy-sweep-muted comfy-sweep-small" }, hint),
    form.metrics.map((row, i) => metricRow(form, row, i)),
    usesObjective(form.strategy) && form.metrics.length > 0 && objectiveRow(form));
}
