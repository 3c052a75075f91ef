// @ts-check
// metadata.csv's own columns: a parameter may not take one of these names (its
// value would overwrite the real column). Mirrors core/store/format.py
// (RESERVED_COLUMNS, SCORE_PREFIX); tests/unit/test_web_states.py fails when they differ.
// Pure (no ComfyUI imports).

/** @type {ReadonlySet<string>} */
export const RESERVED_COLUMNS = new Set([
  "run_id", "status", "prompt_id", "queued_at", "started_at", "finished_at", "execution_s",
  "outputs", "cached_nodes", "error", "server", "rating", "picked", "set",
]);

export const SCORE_PREFIX = "score_";

/** @param {string} name */
export const isReservedColumn = (name) => RESERVED_COLUMNS.has(name) || name.startsWith(SCORE_PREFIX);
