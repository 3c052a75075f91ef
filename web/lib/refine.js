// @ts-check
// "Refine from this sweep": which sweeps offer it, the choices the server
// lists (GET /comfy-sweep/sweeps/{id}/refine), the POST body, and the
// refined config back into the new-sweep form (docs/refine.md).
// Pure (no ComfyUI imports).
import { formFromConfig } from "./config.js";
import { isActive } from "./states.js";

export const DEFAULT_TOP = 5; // core/refine/refine.py DEFAULT_TOP
export const DEFAULT_TOP_PRODUCTION = 3; // a grid over K values per parameter grows as K^dims
const NAME_MAX = 64; // a sweep name's limit (docs/routes.md)

/** @typedef {{by: string, runs: number, goal: string | null}} Choice */
/** @typedef {{choices: Choice[], default: string | null, objective: unknown}} Choices */

/** A sweep that stopped with done runs (done, cancelled, interrupted). */
export const canRefine = (s) => !isActive(s?.state) && Number(s?.done) > 0;

/** Only choices with values can rank runs. @param {Choices | null | undefined} options */
export const rankable = (options) => (options?.choices ?? []).filter((c) => c.runs > 0);

/** @param {Choice} c */
export function choiceLabel(c) {
  const runs = `${c.runs} run${c.runs === 1 ? "" : "s"}`;
  return `${c.by} · ${runs}${c.goal ? ` · ${c.goal}` : ""}`;
}

/** The refine box's fields for a sweep's choices. @param {string} sweepId @param {Choices} options */
export function refineDefaults(sweepId, options) {
  const by = options.default ?? rankable(options)[0]?.by ?? "";
  return { sweepId, options, by, top: String(DEFAULT_TOP), production: false, goal: "", error: null, busy: false };
}

/** The POST body; a bad top K is the server's to name (field `top`). */
export function refineBody(box) {
  /** @type {{by: string, production: boolean, top?: number, goal?: string}} */
  const body = { by: box.by, production: Boolean(box.production) };
  const text = String(box.top ?? "").trim();
  if (text !== "") body.top = Number(text);
  if (box.goal) body.goal = box.goal;
  return body;
}

/** "<name> refined", kept within the name rules of POST /sweeps. @param {string} name */
export function refinedName(name, production = false) {
  const base = String(name ?? "").replace(/[^\w .-]+/g, "_").trim() || "sweep";
  const tail = production ? " production" : " refined";
  return base.slice(0, NAME_MAX - tail.length) + tail;
}

/**
 * The new-sweep form for a refined config: the form analysed from the
 * sweep's own workflow, its rows set from the config (matched by path), plus
 * where it came from (shown above the rows).
 */
export function refinedForm(baseForm, refined, sweep, production = false) {
  const form = formFromConfig(refined.config, baseForm);
  form.name = refinedName(sweep.name || sweep.id, production);
  form.refinedFrom = { id: sweep.id, name: sweep.name || sweep.id, notes: refined.notes ?? [] };
  return form;
}

/**
 * The refine notes for the form: the ranking line ("top 5 of 32 runs with …")
 * as the headline, the rest (what changed per parameter) folded; the
 * "refined by cr-refine from <folder>" line says what the form already does.
 * @param {string[]} notes
 */
export function splitNotes(notes) {
  const list = (notes ?? []).filter((n) => !/refined by cr-refine from/.test(n));
  const head = list.find((n) => n.startsWith("top ")) ?? "";
  return { head, rest: list.filter((n) => n !== head) };
}
