import { test } from "node:test";
import assert from "node:assert/strict";
import { buildConfig, formFromAnalysis } from "../../web/lib/config.js";
import {
  canRefine, choiceLabel, rankable, refineBody, refineDefaults, refinedForm, refinedName, splitNotes,
} from "../../web/lib/refine.js";

const CHOICES = {
  choices: [
    { by: "score_sharp", runs: 8, goal: "maximize" },
    { by: "score_m", runs: 0, goal: null },
    { by: "rating", runs: 0, goal: "maximize" },
  ],
  default: "score_sharp",
  objective: null,
};

test("refine is offered on stopped sweeps with done runs only", () => {
  assert.equal(canRefine({ state: "done", done: 4 }), true);
  assert.equal(canRefine({ state: "cancelled", done: 1 }), true);
  assert.equal(canRefine({ state: "interrupted", done: 2 }), true);
  assert.equal(canRefine({ state: "running", done: 3 }), false);
  assert.equal(canRefine({ state: "cancelled", done: 0 }), false);
});

test("only choices with values are offered; the server's default is chosen", () => {
  assert.deepEqual(rankable(CHOICES).map((c) => c.by), ["score_sharp"]);
  assert.equal(choiceLabel(CHOICES.choices[0]), "score_sharp · 8 runs · maximize");
  assert.equal(choiceLabel({ by: "rating", runs: 1, goal: null }), "rating · 1 run");
  const box = refineDefaults("s1", CHOICES);
  assert.deepEqual([box.sweepId, box.by, box.top, box.production], ["s1", "score_sharp", "5", false]);
  assert.equal(refineDefaults("s1", { ...CHOICES, default: null }).by, "score_sharp");
  assert.equal(refineDefaults("s1", { choices: [], default: null }).by, "");
});

test("the POST body: by, top, production; goal only when chosen; a blank top is the server's default", () => {
  assert.deepEqual(refineBody({ by: "rating", top: "3", production: true, goal: "" }),
    { by: "rating", top: 3, production: true });
  assert.deepEqual(refineBody({ by: "score_m", top: " ", production: false, goal: "minimize" }),
    { by: "score_m", production: false, goal: "minimize" });
  assert.equal(Number.isNaN(refineBody({ by: "x", top: "abc" }).top), true); // the server names `top`
});

test("a refined config fills the form: narrowed ranges, kept metrics, a valid name", () => {
  const analysis = { params: [
    { name: "strength", path: "nodes.2.inputs.strength", node_id: "2", input: "strength", kind: "FLOAT",
      category: "other", enabled: true, suggestion: { type: "continuous", min: 0, max: 1 } },
    { name: "seed", path: "nodes.2.inputs.seed", node_id: "2", input: "seed", kind: "INT",
      category: "seed", enabled: true, suggestion: { type: "random_seed" } },
  ] };
  const refined = {
    config: { sampling_strategy: "sobol", num_samples: 8, seeds_per_sample: 1,
      parameters: { strength: { path: "nodes.2.inputs.strength", type: "continuous", min: 0.25, max: 0.5 } },
      metrics: { sharp: { type: "sharpness" } } },
    notes: ["next sweep refined by cr-refine from batch_1", "top 5 of 8 runs with score_sharp (maximize); best 3", "strength: 0–1 → 0.25–0.5"],
  };
  const form = refinedForm(formFromAnalysis(analysis), refined, { id: "batch_1", name: "noise/blur" });
  const cfg = buildConfig(form);
  assert.deepEqual(cfg.parameters, { strength: { path: "nodes.2.inputs.strength", type: "continuous", min: 0.25, max: 0.5 } });
  assert.deepEqual(cfg.metrics, { sharp: { type: "sharpness" } });
  assert.equal(form.name, "noise_blur refined");
  assert.deepEqual(form.refinedFrom.id, "batch_1");
  assert.deepEqual(splitNotes(form.refinedFrom.notes),
    { head: "top 5 of 8 runs with score_sharp (maximize); best 3", rest: ["strength: 0–1 → 0.25–0.5"] });
});

test("refined names stay within the 64 characters a sweep name may have", () => {
  assert.equal(refinedName("x".repeat(80)).length, 64);
  assert.equal(refinedName("", true), "sweep production");
});
