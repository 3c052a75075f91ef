// @ts-check
// comfy-sweep's entries in ComfyUI's settings dialog (the `settings` field of
// app.registerExtension, docs.comfy.org/custom-nodes/js/javascript_settings)
// and what the panel reads from them. Pure (no ComfyUI imports): the reader
// is injected, so node tests drive it with a plain function.
import { FORM_DEFAULTS, MAX_QUEUE_WINDOW, MAX_SAMPLES, STRATEGIES } from "./config.js";

export const SETTING_IDS = Object.freeze({
  strategy: "comfy-sweep.DefaultStrategy",
  numSamples: "comfy-sweep.Samples",
  seedsPerSample: "comfy-sweep.SeedsPerSample",
  queueWindow: "comfy-sweep.QueueWindow",
  toasts: "comfy-sweep.Toasts",
});

/**
 * One setting as the settings dialog takes it. The frontend's types name only
 * the core setting ids (`id: keyof Settings`), so main.js casts this list once.
 * @typedef {{id: string, name: string, type: "combo" | "number" | "slider" | "boolean",
 *   defaultValue: unknown, category: string[], tooltip?: string, sortOrder?: number,
 *   options?: string[], attrs?: Record<string, unknown>}} SweepSetting
 */

// In the dialog a higher sortOrder comes first: the form's order.
const GROUP = ["comfy-sweep", "New sweep"];

/** @type {SweepSetting[]} */
export const SETTINGS = [
  { id: SETTING_IDS.strategy, name: "Default strategy", type: "combo", options: [...STRATEGIES],
    defaultValue: FORM_DEFAULTS.strategy, category: [...GROUP, "Strategy"], sortOrder: 40,
    tooltip: "Sampling strategy the new-sweep form starts with" },
  { id: SETTING_IDS.numSamples, name: "Samples", type: "number", defaultValue: FORM_DEFAULTS.numSamples,
    attrs: { min: 1, max: MAX_SAMPLES, step: 1 }, category: [...GROUP, "Samples"], sortOrder: 30,
    tooltip: "Samples drawn by sobol, lhs and random (grid and linear take every combination)" },
  { id: SETTING_IDS.seedsPerSample, name: "Seeds per sample", type: "number",
    defaultValue: FORM_DEFAULTS.seedsPerSample, attrs: { min: 1, max: MAX_SAMPLES, step: 1 },
    category: [...GROUP, "Seeds per sample"], sortOrder: 20, tooltip: "Repetitions of every sample with a fresh seed" },
  { id: SETTING_IDS.queueWindow, name: "Queue window", type: "slider", defaultValue: FORM_DEFAULTS.queueWindow,
    attrs: { min: 1, max: MAX_QUEUE_WINDOW, step: 1 }, category: [...GROUP, "Queue window"], sortOrder: 10,
    tooltip: "Prompts of a sweep kept on ComfyUI's queue at once (the rest wait, so your own prompts are not stuck behind a whole sweep)" },
  { id: SETTING_IDS.toasts, name: "Show notifications", type: "boolean", defaultValue: true,
    category: ["comfy-sweep", "Notifications", "Show notifications"],
    tooltip: "Sweep queued, sweep finished, run loaded into the graph. Errors are always shown." },
];

/** @typedef {(id: string) => unknown} SettingReader */

/** @param {SettingReader} get @param {string} id */
function read(get, id) {
  try {
    return get(id);
  } catch {
    return undefined; // a frontend without the setting store: use the default
  }
}

/** @param {unknown} value @param {number} max @param {number} fallback */
function count(value, max, fallback) {
  const n = Number(value);
  return value !== null && value !== "" && Number.isInteger(n) && n >= 1 && n <= max ? n : fallback;
}

/**
 * The new-sweep form's starting values from the user's settings; a missing
 * or out-of-range value falls back to FORM_DEFAULTS.
 * @param {SettingReader} get
 * @returns {{strategy: string, numSamples: number, seedsPerSample: number, queueWindow: number}}
 */
export function formDefaults(get) {
  const strategy = read(get, SETTING_IDS.strategy);
  return {
    strategy: typeof strategy === "string" && STRATEGIES.includes(strategy) ? strategy : FORM_DEFAULTS.strategy,
    numSamples: count(read(get, SETTING_IDS.numSamples), MAX_SAMPLES, FORM_DEFAULTS.numSamples),
    seedsPerSample: count(read(get, SETTING_IDS.seedsPerSample), MAX_SAMPLES, FORM_DEFAULTS.seedsPerSample),
    queueWindow: count(read(get, SETTING_IDS.queueWindow), MAX_QUEUE_WINDOW, FORM_DEFAULTS.queueWindow),
  };
}

/** Notifications are on unless the user turned them off. @param {SettingReader} get */
export function toastsEnabled(get) {
  return read(get, SETTING_IDS.toasts) !== false;
}
