// @ts-check
// The one module that talks to our server routes (docs/routes.md). It calls
// ComfyUI's api.fetchApi (so /api prefix, user header and base path are
// handled by ComfyUI) and parses the one error envelope
// {"error": {"code", "message", "field"?, "details"?}} into SweepApiError.

export class SweepApiError extends Error {
  constructor(status, code, message, field = null, details = null) {
    super(message);
    this.name = "SweepApiError";
    Object.assign(this, { status, code, field, details });
  }
}

export async function parseResponse(res) {
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (res.ok) return body;
  const err = body?.error;
  if (err && typeof err.message === "string") {
    throw new SweepApiError(res.status, err.code ?? "error", err.message, err.field ?? null, err.details ?? null);
  }
  throw new SweepApiError(res.status, "http", `server answered ${res.status} ${res.statusText ?? ""}`.trim());
}

/** call(method, route, body?) -> the parsed answer of /comfy-sweep<route> (JSON in and out). */
export function jsonCall(fetchApi) {
  return async (method, route, body) => {
    const init = { method };
    if (body !== undefined) {
      init.headers = { "Content-Type": "application/json" };
      init.body = JSON.stringify(body);
    }
    return parseResponse(await fetchApi(`/comfy-sweep${route}`, init));
  };
}

// fetchApi(route, init) -> Response. Injected so node tests need no ComfyUI.
export function makeClient(fetchApi) {
  const call = jsonCall(fetchApi);
  const sweep = (id) => `/sweeps/${encodeURIComponent(id)}`;
  return {
    version: () => call("GET", "/version"),
    analyze: (prompt) => call("POST", "/analyze", { prompt }),
    plan: (prompt, config) => call("POST", "/plan", { prompt, config }),
    parseConfig: (yaml) => call("POST", "/config/parse", { yaml }),
    renderConfig: (config) => call("POST", "/config/render", { config }),
    listSweeps: () => call("GET", "/sweeps"),
    getSweep: (id, offset = 0, limit = 100) => call("GET", `${sweep(id)}?offset=${offset}&limit=${limit}`),
    createSweep: (body) => call("POST", "/sweeps", body),
    cancel: (id) => call("POST", `${sweep(id)}/cancel`),
    resume: (id) => call("POST", `${sweep(id)}/resume`),
    remove: (id) => call("DELETE", sweep(id)),
    runPrompt: (id, runId) => call("GET", `${sweep(id)}/runs/${encodeURIComponent(runId)}/prompt`),
    refineChoices: (id) => call("GET", `${sweep(id)}/refine`),
    refine: (id, body) => call("POST", `${sweep(id)}/refine`, body),
    // A JSON file of the sweep folder (workflow.json, ui_workflow.json).
    sweepJson: (id, name) => call("GET", `${sweep(id)}/files/${encodeURIComponent(name)}`),
  };
}

// Routes the browser opens itself (a new tab, an <img>): sidebar/comfy.js
// apiUrl turns them into URLs with ComfyUI's api.apiURL (base path, /api).
export function contactSheetRoute(id) {
  return `/comfy-sweep/sweeps/${encodeURIComponent(id)}/contact-sheet`;
}

export function fileRoute(id, path) {
  const parts = String(path).split("/").map(encodeURIComponent).join("/");
  return `/comfy-sweep/sweeps/${encodeURIComponent(id)}/files/${parts}`;
}

let comfyApi = null;

// ComfyUI's api.fetchApi; its module is imported lazily so this file loads under node.
/** @param {string} route @param {RequestInit} [init] */
export async function comfyFetchApi(route, init) {
  if (!comfyApi) comfyApi = (await import("../../../scripts/api.js")).api;
  return comfyApi.fetchApi(route, init);
}

export const client = makeClient(comfyFetchApi);
