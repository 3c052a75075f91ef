// @ts-check
// Explorations in the sweep list: state, steps, what the exploration waits
// for, and its actions (Report, Continue exploring, Cancel) as the server's
// `actions` allow. Each step's sweep is an ordinary card of the list below.
import { contactSheetRoute } from "../lib/api.js";
import { exploreClient, reportRoute, stepsLine } from "../lib/explore.js";
import { store } from "../lib/state.js";
import { formatTime, userMessage } from "../lib/format.js";
import { apiUrl, notify, toastError } from "./comfy.js";
import { button, h } from "./dom.js";
import { refreshSweeps } from "./sweepActions.js";

let refreshing = null;

export function refreshExplorations() {
  refreshing ??= exploreClient.list()
    .then((res) => store.set({ explorations: res?.explorations ?? [], exploreError: null }))
    .catch((err) => store.set({ exploreError: userMessage(err) }))
    .finally(() => { refreshing = null; });
  return refreshing;
}

async function act(label, fn) {
  try {
    await fn();
  } catch (err) {
    toastError(label, err);
  }
  await Promise.all([refreshExplorations(), refreshSweeps()]);
}

export const continueExploring = (id) => act("Continue exploring failed", async () => {
  await exploreClient.continueExploring(id);
  notify("success", "Exploring", `${id}: the next phase is queued`);
});

export const cancelExploration = (id) => act("Cancel failed", () => exploreClient.cancel(id));

/** The new-sweep form's Queue button with the explore strategy. */
export async function startExploration(body) {
  const res = await exploreClient.start(body);
  notify("success", "Exploration started", res.id);
  await refreshExplorations();
  return res;
}

function card(x) {
  return h("li", { class: "comfy-sweep-exploration", data: { explorationId: x.id, state: x.state } },
    h("div", { class: "comfy-sweep-card-head" },
      h("span", { class: "comfy-sweep-name", title: x.id }, `Exploration ${x.name || x.id}`),
      h("span", { class: `comfy-sweep-badge comfy-sweep-state-${x.state}` }, x.state === "rate" ? "waiting for ratings" : x.state)),
    h("div", { class: "comfy-sweep-muted comfy-sweep-progress" }, stepsLine(x)),
    x.waiting_text && h("div", { class: "comfy-sweep-warn comfy-sweep-waiting" }, x.waiting_text),
    x.message && h("div", { class: "comfy-sweep-muted comfy-sweep-message" }, x.message),
    h("div", { class: "comfy-sweep-muted comfy-sweep-small" }, formatTime(x.created_at)),
    h("div", { class: "comfy-sweep-actions" },
      x.waiting_sweep && button("Rate runs", () => window.open(apiUrl(contactSheetRoute(x.waiting_sweep)), "_blank"), { action: "rate-runs" }),
      x.report && button("Report", () => window.open(apiUrl(reportRoute(x.id)), "_blank"), { action: "report" }),
      x.actions?.continue && button("Continue exploring", () => continueExploring(x.id), { action: "continue-exploring", primary: true }),
      x.actions?.cancel && button("Cancel", () => cancelExploration(x.id), { action: "cancel-exploration" })));
}

export function explorationsSection(state) {
  const list = state.explorations ?? [];
  if (!list.length && !state.exploreError) return null;
  return h("div", { class: "comfy-sweep-explorations" },
    state.exploreError && h("div", { class: "comfy-sweep-error" }, state.exploreError),
    h("ul", { class: "comfy-sweep-cards" }, list.map(card)));
}
