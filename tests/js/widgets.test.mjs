import { test } from "node:test";
import assert from "node:assert/strict";
import { sweepableWidgets } from "../../web/lib/widgets.js";
import { formFromAnalysis } from "../../web/lib/config.js";

const w = (name, type = "number", extra = {}) => ({ name, type, options: {}, ...extra });
const names = (node) => sweepableWidgets(node).map((x) => x.name);

test("numeric and combo widgets are offered; companions, strings and linked inputs are not", () => {
  const node = {
    type: "KSampler",
    widgets: [w("seed"), w("control_after_generate", "combo"), w("cfg", "slider"), w("sampler_name", "combo"),
      w("text", "customtext"), w("denoise", "knob"), w("hidden", "number", { options: { serialize: false } })],
    inputs: [{ name: "denoise", widget: { name: "denoise" }, link: 7 }],
  };
  assert.deepEqual(names(node), ["seed", "cfg", "sampler_name"]);
});

// QA: "Explore parameter ▸ min" on a Sweep Float Range made a sweep of
// identical outputs (min/max/step describe the axis, only value is used).
test("an axis node offers only its axis input", () => {
  const range = (type) => ({ type, widgets: [w("value"), w("min"), w("max"), w("step")] });
  assert.deepEqual(names(range("SweepFloatRange")), ["value"]);
  assert.deepEqual(names({ comfyClass: "SweepIntRange", type: "Sweep Int Range", widgets: range("x").widgets }), ["value"]);
  assert.deepEqual(names({ type: "SweepValues", widgets: [w("values", "customtext"), w("index")] }), ["index"]);
  assert.deepEqual(names({ type: "SweepSeed", widgets: [w("seed"), w("control_after_generate", "combo")] }), ["seed"]);
  assert.deepEqual(names({ type: "SweepLabel", widgets: [w("text", "customtext"), w("font_size"), w("position", "combo")] }), ["font_size", "position"]);
});

test("the form has no rows for an axis node's axis settings", () => {
  const p = (input, over = {}) => ({ name: input, path: `nodes.5.inputs.${input}`, node_id: "5", class_type: "SweepFloatRange",
    input, kind: "FLOAT", category: "other", value: 1, suggestion: { type: "continuous", min: 0, max: 1 }, ...over });
  const analysis = { params: [p("value"), p("min"), p("max"), p("step"), p("cfg", { class_type: "KSampler", node_id: "3", path: "nodes.3.inputs.cfg" })] };
  assert.deepEqual(formFromAnalysis(analysis).rows.map((r) => r.paths[0]), ["nodes.5.inputs.value", "nodes.3.inputs.cfg"]);
});
