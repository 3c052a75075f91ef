// "Load into graph" from a contact sheet: the sheet's side
// (core/report/templates/sheet_bridge.js, a classic script run here in a vm context)
// and the ComfyUI tab's side (web/lib/loadChannel.js) talking over node's real
// BroadcastChannel, which delivers between instances like tabs of one origin.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import vm from "node:vm";
import { CHANNEL_NAME, loadRunResponder, parseLoadRequest } from "../../web/lib/loadChannel.js";

const BRIDGE_JS = new URL("../../core/report/templates/sheet_bridge.js", import.meta.url);

function sheetCS() {
  const ctx = { CS: {}, crypto: globalThis.crypto, setTimeout, clearTimeout, Uint32Array };
  vm.createContext(ctx);
  vm.runInContext(readFileSync(BRIDGE_JS, "utf8"), ctx);
  return ctx.CS;
}

test("sweepRoute: the sweep id from the files route, with or without /api", () => {
  const CS = sheetCS();
  assert.equal(CS.sweepRoute("http:", "/comfy-sweep/sweeps/sw-1/files/contact_sheet.html"), "sw-1");
  assert.equal(CS.sweepRoute("https:", "/api/comfy-sweep/sweeps/a.b_c/files/contact_sheet.html"), "a.b_c");
  assert.equal(CS.sweepRoute("http:", "/base/api/comfy-sweep/sweeps/x%2Dy/files/contact_sheet.html"), "x-y");
  assert.equal(CS.sweepRoute("file:", "/comfy-sweep/sweeps/sw-1/files/contact_sheet.html"), null);
  assert.equal(CS.sweepRoute("http:", "/files/contact_sheet.html"), null);
  assert.equal(CS.sweepRoute("http:", "/comfy-sweep/sweeps/sw-1/contact_sheet.html"), null);
  assert.equal(CS.sweepRoute("http:", "/comfy-sweep/sweeps/..%2F/files/x"), null);
  assert.equal(CS.sweepRoute("http:", "/comfy-sweep/sweeps/%E0%A4%A/files/x"), null); // bad escape
});

test("bridgeMode: a note instead of the button off the route", () => {
  const CS = sheetCS();
  assert.deepEqual({ ...CS.bridgeMode("http:", "/api/comfy-sweep/sweeps/s/files/c.html", true) }, { sweepId: "s" });
  assert.equal(CS.bridgeMode("file:", "/tmp/b/contact_sheet.html", true).note, CS.BRIDGE_TEXT.file);
  assert.equal(CS.bridgeMode("http:", "/files/contact_sheet.html", true).note, CS.BRIDGE_TEXT.elsewhere);
  assert.equal(CS.bridgeMode("http:", "/comfy-sweep/sweeps/s/files/c.html", false).note, CS.BRIDGE_TEXT.noChannel);
});

test("parseLoadRequest accepts only a well-formed request", () => {
  const ok = { type: "load-run", sweepId: "sw_1", runId: 3, nonce: "abc123" };
  assert.deepEqual(parseLoadRequest(ok), { sweepId: "sw_1", runId: 3, nonce: "abc123" });
  for (const bad of [null, "load-run", { ...ok, type: "load-run-go" }, { ...ok, runId: "3" }, { ...ok, runId: 0 },
    { ...ok, runId: 1.5 }, { ...ok, sweepId: "../x" }, { ...ok, sweepId: "" }, { ...ok, nonce: "" },
    { ...ok, nonce: "x".repeat(65) }, { ...ok, nonce: 7 }]) {
    assert.equal(parseLoadRequest(bad), null, JSON.stringify(bad));
  }
});

// A ComfyUI tab: its own channel, a recording loader.
function tab(name, { visible = true, result = { ok: true, message: "strength=0.6" } } = {}) {
  const channel = new BroadcastChannel(CHANNEL_NAME);
  const loads = [];
  const r = loadRunResponder({
    channel, tabId: name, isVisible: () => visible, hiddenDelayMs: 40,
    load: async (sweepId, runId) => { loads.push([sweepId, runId]); return result; },
  });
  return { loads, close: () => { r.close(); channel.close(); } };
}

// Every message on the channel, as a third party sees it.
function spy() {
  const channel = new BroadcastChannel(CHANNEL_NAME);
  const seen = [];
  channel.onmessage = (e) => seen.push(e.data);
  return { seen, close: () => channel.close() };
}

function sheet(CS, sweepId = "sw-1") {
  const channel = new BroadcastChannel(CHANNEL_NAME);
  return { bridge: new CS.Bridge(sweepId, channel), close: () => channel.close() };
}

test("several ComfyUI tabs: exactly one loads, the visible one, and the sheet gets its ack", async () => {
  const CS = sheetCS();
  const hidden = tab("hidden", { visible: false });
  const shown = tab("shown");
  const other = tab("other-hidden", { visible: false });
  const s = sheet(CS), watch = spy();
  try {
    const res = await s.bridge.load(7);
    assert.deepEqual({ ...res }, { ok: true, text: CS.BRIDGE_TEXT.loaded });
    await new Promise((r) => setTimeout(r, 120)); // past the hidden tabs' claim delay
    assert.deepEqual(shown.loads, [["sw-1", 7]]);
    assert.deepEqual([hidden.loads, other.loads], [[], []]);
    const claims = watch.seen.filter((m) => m.type === "load-run-claim").map((m) => m.tab);
    assert.deepEqual(claims, ["shown"]); // the hidden tabs saw the go and never claimed
    assert.equal(watch.seen.filter((m) => m.type === "load-run-ack").length, 1);
  } finally {
    for (const x of [hidden, shown, other, s, watch]) x.close();
  }
});

test("only hidden tabs: the first claim wins, the others stay idle", async () => {
  const CS = sheetCS();
  const tabs = [tab("a", { visible: false }), tab("b", { visible: false })];
  const s = sheet(CS);
  try {
    assert.equal((await s.bridge.load(2)).ok, true);
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(tabs[0].loads.length + tabs[1].loads.length, 1);
  } finally {
    for (const x of [...tabs, s]) x.close();
  }
});

test("a failed load comes back with the tab's message", async () => {
  const CS = sheetCS();
  const t = tab("t", { result: { ok: false, message: "sweep sw-1 has no run 99" } });
  const s = sheet(CS);
  try {
    assert.deepEqual({ ...(await s.bridge.load(99)) }, { ok: false, text: "ComfyUI: sweep sw-1 has no run 99" });
  } finally {
    t.close(); s.close();
  }
});

test("no ComfyUI tab: the sheet says so after the claim wait", async () => {
  const CS = sheetCS();
  const s = sheet(CS);
  const t0 = Date.now();
  try {
    const res = await s.bridge.load(1);
    assert.deepEqual({ ...res }, { ok: false, text: CS.BRIDGE_TEXT.noTab });
    assert.ok(Date.now() - t0 >= 1400, "waited about 1.5 s");
  } finally {
    s.close();
  }
});

test("the sheet ignores an ack from a tab it did not choose", () => {
  const CS = sheetCS();
  const posted = [];
  const timers = { setTimeout: () => 1, clearTimeout: () => {} };
  const b = new CS.Bridge("s", { postMessage: (m) => posted.push(m) }, timers);
  let result = null;
  b.load(4).then((r) => { result = r; });
  const nonce = posted[0].nonce;
  b.receive({ type: "load-run-claim", nonce, tab: "first" });
  b.receive({ type: "load-run-claim", nonce, tab: "second" });
  assert.deepEqual(posted.slice(1).map((m) => [m.type, m.tab]), [["load-run-go", "first"]]);
  b.receive({ type: "load-run-ack", nonce, tab: "second", ok: true });
  assert.equal(b.pending.size, 1);
  b.receive({ type: "load-run-ack", nonce, tab: "first", ok: true });
  assert.equal(b.pending.size, 0);
  return Promise.resolve().then(() => assert.equal(result.ok, true));
});
