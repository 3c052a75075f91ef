// @ts-check
// The few ComfyUI services the panel uses, in one place (docs/frontend.md
// lists them, and the LiteGraph internals still needed).
import { app } from "../../../scripts/app.js";
import { api } from "../../../scripts/api.js";
import { userMessage } from "../lib/format.js";
import { formDefaults, toastsEnabled } from "../lib/settings.js";

export { app, api };

export const TAB_ID = "comfy-sweep";

// The workflow's root graph even while the canvas shows a subgraph
// (app.rootGraph on 1.5x; app.graph is the root on 1.32.9).
export function rootGraph() {
  return app.rootGraph ?? app.graph;
}

/** The nodes selected on the canvas (LiteGraph's selected_nodes: no public helper yet). */
export function selectedNodes() {
  return Object.values(app.canvas?.selected_nodes ?? {});
}

/**
 * A setting's value: extensionManager.setting (1.32.9 and newer); the older
 * app.ui.settings is the fallback on a frontend without it.
 * @param {string} id
 * @returns {unknown}
 */
export function getSetting(id) {
  const setting = app.extensionManager?.setting;
  if (typeof setting?.get === "function") return setting.get(id);
  const legacy = /** @type {{getSettingValue?: (id: string) => unknown} | undefined} */ (app.ui?.settings);
  return typeof legacy?.getSettingValue === "function" ? legacy.getSettingValue(id) : undefined;
}

/**
 * Listen for one of our server's websocket events. addCustomEventListener
 * is the typed way on newer frontends (1.4x+); 1.32.9 has only
 * addEventListener, which registers the type the same way at run time.
 * @param {string} type @param {(event: CustomEvent<any>) => void} callback
 */
export function onServerEvent(type, callback) {
  const custom = /** @type {{addCustomEventListener?: (t: string, cb: (e: CustomEvent<any>) => void) => void}} */ (api);
  if (typeof custom.addCustomEventListener === "function") custom.addCustomEventListener(type, callback);
  else /** @type {EventTarget} */ (api).addEventListener(type, /** @type {EventListener} */ (callback));
}

/** The new-sweep form's defaults from the user's comfy-sweep settings. */
export const userFormDefaults = () => formDefaults(getSetting);

/** A route of our server as a browser URL (ComfyUI's base path and /api prefix). @param {string} route */
export const apiUrl = (route) => api.apiURL(route);

/** @typedef {"success" | "info" | "warn" | "error"} Severity */

/** A toast the user needs (an error, an import's warnings). @param {Severity} severity @param {string} summary */
export function toast(severity, summary, detail = "", life = 4000) {
  app.extensionManager?.toast?.add({ severity, summary, detail, life });
}

/**
 * A notification (sweep queued or finished, run loaded): the "Show
 * notifications" setting turns these off.
 * @param {Severity} severity @param {string} summary
 */
export function notify(severity, summary, detail = "", life = 4000) {
  if (toastsEnabled(getSetting)) toast(severity, summary, detail, life);
}

// A 4xx answer is the user's slip, already told in the toast (and the form):
// only unexpected failures (5xx, bugs) go to the console as well.
/** @param {string} summary @param {any} err */
export function toastError(summary, err) {
  const expected = err?.name === "SweepApiError" && err.status >= 400 && err.status < 500;
  if (!expected) console.warn("[comfy-sweep]", summary, err);
  toast("error", summary, userMessage(err), 8000);
}

// Registering the tab created the command "Workspace.ToggleSidebarTab.<id>";
// toggling an open tab would close it, so check the active tab first.
export async function openSweepTab() {
  const mgr = app.extensionManager;
  const active = /** @type {{sidebarTab?: {activeSidebarTab?: {id: string} | null}}} */ (mgr)?.sidebarTab?.activeSidebarTab;
  if (active?.id === TAB_ID) return;
  await mgr?.command?.execute(`Workspace.ToggleSidebarTab.${TAB_ID}`);
}
