// @ts-check
// Explorations run by ComfyUI's server (docs/explore.md, docs/routes.md
// "Explorations"): the panel's "explore" strategy, the calls to
// /comfy-sweep/explorations and the pure helpers of their cards. What a user
// may do (continue, cancel) comes from each summary's `actions`, never spelled
// here. Pure apart from the lazy ComfyUI import (node tests inject fetchApi).
import { STRATEGIES } from "./config.js";
import { jsonCall } from "./api.js";
import { ADAPTIVE, objectiveMetric } from "./metricsForm.js";

export const EXPLORE = "explore";

/** The new-sweep form's strategies: the sampled ones, adaptive search and a whole exploration. */
export const FORM_STRATEGIES = Object.freeze([...STRATEGIES, ADAPTIVE, EXPLORE]);

export const isExplore = (form) => form?.strategy === EXPLORE;

/** The plan box of an exploration: its budget, and who decides (no /plan call: it has phases). */
export function explorePlan(form) {
  const budget = Number(form.numSamples);
  const metric = objectiveMetric(form); // "" without metric rows: the person rates
  return {
    total: budget,
    estimate_s: null,
    warnings: [],
    notes: [
      "An exploration: the budget is split into phases (sampler/scheduler surfing, parameter search, seed mining), each an ordinary sweep listed below.",
      metric ? `The metric ${metric} picks each phase's winner.`
        : "No objective metric: rate each phase's runs in its contact sheet, then press Continue exploring.",
    ],
  };
}

const route = (id, tail = "") => `/explorations/${encodeURIComponent(id)}${tail}`;

/** fetchApi(route, init) -> Response, as api.js makeClient. */
export function makeExploreClient(fetchApi) {
  const call = jsonCall(fetchApi);
  return {
    list: () => call("GET", "/explorations"),
    start: (body) => call("POST", "/explorations", body),
    get: (id) => call("GET", route(id)),
    continueExploring: (id) => call("POST", route(id, "/continue")),
    cancel: (id) => call("POST", route(id, "/cancel")),
  };
}

export function reportRoute(id) {
  return `/comfy-sweep${route(id, "/report")}`;
}

/** "search1 done · seeds running": each step and where it is. */
export function stepsLine(x) {
  return (x.steps ?? []).map((s) => `${s.key} ${s.status === "rate" ? "waiting for ratings" : s.status}`).join(" · ");
}

let comfyApi = null;

export const exploreClient = makeExploreClient(async (path, init) => {
  if (!comfyApi) comfyApi = (await import("../../../scripts/api.js")).api;
  return comfyApi.fetchApi(path, init);
});
