// @ts-check
// Sweep states and run statuses, spelled once for the panel. They mirror the
// Python ones (core/sweep/lifecycle.py: STATES, ACTIVE, STOPPED, RESUMABLE;
// the run statuses of metadata.csv); tests/unit/test_web_states.py fails
// when the two differ.
// Pure (no ComfyUI imports).

/** Every state a sweep's progress.json can hold, in lifecycle order. */
export const SWEEP_STATES = Object.freeze(["queued", "running", "done", "cancelled", "interrupted"]);

/** A run's status in metadata.csv. */
export const RUN_STATUSES = Object.freeze(["done", "failed"]);

/** States in which the server still works on the sweep. @type {ReadonlySet<string>} */
export const ACTIVE_STATES = new Set(["queued", "running"]);

/** States a sweep ends in (a toast announces them). @type {ReadonlySet<string>} */
export const FINAL_STATES = new Set(["done", "cancelled", "interrupted"]);

/** States from which "Resume" continues the sweep. @type {ReadonlySet<string>} */
export const RESUMABLE_STATES = new Set(["interrupted", "cancelled"]);

/** The status of a run that produced its outputs. */
export const RUN_DONE = "done";

/** @param {string | undefined | null} state */
export const isActive = (state) => ACTIVE_STATES.has(state ?? "");
