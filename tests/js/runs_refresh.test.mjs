import { test } from "node:test";
import assert from "node:assert/strict";
import { missingThumbnails, runsRefresher } from "../../web/lib/runsRefresh.js";

// Manual clock: timers fire only when the test says so.
function clock() {
  const pending = [];
  return {
    pending,
    setTimeout: (fn, ms) => { pending.push({ fn, ms }); return pending.length; },
    fire() { const t = pending.shift(); t.fn(); return t.ms; },
  };
}

function setup({ open = "s1" } = {}) {
  const timers = clock();
  const loads = [];
  const r = runsRefresher({ load: (id) => loads.push(id), isOpen: (id) => id === open, delayMs: 10, retryMs: 30, retries: 2, timers });
  return { timers, loads, r };
}

const done = (thumbnail) => ({ status: "done", thumbnail });

test("missingThumbnails looks only at done runs", () => {
  assert.equal(missingThumbnails([done("t/1.webp"), { status: "pending", thumbnail: null }]), false);
  assert.equal(missingThumbnails([done("t/1.webp"), done(null)]), true);
  assert.equal(missingThumbnails(undefined), false);
});

test("a burst of progress events of the open sweep makes one read", () => {
  const { timers, loads, r } = setup();
  r.progress("s1");
  r.progress("s1");
  r.progress("s2"); // not the open list
  assert.equal(timers.pending.length, 1);
  assert.equal(timers.fire(), 10);
  assert.deepEqual(loads, ["s1"]);
  r.progress("s1"); // after the read, the next event schedules again
  assert.equal(timers.pending.length, 1);
});

test("done runs without thumbnails are re-read a bounded number of times", () => {
  const { timers, loads, r } = setup();
  r.opened();
  for (let i = 0; i < 5; i++) {
    r.loaded("s1", [done(null)]);
    if (timers.pending.length === 0) break;
    assert.equal(timers.fire(), 30);
  }
  assert.deepEqual(loads, ["s1", "s1"]); // retries: 2
  r.progress("s1"); // news restores the budget
  timers.fire();
  r.loaded("s1", [done(null)]);
  assert.equal(timers.pending.length, 1);
});

test("no re-read once every done run has its thumbnail, nor for a closed list", () => {
  const { timers, loads, r } = setup({ open: null });
  r.loaded("s1", [done("t/1.webp")]);
  assert.equal(timers.pending.length, 0);
  r.loaded("s1", [done(null)]);
  timers.fire(); // the list was closed meanwhile: nothing read
  assert.deepEqual(loads, []);
});
