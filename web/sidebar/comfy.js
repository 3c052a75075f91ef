// The few ComfyUI services the panel uses, in one place (documented hooks only).
import { app } from "../../../scripts/app.js";
import { api } from "../../../scripts/api.js";
import { userMessage } from "../lib/format.js";

export { app, api };

export const TAB_ID = "comfy-sweep";

// The workflow's root graph even while the canvas shows a subgraph
// (app.rootGraph on 1.5x; app.graph is the root on 1.32.9).
export function rootGraph() {
  return app.rootGraph ?? app.graph;
}

export function toast(severity, summary, detail = "", life = 4000) {
  app.extensionManager?.toast?.add({ severity, summary, detail, life });
}

// A 4xx answer is the user's slip, already told in the toast (and the form):
// only unexpected failures (5xx, bugs) go to the console as well.
export function toastError(summary, err) {
  const expected = err?.name === "SweepApiError" && err.status >= 400 && err.status < 500;
  if (!expected) console.warn("[comfy-sweep]", summary, err);
  toast("error", summary, userMessage(err), 8000);
}

// Registering the tab created the command "Workspace.ToggleSidebarTab.<id>";
// toggling an open tab would close it, so check the active tab first.
export async function openSweepTab() {
  const mgr = app.extensionManager;
  if (mgr?.sidebarTab?.activeSidebarTab?.id === TAB_ID) return;
  await mgr?.command?.execute(`Workspace.ToggleSidebarTab.${TAB_ID}`);
}
