import { test } from "node:test";
import assert from "node:assert/strict";
import { EXPLORE, FORM_STRATEGIES, explorePlan, isExplore, makeExploreClient, reportRoute, stepsLine } from "../../web/lib/explore.js";
import { STRATEGIES } from "../../web/lib/config.js";

test("the form offers explore after the sweep strategies", () => {
  assert.deepEqual(FORM_STRATEGIES, [...STRATEGIES, "adaptive", EXPLORE]);
  assert.equal(isExplore({ strategy: "explore" }), true);
  assert.equal(isExplore({ strategy: "sobol" }), false);
});

test("an exploration's plan box says who decides", () => {
  const plan = explorePlan({ numSamples: "24" });
  assert.equal(plan.total, 24);
  assert.match(plan.notes[1], /Continue exploring/);
  // the form's shape: metric rows and the objective row's choice (an object, not a name)
  const rated = explorePlan({ numSamples: 8, metrics: [], objective: { metric: "", goal: "" } });
  assert.match(rated.notes[1], /Continue exploring/);
  const scored = { numSamples: 8, metrics: [{ name: "noise" }, { name: "sim" }], objective: { metric: "sim", goal: "" } };
  assert.match(explorePlan(scored).notes[1], /The metric sim picks/);
  assert.doesNotMatch(explorePlan(scored).notes[1], /object Object/);
});

test("steps line and routes", () => {
  const x = { steps: [{ key: "search1", status: "done" }, { key: "seeds", status: "rate" }] };
  assert.equal(stepsLine(x), "search1 done · seeds waiting for ratings");
  assert.equal(reportRoute("explore_a b"), "/comfy-sweep/explorations/explore_a%20b/report");
});

test("the client posts continue and reads the envelope", async () => {
  const calls = [];
  const client = makeExploreClient(async (route, init) => {
    calls.push([route, init.method]);
    const body = { error: { code: "conflict", message: "no run is rated yet" } };
    return new Response(JSON.stringify(body), { status: 409 });
  });
  await assert.rejects(client.continueExploring("explore_1"), (err) => err.code === "conflict" && err.status === 409);
  assert.deepEqual(calls, [["/comfy-sweep/explorations/explore_1/continue", "POST"]]);
});
