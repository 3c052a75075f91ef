// @ts-check
// "Refine from this sweep": read the sweep's choices, ask the server for the
// next config, open it in the new-sweep form on the sweep's own workflow, so
// one more click (Queue sweep) runs it.
import { client } from "../lib/api.js";
import { formFromAnalysis } from "../lib/config.js";
import { refineBody, refineDefaults, refinedForm } from "../lib/refine.js";
import { store } from "../lib/state.js";
import { userMessage } from "../lib/format.js";
import { toastError, userFormDefaults } from "./comfy.js";
import { planNow } from "./newSweepActions.js";

const patchBox = (patch) => store.set({ refine: { ...store.state.refine, ...patch } });

/** Open (or close) the refine box of a sweep card. @param {string} id */
export async function toggleRefine(id) {
  if (store.state.refine?.sweepId === id) return store.set({ refine: null });
  store.set({ refine: { sweepId: id, options: null, busy: true, error: null } });
  try {
    const options = await client.refineChoices(id);
    if (store.state.refine?.sweepId === id) store.set({ refine: refineDefaults(id, options) });
  } catch (err) {
    if (store.state.refine?.sweepId === id) patchBox({ busy: false, error: userMessage(err) });
    toastError("Could not read the sweep's scores", err);
  }
}

/** Structural edits of the box (a select, the checkbox) redraw it. */
export const refineChanged = (patch) => patchBox(patch);

// The UI graph is optional (a sweep queued without one has none): the
// sweep still runs, its outputs just carry no embedded graph.
async function sweepSource(id) {
  const prompt = await client.sweepJson(id, "workflow.json");
  const workflow = await client.sweepJson(id, "ui_workflow.json").catch(() => null);
  return { prompt, workflow };
}

/** POST the refine request; on success the form opens with the next config. @param {any} sweep */
export async function runRefine(sweep) {
  const box = store.state.refine;
  patchBox({ busy: true, error: null });
  try {
    const refined = await client.refine(sweep.id, refineBody(box));
    const source = await sweepSource(sweep.id);
    const { analysis } = await client.analyze(source.prompt);
    const base = formFromAnalysis(analysis, { prompt: source.prompt, defaults: userFormDefaults() });
    const form = refinedForm(base, refined, sweep, box.production);
    store.set({ view: "form", form, source, plan: null, formErrors: [], refine: null,
      analysisWarnings: analysis.warnings ?? [] });
    planNow();
  } catch (err) {
    patchBox({ busy: false, error: userMessage(err) });
    toastError("Refine failed", err);
  }
}
