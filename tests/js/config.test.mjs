import { test } from "node:test";
import assert from "node:assert/strict";
import {
  buildConfig, formFromAnalysis, formFromConfig, groupRows, parseValuesText,
  setLinkedPaths, splitValues, validateForm,
} from "../../web/lib/config.js";

const param = (over) => ({
  name: "cfg", path: "nodes.3.inputs.cfg", node_id: "3", class_type: "KSampler", title: "KSampler",
  input: "cfg", value: 7, kind: "FLOAT", category: "sampling", enabled: true, reason: "",
  warnings: [], bounds: { min: 0, max: 100 }, suggestion: { type: "continuous", min: 4, max: 10 }, ...over,
});

const ANALYSIS = {
  params: [
    param({}),
    param({ name: "seed", path: "nodes.3.inputs.seed", input: "seed", kind: "INT", category: "seed", suggestion: { type: "random_seed" } }),
    param({ name: "steps", path: "nodes.3.inputs.steps", input: "steps", kind: "INT", suggestion: { type: "linear", min: 10, max: 30, step: 10 } }),
    param({ name: "sampler_name", path: "nodes.3.inputs.sampler_name", input: "sampler_name", kind: "COMBO", enabled: false, suggestion: { type: "values", values: ["euler", "uni_pc"] } }),
    param({ name: "blur_radius", path: "nodes.9.inputs.blur_radius", node_id: "9", input: "blur_radius", kind: "INT", category: "other", enabled: false, suggestion: { type: "linear", min: 1, max: 5, step: 2 } }),
  ],
};

test("buildConfig keeps only enabled rows in the cr-batch shape", () => {
  const form = formFromAnalysis(ANALYSIS);
  form.strategy = "grid";
  form.seedsPerSample = "2";
  const cfg = buildConfig(form);
  assert.deepEqual(Object.keys(cfg.parameters), ["cfg", "seed", "steps"]);
  assert.deepEqual(cfg.parameters.cfg, { path: "nodes.3.inputs.cfg", type: "continuous", min: 4, max: 10 });
  assert.deepEqual(cfg.parameters.steps, { path: "nodes.3.inputs.steps", type: "linear", min: 10, max: 30, step: 10 });
  assert.deepEqual(cfg.parameters.seed, { path: "nodes.3.inputs.seed", type: "random_seed" });
  assert.equal(cfg.sampling_strategy, "grid");
  assert.equal(cfg.seeds_per_sample, 2);
});

test("focus enables only the chosen parameter and the seeds", () => {
  const form = formFromAnalysis(ANALYSIS, { focus: { nodeId: 9, input: "blur_radius" } });
  const on = form.rows.filter((r) => r.enabled).map((r) => r.name);
  assert.deepEqual(on, ["seed", "blur_radius"]);
  assert.ok(form.rows.find((r) => r.name === "blur_radius").focused);
});

test("values rows parse numbers only for numeric kinds", () => {
  assert.deepEqual(parseValuesText("1, 2.5, x", "FLOAT"), [1, 2.5, "x"]);
  assert.deepEqual(parseValuesText("1, euler", "COMBO"), ["1", "euler"]);
  assert.deepEqual(parseValuesText("true,false", "BOOLEAN"), [true, false]);
  assert.deepEqual(splitValues("a, b\nc"), ["a, b", "c"]);
  const form = formFromAnalysis(ANALYSIS);
  form.rows[3].enabled = true;
  assert.deepEqual(buildConfig(form).parameters.sampler_name.values, ["euler", "uni_pc"]);
});

test("linked inputs become `paths`", () => {
  const form = formFromAnalysis(ANALYSIS);
  setLinkedPaths(form.rows[0], "nodes.7.inputs.cfg, nodes.3.inputs.cfg");
  assert.deepEqual(buildConfig(form).parameters.cfg.paths, ["nodes.3.inputs.cfg", "nodes.7.inputs.cfg"]);
  assert.equal(buildConfig(form).parameters.cfg.path, undefined);
});

test("validateForm names the field of each slip", () => {
  const form = formFromAnalysis(ANALYSIS);
  form.rows[0].min = 12; // above max 10
  form.rows[2].step = 0;
  form.numSamples = 0;
  const fields = validateForm(form).map((e) => e.field);
  assert.deepEqual(fields, ["parameters.cfg.min", "parameters.steps.step", "num_samples"]);
  const none = formFromAnalysis(ANALYSIS);
  none.rows.forEach((r) => { r.enabled = false; });
  assert.equal(validateForm(none)[0].field, "parameters");
  assert.deepEqual(validateForm(formFromAnalysis(ANALYSIS)), []);
});

test("axis nodes in the prompt prefill and enable their rows", () => {
  const analysis = { params: [
    param({ name: "value", path: "nodes.5.inputs.value", node_id: "5", input: "value", enabled: false, category: "other" }),
    param({ name: "index", path: "nodes.6.inputs.index", node_id: "6", input: "index", kind: "INT", enabled: false, category: "other" }),
  ] };
  const prompt = {
    5: { class_type: "SweepFloatRange", inputs: { value: 1, min: 0.5, max: 2, step: 0.5 } },
    6: { class_type: "SweepValues", inputs: { values: "euler, dpmpp_2m, uni_pc", index: 0 } },
  };
  const cfg = buildConfig(formFromAnalysis(analysis, { prompt }));
  assert.deepEqual(cfg.parameters.value, { path: "nodes.5.inputs.value", type: "linear", min: 0.5, max: 2, step: 0.5 });
  assert.deepEqual(cfg.parameters.index.values, [0, 1, 2]);
});

test("an imported config round-trips through the form", () => {
  const imported = {
    sampling_strategy: "lhs", num_samples: 32, seeds_per_sample: 3,
    parameters: {
      guidance: { path: "nodes.3.inputs.cfg", type: "linear", min: 5, max: 9, step: 2 },
      ghost: { path: "nodes.99.inputs.x", type: "values", values: [1, 2] },
    },
  };
  const form = formFromConfig(imported, formFromAnalysis(ANALYSIS));
  const cfg = buildConfig(form);
  assert.equal(cfg.sampling_strategy, "lhs");
  assert.equal(cfg.num_samples, 32);
  assert.deepEqual(cfg.parameters, {
    guidance: { path: "nodes.3.inputs.cfg", type: "linear", min: 5, max: 9, step: 2 },
    ghost: { path: "nodes.99.inputs.x", type: "values", values: ["1", "2"] },
  });
});

test("groupRows orders categories seed, sampling, ... and drops empty ones", () => {
  const groups = groupRows(formFromAnalysis(ANALYSIS).rows);
  assert.deepEqual(groups.map(([c]) => c), ["seed", "sampling", "other"]);
  assert.equal(groups[1][1].length, 3);
});

// QA: slips the server used to catch (one failed request per keystroke in the
// console) are now named in the form before any request.
test("validateForm checks values against the kind and the analyzer's bounds", () => {
  const form = formFromAnalysis(ANALYSIS);
  const cfg = form.rows.find((r) => r.name === "cfg"); // FLOAT, bounds 0..100
  cfg.type = "values";
  const steps = form.rows.find((r) => r.name === "steps"); // INT
  const messages = (text, row = cfg) => { row.valuesText = text; return validateForm(form).map((e) => e.message); };
  assert.deepEqual(messages("1, abc"), ["cfg: 'abc' is not a number"]);
  assert.deepEqual(messages("1, -5"), ["cfg: -5 is below the minimum 0"]);
  assert.deepEqual(messages("1, 1e9"), ["cfg: 1000000000 is above the maximum 100"]);
  assert.equal(validateForm(form)[0].field, "parameters.cfg.values.1");
  cfg.valuesText = "1, 7.5";
  steps.type = "values";
  assert.deepEqual(messages("10, 2.5", steps), ["steps: 2.5 is not a whole number"]);
  steps.valuesText = "10, 20";
  assert.deepEqual(validateForm(form), []);
});

test("validateForm checks min and max against the bounds", () => {
  const form = formFromAnalysis(ANALYSIS);
  const cfg = form.rows.find((r) => r.name === "cfg");
  cfg.min = -3;
  assert.deepEqual(validateForm(form).map((e) => [e.field, e.message]), [["parameters.cfg.min", "cfg: -3 is below the minimum 0"]]);
  cfg.min = 1;
  cfg.max = 500;
  assert.deepEqual(validateForm(form).map((e) => e.field), ["parameters.cfg.max"]);
  cfg.max = "  ";
  assert.deepEqual(validateForm(form).map((e) => e.message), ["cfg: max is not a number"]);
});

test("samples must be a whole number for sampling strategies; grid and linear ignore the field", () => {
  const form = formFromAnalysis(ANALYSIS);
  for (const bad of ["2.5", "", "0", "-1", "2000000"]) {
    form.numSamples = bad;
    assert.deepEqual(validateForm(form).map((e) => e.field), ["num_samples"], `samples ${JSON.stringify(bad)}`);
  }
  form.strategy = "grid";
  form.rows[0].step = "2"; // grid needs a step on the continuous cfg row
  form.numSamples = "";
  assert.deepEqual(validateForm(form), []);
  assert.equal("num_samples" in buildConfig(form), false);
  form.numSamples = "4";
  assert.equal(buildConfig(form).num_samples, 4);
  form.seedsPerSample = "1.5";
  assert.deepEqual(validateForm(form).map((e) => e.field), ["seeds_per_sample"]);
});

test("grid and linear need a step on continuous rows", () => {
  const form = formFromAnalysis(ANALYSIS); // cfg: continuous 4..10, no step
  assert.deepEqual(validateForm(form), []);
  form.strategy = "linear";
  assert.deepEqual(validateForm(form).map((e) => e.field), ["parameters.cfg.step"]);
  form.rows[0].step = "2";
  assert.deepEqual(validateForm(form), []);
});

test("a parameter named like a metadata.csv column is refused in the form", async () => {
  const { validateForm } = await import("../../web/lib/config.js");
  const row = { name: "status", enabled: true, type: "values", values: "1, 2", kind: "INT", paths: ["nodes.1.inputs.status"] };
  const errors = validateForm({ rows: [row], strategy: "grid", numSamples: 4, seedsPerSample: 1, queueWindow: 3 });
  const mine = errors.filter((e) => e.field === "parameters.status");
  assert.equal(mine.length, 1);
  assert.match(mine[0].message, /column of metadata\.csv/);
});
