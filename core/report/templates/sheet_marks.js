// sheet_marks.js: the person's marks on runs: 1-5 stars (r.m.rating, a metric
// column like a score) and a pick (r.pk). Served by ComfyUI from a sweep's
// files route, a mark is saved into the run store through
//   POST ../runs/<run_id>/rating  {"rating": 0-5, "picked": bool}
// (relative to .../sweeps/<id>/files/, so the /api prefix and a proxy's base
// path keep working; CSP connect-src 'self' allows it). Anywhere else (a local
// file) marks are kept in localStorage per batch and exported/imported as JSON.
// The favourites of older pages are read as picks.
const MAX_STARS = 5;
const MARKS_PREFIX = "comfy-sweep:marks:", FAVS_PREFIX = "comfy-sweep:favourites:";

CS.markOf = function (r) {
  const x = CS.num(r.m.rating);
  return { rating: Number.isNaN(x) ? 0 : Math.round(x), picked: r.pk === true };
};

CS.sameMark = function (a, b) { return a.rating === b.rating && a.picked === b.picked; };

CS.putMark = function (r, mark) {
  if (mark.rating) r.m.rating = mark.rating; else delete r.m.rating;
  r.pk = mark.picked;
};

// A mark from untrusted JSON (storage, an imported file), or null.
CS.cleanMark = function (m) {
  if (!m || typeof m !== "object") return null;
  const rating = m.rating === undefined || m.rating === null ? 0 : m.rating;
  if (!Number.isInteger(rating) || rating < 0 || rating > MAX_STARS) return null;
  return { rating, picked: m.picked === true };
};

// An exported marks file (or an older favourites export: a list of
// {run_id, ...}, every one a pick) -> {batch, marks: Map(run id -> mark)};
// throws an Error whose message is the one line the page shows.
CS.parseMarks = function (text) {
  let doc;
  try { doc = JSON.parse(text); } catch (e) { throw new Error("not JSON: " + e.message); }
  const legacy = Array.isArray(doc);
  const list = legacy ? doc : doc && Array.isArray(doc.marks) ? doc.marks : null;
  if (!list) throw new Error('expected {"batch", "marks": [...]} (or a favourites list)');
  const marks = new Map();
  list.forEach((e, i) => {
    const mark = legacy ? { rating: 0, picked: true } : CS.cleanMark(e);
    if (!e || !Number.isInteger(e.run_id) || !mark) throw new Error("marks[" + i + "]: needs an integer run_id, rating 0-5 and picked true/false");
    marks.set(e.run_id, mark);
  });
  return { batch: legacy ? null : String(doc.batch || ""), marks };
};

CS.Marks = class {
  // sweepId: the served sweep (marks go to the server) or null (localStorage).
  constructor(sheet, sweepId, storage) {
    Object.assign(this, { sheet, sweepId, storage, overrides: new Map(), message: "" });
    this.queue = Promise.resolve();  // one POST at a time: the last click is the last write
    this.key = MARKS_PREFIX + sheet.data.batch.key;
    if (!sweepId) this.loadLocal(FAVS_PREFIX + sheet.data.batch.key);
    this.applyTo(sheet.data.runs);
  }

  loadLocal(favKey) {
    for (const id of CS.readStore(this.storage, favKey, [])) {
      if (Number.isInteger(id)) this.overrides.set(id, { rating: 0, picked: true });
    }
    const saved = CS.readStore(this.storage, this.key, {});
    for (const [id, m] of Object.entries(saved && typeof saved === "object" ? saved : {})) {
      const mark = CS.cleanMark(m), run = Number(id);
      if (mark && Number.isInteger(run)) this.overrides.set(run, mark);  // newer than a favourite
    }
  }

  // Overrides onto runs (the embedded data, or a live update before it is merged).
  // Served: an override the server's data now agrees with is dropped.
  applyTo(runs) {
    for (const r of runs) {
      const m = this.overrides.get(r.id);
      if (!m) continue;
      if (this.sweepId && CS.sameMark(CS.markOf(r), m)) this.overrides.delete(r.id);
      else CS.putMark(r, m);
    }
  }

  // Set a run's mark; resolves true when saved (server or browser storage).
  // quiet: no re-render (an import renders once at the end).
  async set(r, mark, quiet) {
    const before = CS.markOf(r);
    if (CS.sameMark(before, mark)) return true;
    this.overrides.set(r.id, mark);
    CS.putMark(r, mark);
    if (!quiet) this.sheet.marksChanged(r);
    if (!this.sweepId) return this.saveLocal();
    try {
      const post = this.queue.then(() => CS.postMark(this.sweepId, r.id, mark));
      this.queue = post.catch(() => undefined);
      await post;
      this.say("");
      return true;
    } catch (e) {
      if (this.overrides.get(r.id) === mark) { this.overrides.delete(r.id); CS.putMark(r, before); }
      this.say("run " + r.id + ": rating not saved: " + e.message);
      if (!quiet) this.sheet.marksChanged(r);
      return false;
    }
  }

  saveLocal() {
    const out = {};
    for (const [id, m] of this.overrides) out[id] = m;
    const ok = CS.writeStore(this.storage, this.key, out);
    this.say(ok ? "" : "ratings kept for this visit only (browser storage unavailable)");
    return ok;
  }

  say(text) {
    this.message = text;
    const el = document.getElementById("marks-status");
    if (el) el.textContent = text;
  }

  exportDoc() {
    const b = this.sheet.data.batch, marks = [];
    for (const r of this.sheet.data.runs) {
      const m = CS.markOf(r);
      if (!m.rating && !m.picked) continue;
      const values = {};
      for (const k of Object.keys(r.v)) values[k] = CS.full(r, k);
      marks.push({ run_id: r.id, folder: r.folder, rating: m.rating, picked: m.picked, values });
    }
    return { batch: b.key, name: b.name, marks };
  }

  // Import a file's marks; resolves the one line to show.
  async importText(text) {
    const doc = CS.parseMarks(text);
    const own = this.sheet.data.batch.key;
    if (doc.batch && doc.batch !== own) throw new Error("these marks are for batch " + doc.batch + ", not " + own);
    const byId = new Map(this.sheet.data.runs.map((r) => [r.id, r]));
    let n = 0, missing = 0;
    for (const [id, mark] of doc.marks) {
      const r = byId.get(id);
      if (!r) { missing++; continue; }
      if (await this.set(r, mark, true)) n++;
    }
    this.sheet.apply();
    return "imported " + n + " mark(s)" + (missing ? "; " + missing + " run id(s) not in this batch" : "");
  }
};

// The route's error envelope's message, or the HTTP status.
CS.postMark = async function (sweepId, runId, mark) {
  const resp = await fetch("../runs/" + runId + "/rating", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ rating: mark.rating, picked: mark.picked }),
    cache: "no-store",
  });
  if (resp.ok) return resp.json();
  let msg = "HTTP " + resp.status;
  try { msg = (await resp.json()).error.message || msg; } catch (e) { /* not our envelope */ }
  throw new Error(msg);
};

// localStorage can be unavailable (privacy settings): marks then last for the visit.
CS.readStore = function (storage, key, fallback) {
  try { const t = storage && storage.getItem(key); return t ? JSON.parse(t) : fallback; } catch (e) { return fallback; }
};
CS.writeStore = function (storage, key, value) {
  try { storage.setItem(key, JSON.stringify(value)); return true; } catch (e) { return false; }
};

// The next mark for a key press (1-5 stars, 0 clears them, p/f toggles the pick), or null.
CS.markForKey = function (mark, key) {
  if (/^[0-5]$/.test(key)) return { rating: Number(key), picked: mark.picked };
  if (key === "p" || key === "f") return { rating: mark.rating, picked: !mark.picked };
  return null;
};

// Five star buttons and a pick toggle; a click on the current rating clears it.
CS.markControls = function (sheet, r, cls) {
  const box = CS.el("span", "marks " + (cls || ""));
  const mark = CS.markOf(r);
  for (let i = 1; i <= MAX_STARS; i++) {
    const b = CS.el("button", "star" + (i <= mark.rating ? " on" : ""), i <= mark.rating ? "★" : "☆");
    b.title = i + " star" + (i > 1 ? "s" : "") + " (key " + i + ")";
    b.dataset.stars = String(i);
    b.addEventListener("click", (ev) => {
      ev.stopPropagation();
      sheet.marks.set(r, { rating: mark.rating === i ? 0 : i, picked: mark.picked });
    });
    box.append(b);
  }
  const p = CS.el("button", "pick" + (mark.picked ? " on" : ""), mark.picked ? "✔ pick" : "pick");
  p.title = "pick (key P)";
  p.setAttribute("aria-pressed", String(mark.picked));
  p.addEventListener("click", (ev) => { ev.stopPropagation(); sheet.marks.set(r, { rating: mark.rating, picked: !mark.picked }); });
  box.append(p);
  return box;
};
