// @ts-check
// Contact sheets served by this ComfyUI ask this tab to load a run into the
// graph (protocol in lib/loadChannel.js). Listening starts once, in the
// extension's setup: the sidebar tab's render() runs anew on every opening,
// and a sheet must reach the graph even when the Sweep tab was never opened.
import { CHANNEL_NAME, loadRunResponder } from "../lib/loadChannel.js";
import { loadRunIntoGraph } from "./sweepActions.js";

let responder = null;

export function listenForSheets() {
  if (responder || typeof BroadcastChannel !== "function") return responder;
  responder = loadRunResponder({
    channel: new BroadcastChannel(CHANNEL_NAME),
    load: loadRunIntoGraph,
    isVisible: () => document.visibilityState === "visible",
  });
  return responder;
}
