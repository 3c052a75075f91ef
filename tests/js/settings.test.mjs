import { test } from "node:test";
import assert from "node:assert/strict";
import { SETTINGS, SETTING_IDS, formDefaults, toastsEnabled } from "../../web/lib/settings.js";
import { FORM_DEFAULTS, STRATEGIES, buildConfig, formFromAnalysis, formFromConfig, validateForm } from "../../web/lib/config.js";
import { sweepableWidgets } from "../../web/lib/widgets.js";

const reader = (values) => (id) => values[id];

test("settings are namespaced, in the comfy-sweep category, with unique ids", () => {
  const ids = SETTINGS.map((s) => s.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const s of SETTINGS) {
    assert.match(s.id, /^comfy-sweep\.[A-Z]\w+$/);
    assert.equal(s.category[0], "comfy-sweep");
  }
  assert.deepEqual(SETTINGS.find((s) => s.id === SETTING_IDS.strategy).options, STRATEGIES);
});

test("the form starts from the user's settings", () => {
  const get = reader({ [SETTING_IDS.strategy]: "grid", [SETTING_IDS.numSamples]: 32,
    [SETTING_IDS.seedsPerSample]: 2, [SETTING_IDS.queueWindow]: 5 });
  const form = formFromAnalysis({ params: [] }, { defaults: formDefaults(get) });
  assert.deepEqual([form.strategy, form.numSamples, form.seedsPerSample, form.queueWindow], ["grid", 32, 2, 5]);
  assert.deepEqual(buildConfig(form).comfyui, { queue_window: 5 });
});

test("unset, unknown or out-of-range settings fall back to the defaults", () => {
  assert.deepEqual(formDefaults(reader({})), { ...FORM_DEFAULTS });
  const bad = reader({ [SETTING_IDS.strategy]: "bogus", [SETTING_IDS.numSamples]: 0,
    [SETTING_IDS.seedsPerSample]: 1.5, [SETTING_IDS.queueWindow]: 99 });
  assert.deepEqual(formDefaults(bad), { ...FORM_DEFAULTS });
  const throwing = () => { throw new Error("no setting store"); };
  assert.deepEqual(formDefaults(throwing), { ...FORM_DEFAULTS });
});

test("notifications are on unless turned off", () => {
  assert.equal(toastsEnabled(reader({})), true);
  assert.equal(toastsEnabled(reader({ [SETTING_IDS.toasts]: false })), false);
});

test("queue window: validated 1..16, round-trips through an imported config", () => {
  const form = formFromAnalysis({ params: [{ name: "cfg", path: "nodes.3.inputs.cfg", node_id: 3, input: "cfg", kind: "FLOAT",
    enabled: true, suggestion: { type: "continuous", min: 1, max: 2 } }] });
  form.queueWindow = 17;
  assert.deepEqual(validateForm(form).map((e) => e.field), ["comfyui.queue_window"]);
  const imported = formFromConfig({ parameters: {}, comfyui: { queue_window: 4 } }, form);
  assert.equal(imported.queueWindow, 4);
});

test("exploring selected nodes enables each one's sweepable widgets and the seeds", () => {
  const analysis = { params: [
    { name: "seed", path: "nodes.2.inputs.seed", node_id: 2, input: "seed", suggestion: { type: "random_seed" } },
    { name: "cfg", path: "nodes.3.inputs.cfg", node_id: 3, input: "cfg", suggestion: { type: "continuous", min: 1, max: 9 } },
    { name: "steps", path: "nodes.3.inputs.steps", node_id: 3, input: "steps", suggestion: { type: "linear", min: 1, max: 9, step: 1 } },
    { name: "denoise", path: "nodes.4.inputs.denoise", node_id: 4, input: "denoise", enabled: true, suggestion: { type: "continuous" } },
  ] };
  const node = { id: 3, widgets: [{ name: "cfg", type: "number" }, { name: "steps", type: "number" }, { name: "note", type: "text" }] };
  const focus = [{ nodeId: "3", inputs: sweepableWidgets(node).map((w) => w.name) }];
  const form = formFromAnalysis(analysis, { focus });
  assert.deepEqual(form.rows.filter((r) => r.enabled).map((r) => r.name), ["seed", "cfg", "steps"]);
  assert.deepEqual(form.rows.filter((r) => r.focused).map((r) => r.name), ["cfg", "steps"]);
});
