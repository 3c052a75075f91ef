import { test } from "node:test";
import assert from "node:assert/strict";
import { buildConfig, formFromAnalysis, formFromConfig, validateForm } from "../../web/lib/config.js";
import {
  addMetric, metricsConfig, metricsErrors, metricsFromConfig, removeMetric, renameMetric, setMetricType,
} from "../../web/lib/metricsForm.js";

const ANALYSIS = {
  params: [{ name: "strength", path: "nodes.2.inputs.strength", node_id: "2", class_type: "ImageAddNoise",
    input: "strength", value: 0.5, kind: "FLOAT", category: "other", enabled: true, bounds: { min: 0, max: 1 },
    suggestion: { type: "continuous", min: 0, max: 1 } }],
};

const form = (over = {}) => ({ ...formFromAnalysis(ANALYSIS), ...over });

test("added metrics get free names after their type and go into the config", () => {
  const f = form();
  addMetric(f, "sharpness");
  addMetric(f, "sharpness");
  const sim = addMetric(f, "similarity");
  sim.reference = " ref.png ";
  assert.deepEqual(f.metrics.map((r) => r.name), ["sharpness", "sharpness_2", "similarity"]);
  assert.deepEqual(buildConfig(f).metrics, {
    sharpness: { type: "sharpness" }, sharpness_2: { type: "sharpness" },
    similarity: { type: "similarity", reference: "ref.png" },
  });
  assert.equal(buildConfig(f).objective, undefined); // not adaptive: no objective
});

test("a form without metrics builds the config it built before", () => {
  const cfg = buildConfig(form());
  assert.equal("metrics" in cfg, false);
  assert.equal("objective" in cfg, false);
});

test("adaptive posts the objective: the chosen metric, else the first; goal only when chosen", () => {
  const f = form({ strategy: "adaptive" });
  addMetric(f, "noise");
  addMetric(f, "sharpness");
  assert.deepEqual(metricsConfig(f).objective, { metric: "noise" });
  f.objective = { metric: "sharpness", goal: "minimize" };
  assert.deepEqual(buildConfig(f).objective, { metric: "sharpness", goal: "minimize" });
  assert.equal(buildConfig(f).sampling_strategy, "adaptive");
  assert.equal(buildConfig(f).num_samples, 8);
});

test("adaptive without a metric, or over one with no direction, is named before any request", () => {
  const f = form({ strategy: "adaptive" });
  assert.deepEqual(validateForm(f).map((e) => e.field), ["objective"]);
  addMetric(f, "motion");
  assert.deepEqual(validateForm(f).map((e) => e.field), ["objective.goal"]);
  f.objective.goal = "maximize";
  assert.deepEqual(validateForm(f), []);
});

test("bad names, twins and a similarity without reference are slips", () => {
  const f = form();
  const a = addMetric(f, "sharpness");
  const b = addMetric(f, "similarity");
  a.name = "2fast";
  assert.match(metricsErrors(f)[0].message, /start with a letter/);
  a.name = "similarity";
  assert.deepEqual(metricsErrors(f).map((e) => e.message), ["metric similarity is named twice"]);
  a.name = "sharp";
  assert.deepEqual(metricsErrors(f).map((e) => e.field), ["metrics.similarity.reference"]);
  b.reference = "ref.png";
  assert.deepEqual(metricsErrors(f), []);
});

test("renaming and removing keep the objective honest; a type change renames a default name", () => {
  const f = form({ strategy: "adaptive" });
  const row = addMetric(f, "sharpness");
  f.objective = { metric: "sharpness", goal: "" };
  setMetricType(f, row, "contrast");
  assert.deepEqual([row.name, f.objective.metric], ["contrast", "contrast"]);
  renameMetric(f, row, "punch");
  setMetricType(f, row, "entropy");
  assert.deepEqual([row.name, f.objective.metric], ["punch", "punch"]); // a name the user chose stays
  removeMetric(f, 0);
  assert.deepEqual([f.metrics, f.objective.metric], [[], ""]);
});

test("imported metrics keep the keys the panel has no field for", () => {
  const cfg = { sampling_strategy: "adaptive", parameters: {},
    metrics: { like: { type: "similarity", reference: "r.png", measure: "psnr" }, sharpness: { type: "sharpness" } },
    objective: { metric: "score_like", goal: "maximize", sampler: "tpe" } };
  const f = formFromConfig(cfg, form());
  assert.deepEqual(f.objective, { metric: "like", goal: "maximize", sampler: "tpe" });
  assert.deepEqual(buildConfig(f).metrics.like, { type: "similarity", reference: "r.png", measure: "psnr" });
  assert.deepEqual(buildConfig(f).objective, { metric: "like", goal: "maximize", sampler: "tpe" });
  assert.deepEqual(metricsFromConfig({ metrics: ["noise"] }).metrics.map((r) => [r.name, r.type]), [["noise", "noise"]]);
  assert.deepEqual(metricsFromConfig({ objective: "sharp" }).objective, { metric: "sharp", goal: "" });
});

test("an exploration posts the chosen objective too; a sampled sweep never does", () => {
  const f = form({ strategy: "explore" });
  addMetric(f, "noise");
  addMetric(f, "sharpness");
  f.objective = { metric: "sharpness", goal: "" };
  assert.deepEqual(buildConfig(f).objective, { metric: "sharpness" });
  assert.deepEqual(validateForm(f), []); // optional: without metrics the person rates
  f.strategy = "sobol";
  assert.equal("objective" in buildConfig(f), false);
});
