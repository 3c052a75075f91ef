// @ts-check
// The ComfyUI tab's side of "Load into graph" from a contact sheet. The sheet
// (core/report/templates/sheet_bridge.js, same origin when ComfyUI serves it) asks
// over a BroadcastChannel; every open ComfyUI tab hears it, so the sheet picks
// one through a claim round and only that tab loads:
//   sheet -> all    {type: "load-run", sweepId, runId, nonce}
//   tab   -> sheet  {type: "load-run-claim", nonce, tab}
//   sheet -> all    {type: "load-run-go", nonce, tab}        (the first claim)
//   tab   -> sheet  {type: "load-run-ack", nonce, tab, ok, message}
// A hidden tab claims `hiddenDelayMs` later, so a tab the user can see wins
// when there is one. Pure: channel, loader and timers are injected (node tests).

export const CHANNEL_NAME = "comfy-sweep";
const SWEEP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const NONCE = /^[A-Za-z0-9_-]{1,64}$/;
const FORGET_MS = 30_000;

// A well-formed request, or null (anything else on the channel is ignored).
export function parseLoadRequest(msg) {
  if (!msg || typeof msg !== "object" || msg.type !== "load-run") return null;
  const { sweepId, runId, nonce } = msg;
  if (typeof sweepId !== "string" || !SWEEP_ID.test(sweepId)) return null;
  if (!Number.isSafeInteger(runId) || runId < 1) return null;
  if (typeof nonce !== "string" || !NONCE.test(nonce)) return null;
  return { sweepId, runId, nonce };
}

// getRandomValues, not randomUUID: the latter needs a secure context, and a
// LAN ComfyUI over plain http is not one.
export function randomTabId() {
  const a = new Uint32Array(2);
  globalThis.crypto.getRandomValues(a);
  return `tab-${a[0].toString(36)}${a[1].toString(36)}`;
}

// load(sweepId, runId) -> Promise<{ok, message}>. Returns {close()}.
export function loadRunResponder({ channel, load, tabId = randomTabId(), isVisible = () => true,
  hiddenDelayMs = 150, timers = globalThis }) {
  const waiting = new Map(); // nonce -> {req, forget}: a request we claimed (or will claim)
  const drop = (nonce) => {
    const w = waiting.get(nonce);
    if (w) timers.clearTimeout(w.forget);
    waiting.delete(nonce);
    return w?.req;
  };
  const claim = (req) => {
    if (waiting.has(req.nonce)) channel.postMessage({ type: "load-run-claim", nonce: req.nonce, tab: tabId });
  };
  const onRequest = (req) => {
    // never chosen (the sheet closed, another tab won unseen): forget it
    waiting.set(req.nonce, { req, forget: timers.setTimeout(() => drop(req.nonce), FORGET_MS) });
    if (isVisible()) claim(req);
    else timers.setTimeout(() => claim(req), hiddenDelayMs);
  };
  const onGo = async (msg) => {
    const req = drop(msg.nonce); // another tab chosen: our late claim is never sent
    if (!req || msg.tab !== tabId) return;
    const { ok, message } = await load(req.sweepId, req.runId);
    channel.postMessage({ type: "load-run-ack", nonce: req.nonce, tab: tabId, ok, message });
  };
  const onMessage = (ev) => {
    const msg = ev?.data;
    const req = parseLoadRequest(msg);
    if (req) onRequest(req);
    else if (msg?.type === "load-run-go" && typeof msg.nonce === "string") onGo(msg);
  };
  channel.addEventListener("message", onMessage);
  return {
    tabId,
    close() {
      channel.removeEventListener("message", onMessage);
      for (const nonce of [...waiting.keys()]) drop(nonce);
    },
  };
}
