// @ts-check
// Pure helpers of the Sweep panel: analyzer rows -> editable form -> sweep
// config (the cr-batch format), and back from an imported config. No imports
// of ComfyUI here so `node --test tests/js/` can load this module.

import { isReservedColumn } from "./columns.js";
import { emptyMetrics, metricsConfig, metricsErrors, metricsFromConfig } from "./metricsForm.js";

export const STRATEGIES = ["sobol", "lhs", "grid", "random", "linear"];
export const TYPES = ["continuous", "linear", "values", "random_seed"];
export const CATEGORY_ORDER = ["seed", "sampling", "model", "resolution", "other", "prompt", "file"];

// The new-sweep form's defaults when the user set none (the comfy-sweep
// settings in ComfyUI's settings dialog override them: lib/settings.js).
/** @type {Readonly<{strategy: string, numSamples: number, seedsPerSample: number, queueWindow: number}>} */
export const FORM_DEFAULTS = Object.freeze({ strategy: "sobol", numSamples: 8, seedsPerSample: 1, queueWindow: 3 });
export const MAX_SAMPLES = 1_000_000; // the server's cap (docs/config.md)
export const MAX_QUEUE_WINDOW = 16; // the server's cap (docs/routes.md)

// Axis nodes (nodes/axes.py): which input the sweep sets and how its widgets
// describe the axis. The panel reads them from the API prompt.
const AXIS_NODES = {
  SweepFloatRange: (i) => (i.step > 0
    ? { input: "value", entry: { type: "linear", min: i.min, max: i.max, step: i.step } }
    : { input: "value", entry: { type: "continuous", min: i.min, max: i.max } }),
  SweepIntRange: (i) => ({ input: "value", entry: { type: "linear", min: i.min, max: i.max, step: i.step } }),
  SweepValues: (i) => ({ input: "index", entry: { type: "values", values: splitValues(i.values).map((_, n) => n) } }),
  SweepSeed: () => ({ input: "seed", entry: { type: "random_seed" } }),
};

// The input of each axis node that the sweep sets (the others describe the axis).
export const AXIS_INPUTS = Object.fromEntries(Object.entries(AXIS_NODES).map(([cls, axis]) => [cls, axis({}).input]));

export function splitValues(text) {
  const s = String(text ?? "");
  const sep = s.trim().includes("\n") ? "\n" : ",";
  return s.split(sep).map((v) => v.trim()).filter((v) => v !== "");
}

// "a, 2, 3.5" -> ["a", 2, 3.5] for numeric kinds; strings stay strings for COMBO/STRING.
export function parseValuesText(text, kind) {
  const numeric = kind === "INT" || kind === "FLOAT";
  return splitValues(text).map((v) => {
    if (kind === "BOOLEAN") return v === "true";
    const n = Number(v);
    return numeric && v !== "" && Number.isFinite(n) ? n : v;
  });
}

export function valuesToText(values) {
  return (values ?? []).map((v) => String(v)).join(", ");
}

function rowFromParam(p) {
  const s = p.suggestion ?? {};
  return {
    name: p.name, paths: [p.path], nodeId: String(p.node_id), input: p.input,
    title: p.title ?? p.class_type, classType: p.class_type, kind: p.kind,
    category: p.category ?? "other", value: p.value, reason: p.reason ?? "",
    warnings: p.warnings ?? [], bounds: p.bounds ?? {}, enabled: Boolean(p.enabled),
    type: s.type ?? "values", min: s.min ?? null, max: s.max ?? null, step: s.step ?? null,
    valuesText: valuesToText(s.values ?? (s.type === "values" ? [p.value] : [])),
  };
}

// focus = {nodeId, input}, {nodeId, inputs: [...]} or a list of these: only
// those parameters and the seeds start enabled, so "Explore parameter" + one
// click queues exactly what the user asked for. defaults: lib/settings.js.
export function formFromAnalysis(analysis, { focus = null, prompt = null, defaults = FORM_DEFAULTS } = {}) {
  let rows = (analysis?.params ?? []).filter((p) => !isAxisSetting(p)).map(rowFromParam);
  if (prompt) rows = applyAxisNodes(rows, prompt);
  if (focus) {
    const targets = (Array.isArray(focus) ? focus : [focus]).map((f) => [String(f.nodeId), f.inputs ?? [f.input]]);
    for (const r of rows) {
      const hit = targets.some(([nodeId, inputs]) => r.nodeId === nodeId && inputs.includes(r.input));
      r.enabled = hit || r.type === "random_seed";
      if (hit) r.focused = true;
    }
  }
  return { rows, ...FORM_DEFAULTS, ...defaults, name: "", ...emptyMetrics() };
}

// An axis node's min/max/step/values widgets describe its axis and change no
// output: not parameters worth a row of their own.
function isAxisSetting(p) {
  const axis = AXIS_INPUTS[p.class_type];
  return axis !== undefined && p.input !== axis;
}

export function applyAxisNodes(rows, prompt) {
  for (const [id, node] of Object.entries(prompt ?? {})) {
    const axis = AXIS_NODES[node?.class_type];
    if (!axis) continue;
    const { input, entry } = axis(node.inputs ?? {});
    const row = rows.find((r) => r.nodeId === id && r.input === input);
    if (!row) continue;
    Object.assign(row, { enabled: true, type: entry.type, min: entry.min ?? null,
      max: entry.max ?? null, step: entry.step ?? null, valuesText: valuesToText(entry.values),
      reason: `axis node ${node.class_type}` });
  }
  return rows;
}

export function groupRows(rows) {
  const groups = new Map(CATEGORY_ORDER.map((c) => [c, []]));
  for (const r of rows) {
    if (!groups.has(r.category)) groups.set(r.category, []);
    groups.get(r.category).push(r);
  }
  return [...groups].filter(([, list]) => list.length > 0);
}

function entryFromRow(r) {
  const entry = r.paths.length === 1 ? { path: r.paths[0] } : { paths: [...r.paths] };
  entry.type = r.type;
  if (r.type === "continuous" || r.type === "linear") {
    entry.min = Number(r.min);
    entry.max = Number(r.max);
    if (r.type === "linear" || (r.step !== null && r.step !== "" && Number(r.step) > 0)) entry.step = Number(r.step);
  } else if (r.type === "values") {
    entry.values = parseValuesText(r.valuesText, r.kind);
  }
  return entry;
}

// The config object POSTed to /comfy-sweep/plan and /comfy-sweep/sweeps.
export function buildConfig(form) {
  const parameters = {};
  for (const r of form.rows) if (r.enabled) parameters[r.name] = entryFromRow(r);
  const samples = Number(form.numSamples);
  // grid/linear ignore num_samples: a blank field there must not block them.
  const keepSamples = usesSamples(form.strategy) || (Number.isInteger(samples) && samples >= 1);
  return {
    sampling_strategy: form.strategy,
    ...(keepSamples ? { num_samples: samples } : {}),
    seeds_per_sample: Number(form.seedsPerSample),
    parameters,
    comfyui: { queue_window: Number(form.queueWindow ?? FORM_DEFAULTS.queueWindow) },
    ...metricsConfig(form),
  };
}

// Client-side checks so obvious slips show before a round trip (and without
// a failed request in the console); the server remains the judge (its
// envelope's `field` is shown next to the row). Bounds are the analyzer's,
// which come from the same object_info the server validates against.

function boundErrors(r, value, field) {
  const b = r.bounds ?? {};
  if (b.min != null && value < b.min) return [{ field, message: `${r.name}: ${value} is below the minimum ${b.min}` }];
  if (b.max != null && value > b.max) return [{ field, message: `${r.name}: ${value} is above the maximum ${b.max}` }];
  return [];
}

function rangeErrors(r, f) {
  const [lo, hi] = [Number(r.min), Number(r.max)];
  const blank = (v) => v === null || v === undefined || String(v).trim() === "";
  if (blank(r.min) || !Number.isFinite(lo)) return [{ field: `${f}.min`, message: `${r.name}: min is not a number` }];
  if (blank(r.max) || !Number.isFinite(hi)) return [{ field: `${f}.max`, message: `${r.name}: max is not a number` }];
  if (lo > hi) return [{ field: `${f}.min`, message: `${r.name}: min ${lo} is above max ${hi}` }];
  const errors = [...boundErrors(r, lo, `${f}.min`), ...boundErrors(r, hi, `${f}.max`)];
  if (r.type === "linear" && !(Number(r.step) > 0)) errors.push({ field: `${f}.step`, message: `${r.name}: step must be above 0` });
  return errors;
}

function valuesErrors(r, f) {
  const values = parseValuesText(r.valuesText, r.kind);
  if (values.length === 0) return [{ field: `${f}.values`, message: `${r.name}: list at least one value` }];
  if (r.kind !== "INT" && r.kind !== "FLOAT") return [];
  for (const [i, v] of values.entries()) {
    const field = `${f}.values.${i}`;
    if (typeof v !== "number") return [{ field, message: `${r.name}: '${v}' is not a number` }];
    if (r.kind === "INT" && !Number.isInteger(v)) return [{ field, message: `${r.name}: ${v} is not a whole number` }];
    const out = boundErrors(r, v, field);
    if (out.length) return out;
  }
  return [];
}

function countError(value, field, label, max = MAX_SAMPLES) {
  const n = Number(value);
  if (String(value ?? "").trim() === "" || !Number.isInteger(n) || n < 1) return [{ field, message: `${label} must be a whole number, at least 1` }];
  if (n > max) return [{ field, message: `${label} must be at most ${max}` }];
  return [];
}

export function validateForm(form) {
  const errors = [];
  const enabled = form.rows.filter((r) => r.enabled);
  if (enabled.length === 0) errors.push({ field: "parameters", message: "enable at least one parameter" });
  for (const r of enabled) {
    const f = `parameters.${r.name}`;
    if (isReservedColumn(r.name)) {
      errors.push({ field: f, message: `${r.name}: a column of metadata.csv has this name; rename the parameter` });
      continue;
    }
    if (r.type === "continuous" && !usesSamples(form.strategy) && !(Number(r.step) > 0)) {
      errors.push({ field: `${f}.step`, message: `${r.name}: ${form.strategy} takes every combination: give a step (or type linear/values)` });
    }
    if (r.type === "continuous" || r.type === "linear") errors.push(...rangeErrors(r, f));
    else if (r.type === "values") errors.push(...valuesErrors(r, f));
  }
  if (usesSamples(form.strategy)) errors.push(...countError(form.numSamples, "num_samples", "number of samples"));
  errors.push(...countError(form.seedsPerSample, "seeds_per_sample", "seeds per sample"));
  errors.push(...countError(form.queueWindow, "comfyui.queue_window", "queue window", MAX_QUEUE_WINDOW));
  errors.push(...metricsErrors(form));
  return errors;
}

// grid and linear take every combination; num_samples is ignored there.
export function usesSamples(strategy) {
  return strategy !== "grid" && strategy !== "linear";
}

// Imported YAML (already parsed by the server) -> form. Rows are matched by
// path; a path the graph does not have becomes a row the server will reject
// with a message naming it, rather than being dropped silently.
export function formFromConfig(config, form) {
  const rows = form.rows.map((r) => ({ ...r, enabled: false }));
  for (const [name, spec] of Object.entries(config.parameters ?? {})) {
    const paths = spec.paths ?? (spec.path ? [spec.path] : []);
    let row = rows.find((r) => paths.includes(r.paths[0]));
    if (!row) {
      row = { ...rowFromParam({ name, path: paths[0] ?? "", node_id: "", input: "", kind: "", category: "other", suggestion: {} }) };
      rows.push(row);
    }
    Object.assign(row, { name, paths, enabled: true, type: spec.type ?? "values", min: spec.min ?? null,
      max: spec.max ?? null, step: spec.step ?? null, valuesText: valuesToText(spec.values) });
  }
  return {
    ...form, rows,
    strategy: config.sampling_strategy ?? form.strategy,
    numSamples: config.num_samples ?? form.numSamples,
    seedsPerSample: config.seeds_per_sample ?? form.seedsPerSample,
    queueWindow: config.comfyui?.queue_window ?? form.queueWindow,
    ...metricsFromConfig(config),
  };
}

// Linked inputs: the row's value also goes to these paths (config `paths`).
export function setLinkedPaths(row, extraText) {
  const extra = splitValues(extraText).filter((p) => p !== row.paths[0]);
  row.paths = [row.paths[0], ...extra];
  return row;
}

// Placeholder of the "also set" field: a real path of another parameter with
// the same input name (the usual link: two samplers' cfg), else a neutral hint.
export function linkedPathHint(row, rows) {
  const twin = rows.find((r) => r !== row && r.input === row.input && r.paths[0] && r.paths[0] !== row.paths[0]);
  return twin ? twin.paths[0] : `nodes.<id>.inputs.${row.input || "<input>"}`;
}
