// @ts-check
// The new-sweep form's metrics (a score for every run) and objective (what
// sampling_strategy adaptive optimises), in the config shape cr-batch reads:
// `metrics: {name: {type, reference?}}`, `objective: {metric, goal?}`
// (docs/metrics.md; core/metrics/spec.py, core/config/objective.py).
// Pure (no ComfyUI imports).

/**
 * The built-in metric types and their own direction (core/metrics/catalog.py
 * BUILTIN; tests/unit/test_web_metrics.py fails when the two differ). null:
 * no direction, an objective over it must name its goal.
 * @type {Readonly<Record<string, "maximize" | "minimize" | null>>}
 */
export const BUILTIN_METRICS = Object.freeze({
  sharpness: "maximize", colorfulness: "maximize", exposure: "minimize", contrast: "maximize",
  entropy: "maximize", noise: "minimize", flicker: "minimize", motion: null,
  similarity: "maximize", diversity: "maximize",
});
export const METRIC_TYPES = Object.freeze(Object.keys(BUILTIN_METRICS));
export const GOALS = Object.freeze(["maximize", "minimize"]);
export const ADAPTIVE = "adaptive";
// Strategies an objective drives: adaptive needs one; an exploration's winners are
// decided by it (without metrics the person rates each phase).
const OBJECTIVE_STRATEGIES = new Set([ADAPTIVE, "explore"]);

/** @param {string} strategy */
export const usesObjective = (strategy) => OBJECTIVE_STRATEGIES.has(strategy);
const NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/; // it becomes the column score_<name>

/** @typedef {{name: string, type: string, reference: string, body?: Record<string, unknown>}} MetricRow */
/** @typedef {{metric: string, goal: string, sampler?: string}} ObjectiveRow goal "" = the metric's own; sampler: an imported one (gp by default) */

/** A new form's score fields: no metric, no objective. */
export const emptyMetrics = () => ({ metrics: [], objective: { metric: "", goal: "" } });

/** @param {MetricRow[]} rows @param {string} type */
function freeName(rows, type) {
  const taken = new Set(rows.map((r) => r.name));
  let name = type;
  for (let n = 2; taken.has(name); n += 1) name = `${type}_${n}`;
  return name;
}

/** A new row named after its type (sharpness, sharpness_2, …). @param {{metrics?: MetricRow[]}} form */
export function addMetric(form, type = METRIC_TYPES[0]) {
  const rows = form.metrics ?? [];
  const row = { name: freeName(rows, type), type, reference: "" };
  form.metrics = [...rows, row];
  return row;
}

/** @param {{metrics?: MetricRow[], objective?: ObjectiveRow}} form @param {number} index */
export function removeMetric(form, index) {
  const [gone] = (form.metrics ?? []).splice(index, 1);
  if (gone && form.objective?.metric === gone.name) form.objective.metric = "";
}

// A type chosen in the row's select: a name still equal to its old type
// follows it, so "sharpness" becomes "noise" rather than a misleading name.
/** @param {{metrics?: MetricRow[]}} form @param {MetricRow} row @param {string} type */
export function setMetricType(form, row, type) {
  const others = (form.metrics ?? []).filter((r) => r !== row);
  if (row.name === row.type || row.name.startsWith(`${row.type}_`)) renameMetric(form, row, freeName(others, type));
  row.type = type;
}

/** The objective's metric, or the first metric when it names none (the form's select shows that one). */
export function objectiveMetric(form) {
  const names = (form.metrics ?? []).map((r) => r.name);
  const chosen = form.objective?.metric ?? "";
  return names.includes(chosen) ? chosen : names[0] ?? "";
}

/** @param {MetricRow} row */
function metricBody(row) {
  /** @type {Record<string, unknown>} */
  const body = { ...(row.body ?? {}), type: row.type };
  if (row.type === "similarity") body.reference = row.reference.trim();
  else delete body.reference;
  return body;
}

/** The config's metrics:/objective: keys (none when the form has no metric). */
export function metricsConfig(form) {
  const rows = form.metrics ?? [];
  /** @type {Record<string, unknown>} */
  const out = {};
  if (rows.length) out.metrics = Object.fromEntries(rows.map((r) => [r.name.trim(), metricBody(r)]));
  const metric = objectiveMetric(form);
  if (usesObjective(form.strategy) && metric) {
    const { goal = "", sampler = "" } = form.objective ?? {};
    out.objective = { metric, ...(goal ? { goal } : {}), ...(sampler ? { sampler } : {}) };
  }
  return out;
}

/** @param {MetricRow} r @param {Set<string>} seen */
function rowErrors(r, seen) {
  const field = `metrics.${r.name}`;
  if (!NAME.test(r.name.trim())) {
    return [{ field, message: `metric name '${r.name}': start with a letter; letters, digits and _ only` }];
  }
  if (seen.has(r.name.trim())) return [{ field, message: `metric ${r.name} is named twice` }];
  seen.add(r.name.trim());
  if (r.type === "similarity" && !r.reference.trim()) {
    return [{ field: `${field}.reference`, message: `metric ${r.name}: give the reference image each run is compared with` }];
  }
  return [];
}

function objectiveErrors(form) {
  const metric = objectiveMetric(form);
  if (!metric) return [{ field: "objective", message: "adaptive needs a metric to optimise: add one under metrics" }];
  const row = (form.metrics ?? []).find((r) => r.name === metric);
  const own = row ? BUILTIN_METRICS[row.type] : "maximize";
  if (!form.objective?.goal && own === null) {
    return [{ field: "objective.goal", message: `${metric} (${row?.type}) has no direction: choose maximize or minimize` }];
  }
  return [];
}

/** Slips caught before a request (the server stays the judge). */
export function metricsErrors(form) {
  const seen = new Set();
  const errors = (form.metrics ?? []).flatMap((r) => rowErrors(r, seen));
  if (form.strategy === ADAPTIVE) errors.push(...objectiveErrors(form));
  return errors;
}

/** @param {unknown} raw config.metrics: a mapping, or a list of type names */
function metricEntries(raw) {
  if (Array.isArray(raw)) return raw.map((t) => [String(t), { type: String(t) }]);
  return Object.entries(raw && typeof raw === "object" ? raw : {});
}

/**
 * A config's metrics:/objective: (imported YAML, a refined config) as form
 * fields. Keys the panel has no field for (measure, frames, an http scorer's
 * url) ride along in `body` and go back out unchanged.
 */
export function metricsFromConfig(config) {
  const metrics = metricEntries(config?.metrics).map(([name, body]) => {
    const b = body && typeof body === "object" ? { ...body } : {};
    return { name, type: String(b.type ?? name), reference: String(b.reference ?? ""), body: b };
  });
  const obj = config?.objective;
  /** @type {ObjectiveRow} */
  const objective = typeof obj === "string" ? { metric: obj, goal: "" }
    : { metric: String(obj?.metric ?? ""), goal: String(obj?.goal ?? "") };
  if (obj?.sampler) objective.sampler = String(obj.sampler); // no field: the server's gp unless imported
  objective.metric = objective.metric.replace(/^score_/, "");
  return { metrics, objective };
}

/** A renamed metric stays the objective when it was. @param {MetricRow} row @param {string} name */
export function renameMetric(form, row, name) {
  if (form.objective?.metric === row.name) form.objective.metric = name;
  row.name = name;
}
