import { test } from "node:test";
import assert from "node:assert/strict";
import { formatDuration, formatEstimate, formatProgress, formatValues } from "../../web/lib/format.js";
import { Store, applyProgress } from "../../web/lib/state.js";
import { SweepApiError, makeClient } from "../../web/lib/api.js";

test("formatDuration picks the two largest units", () => {
  assert.equal(formatDuration(5.4), "5s");
  assert.equal(formatDuration(125), "2m 05s");
  assert.equal(formatDuration(3 * 3600 + 7 * 60), "3h 07m");
  assert.equal(formatDuration(null), "—");
});

test("progress, values and estimates read well", () => {
  assert.deepEqual(formatProgress({ done: 3, failed: 1, total: 8 }), { text: "3/8 done, 1 failed", pct: 50 });
  assert.equal(formatValues({ cfg: 7.123456, seed: 12 }), "cfg=7.1235 · seed=12");
  assert.equal(formatEstimate({ total: 1, estimate_s: null }), "1 run");
  assert.equal(formatEstimate({ total: 12, estimate_s: 90 }), "12 runs · about 1m 30s");
});

test("progress events update the matching sweep and add unknown ones first", () => {
  const sweeps = [{ id: "a", name: "A", done: 0, total: 4 }, { id: "b", name: "B", done: 0, total: 2 }];
  const next = applyProgress(sweeps, { sweep_id: "b", state: "running", done: 1, failed: 0, total: 2, eta_s: 3, current: null });
  assert.equal(next[1].done, 1);
  assert.equal(next[1].name, "B");
  assert.equal(sweeps[1].done, 0); // immutable update
  assert.equal(applyProgress(sweeps, { sweep_id: "c", done: 0, total: 1 })[0].id, "c");
});

test("the store notifies subscribers until they unsubscribe", () => {
  const store = new Store();
  const seen = [];
  const off = store.subscribe((s) => seen.push(s.view));
  store.set({ view: "form" });
  off();
  store.set({ view: "list" });
  assert.deepEqual(seen, ["form"]);
});

const fakeFetch = (status, body) => {
  const calls = [];
  const fn = async (route, init) => {
    calls.push({ route, init });
    return new Response(body === undefined ? "" : JSON.stringify(body), { status });
  };
  return { fn, calls };
};

test("the client posts JSON under /comfy-sweep and returns the body", async () => {
  const { fn, calls } = fakeFetch(202, { id: "batch_x", total: 4, state: "queued" });
  const res = await makeClient(fn).createSweep({ prompt: {}, config: {} });
  assert.equal(res.id, "batch_x");
  assert.equal(calls[0].route, "/comfy-sweep/sweeps");
  assert.equal(calls[0].init.method, "POST");
  assert.deepEqual(JSON.parse(calls[0].init.body), { prompt: {}, config: {} });
  await makeClient(fn).getSweep("a b", 100, 50);
  assert.equal(calls[1].route, "/comfy-sweep/sweeps/a%20b?offset=100&limit=50");
});

test("the error envelope becomes a SweepApiError with code and field", async () => {
  const { fn } = fakeFetch(400, { error: { code: "config_error", message: "cfg: min above max", field: "config.parameters.cfg.min" } });
  await assert.rejects(makeClient(fn).plan({}, {}), (err) => {
    assert.ok(err instanceof SweepApiError);
    assert.equal(err.status, 400);
    assert.equal(err.code, "config_error");
    assert.equal(err.field, "config.parameters.cfg.min");
    return true;
  });
  const { fn: bare } = fakeFetch(502, undefined);
  await assert.rejects(makeClient(bare).listSweeps(), /server answered 502/);
});

// QA: a stopped ComfyUI showed a bare "Failed to fetch" in the panel.
test("userMessage names an unreachable ComfyUI and passes other messages through", async () => {
  const { userMessage, valuePairs } = await import("../../web/lib/format.js");
  assert.match(userMessage(new TypeError("Failed to fetch")), /^ComfyUI is not reachable/);
  assert.equal(userMessage(new SweepApiError(400, "invalid_config", "cfg: bad")), "cfg: bad");
  assert.equal(userMessage("plain"), "plain");
  assert.deepEqual(valuePairs({ seed: 12, cfg: 7.123456 }), ["seed=12", "cfg=7.1235"]);
});
