// sheet_bridge.js: "Load into graph" from the sheet. Served from a sweep's
// files route (/comfy-sweep/sweeps/<id>/files/, same origin as the ComfyUI
// UI), the page asks a ComfyUI tab of this browser to load a run into its
// graph over a BroadcastChannel: no network request, and no CSP directive
// governs BroadcastChannel, so the CSP stays as it is. A local file (file://)
// shares no origin with ComfyUI: no button there, one line says why.
//
// Several ComfyUI tabs may be listening and exactly one must load the run, so
// the sheet picks one (a claim round, a few ms on one machine):
//   sheet -> all    {type: "load-run", sweepId, runId, nonce}
//   tab   -> sheet  {type: "load-run-claim", nonce, tab}    every tab; a hidden one ~150 ms later
//   sheet -> all    {type: "load-run-go", nonce, tab}       for the first claim only
//   tab   -> sheet  {type: "load-run-ack", nonce, tab, ok, message}   the chosen tab, after loading
// No claim within 1.5 s: no ComfyUI tab is open. The peer is web/lib/loadChannel.js.
const BRIDGE_NAME = "comfy-sweep", BRIDGE_CLAIM_MS = 1500, BRIDGE_ACK_MS = 15000;
const BRIDGE_SWEEP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

CS.BRIDGE_TEXT = {
  loaded: "loaded into the ComfyUI tab",
  noTab: "open ComfyUI in this browser to load runs",
  silent: "the ComfyUI tab did not answer",
  file: "Load into graph: open this sheet from ComfyUI's Sweep panel (a local file cannot reach ComfyUI)",
  elsewhere: "Load into graph: open this sheet from ComfyUI's Sweep panel",
  noChannel: "Load into graph: this browser has no BroadcastChannel",
};

// The sweep id when the page is served over http(s) from a sweep's files
// route (with or without ComfyUI's /api prefix or a proxy's base path), else null.
CS.sweepRoute = function (protocol, pathname) {
  if (!/^https?:$/.test(protocol)) return null;
  const m = /\/comfy-sweep\/sweeps\/([^/]+)\/files\//.exec(pathname);
  if (!m) return null;
  let id;
  try { id = decodeURIComponent(m[1]); } catch (e) { return null; }
  return BRIDGE_SWEEP_ID.test(id) ? id : null;
};

// {sweepId} when the button can work, else {note}: the one line the dialog shows.
CS.bridgeMode = function (protocol, pathname, hasChannel) {
  const sweepId = CS.sweepRoute(protocol, pathname);
  if (sweepId === null) return { note: /^https?:$/.test(protocol) ? CS.BRIDGE_TEXT.elsewhere : CS.BRIDGE_TEXT.file };
  return hasChannel ? { sweepId } : { note: CS.BRIDGE_TEXT.noChannel };
};

// getRandomValues works in insecure contexts too (randomUUID does not): a LAN
// ComfyUI over plain http is common.
CS.randomId = function () {
  const a = new Uint32Array(2);
  crypto.getRandomValues(a);
  return a[0].toString(36) + a[1].toString(36);
};

CS.Bridge = class {
  constructor(sweepId, channel, timers = globalThis) {
    Object.assign(this, { sweepId, channel, timers, pending: new Map() });
    channel.onmessage = (e) => this.receive(e.data);
  }

  // Resolves {ok, text}: the line the dialog shows.
  load(runId) {
    const nonce = CS.randomId();
    return new Promise((resolve) => {
      const p = { tab: null, resolve, timer: null };
      this.pending.set(nonce, p);
      p.timer = this.timers.setTimeout(() => this.finish(nonce, false, CS.BRIDGE_TEXT.noTab), BRIDGE_CLAIM_MS);
      this.channel.postMessage({ type: "load-run", sweepId: this.sweepId, runId, nonce });
    });
  }

  receive(msg) {
    const p = msg && typeof msg === "object" ? this.pending.get(msg.nonce) : undefined;
    if (!p || typeof msg.tab !== "string") return;
    if (msg.type === "load-run-claim" && p.tab === null) {
      p.tab = msg.tab;  // the first claim wins; later ones get no go and stay idle
      this.timers.clearTimeout(p.timer);
      p.timer = this.timers.setTimeout(() => this.finish(msg.nonce, false, CS.BRIDGE_TEXT.silent), BRIDGE_ACK_MS);
      this.channel.postMessage({ type: "load-run-go", nonce: msg.nonce, tab: msg.tab });
    } else if (msg.type === "load-run-ack" && msg.tab === p.tab) {
      const ok = msg.ok === true;
      this.finish(msg.nonce, ok, ok ? CS.BRIDGE_TEXT.loaded : "ComfyUI: " + String(msg.message || "the run could not be loaded"));
    }
  }

  finish(nonce, ok, text) {
    const p = this.pending.get(nonce);
    if (!p) return;
    this.timers.clearTimeout(p.timer);
    this.pending.delete(nonce);
    p.resolve({ ok, text });
  }
};

// The page's bridge (or the note saying why there is none).
CS.startBridge = function (sheet) {
  const hasChannel = typeof BroadcastChannel === "function";
  const mode = CS.bridgeMode(location.protocol, location.pathname, hasChannel);
  sheet.bridgeNote = mode.note || "";
  // served from a sweep's files route: ratings are saved there (sheet_marks.js)
  sheet.sweepId = CS.sweepRoute(location.protocol, location.pathname);
  sheet.bridge = mode.sweepId ? new CS.Bridge(mode.sweepId, new BroadcastChannel(BRIDGE_NAME)) : null;
};
