// @ts-check
// When to re-read the open run list. Pure (timers injected) for node tests.
//
// The server writes thumbnails at most every ~3 s, so a run can be done before
// its thumbnail exists: the list is re-read after progress events (coalesced
// into one read per `delayMs`) and, while a done run still lacks a thumbnail,
// up to `retries` more times every `retryMs` (the last event may come before
// the last thumbnail).
import { RUN_DONE } from "./states.js";

export const missingThumbnails = (runs) => (runs ?? []).some((r) => r.status === RUN_DONE && !r.thumbnail);

export function runsRefresher({ load, isOpen, delayMs = 1500, retryMs = 3500, retries = 4, timers = globalThis }) {
  let timer = null;
  let left = retries;
  const soon = (id, delay = delayMs) => {
    if (timer) return;
    timer = timers.setTimeout(() => {
      timer = null;
      if (isOpen(id)) load(id);
    }, delay);
  };
  return {
    // A progress event of sweep `id`: news, so the retry budget starts over.
    progress(id) {
      if (!isOpen(id)) return;
      left = retries;
      soon(id);
    },
    // The list was (re)opened: a fresh budget for its missing thumbnails.
    opened() {
      left = retries;
    },
    // Runs of `id` were just read.
    loaded(id, runs) {
      if (!missingThumbnails(runs) || left <= 0) return;
      left -= 1;
      soon(id, retryMs);
    },
  };
}
