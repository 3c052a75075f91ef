// sheet_live.js: a running sweep's page fills in. Served over http(s) (the
// ComfyUI route .../files/contact_sheet.html, regenerated as runs finish), the
// page polls contact_sheet.json beside it (the same data it embeds, written by
// every render) and merges new and changed runs into the open page, keeping
// sort, filters, view, dialog and scroll. Opened as a local file, fetch is
// blocked, so it only says that the page is a snapshot.
const LIVE_MS = 2000, LIVE_MAX_MS = 30000, LIVE_DATA = "contact_sheet.json";
const LIVE_STATES = new Set(["queued", "running"]);

CS.Live = class {
  constructor(sheet, el) {
    Object.assign(this, { sheet, el, etag: null, delay: LIVE_MS, polling: false, trouble: "" });
  }

  start() {
    if (!this.el || !LIVE_STATES.has(this.sheet.data.batch.state)) return;
    if (!/^https?:$/.test(location.protocol)) {
      this.show("static", "sweep still running — reload to see new runs");
      return;
    }
    this.polling = true;
    this.render();
    this.schedule();
  }

  schedule() { setTimeout(() => this.tick(), this.delay); }

  async tick() {
    try {
      const data = await this.fetchData();
      if (data) CS.mergeData(this.sheet, data);
      this.trouble = "";
      this.delay = LIVE_MS;
    } catch (e) {
      // The server restarting, a moment without network: back off, keep trying.
      this.trouble = " · connection lost, retrying";
      this.delay = Math.min(LIVE_MAX_MS, this.delay * 2);
    }
    this.polling = LIVE_STATES.has(this.sheet.data.batch.state);
    this.render();
    if (this.polling) this.schedule();
  }

  // null when nothing changed: the route answers 304 to If-None-Match.
  async fetchData() {
    const headers = this.etag ? { "If-None-Match": this.etag } : {};
    const resp = await fetch(LIVE_DATA, { cache: "no-store", headers });
    if (resp.status === 304) return null;
    if (!resp.ok) throw new Error(LIVE_DATA + ": HTTP " + resp.status);
    const data = await resp.json();
    this.etag = resp.headers.get("ETag");
    return data && data.schema === this.sheet.data.schema && Array.isArray(data.runs) ? data : null;
  }

  render() {
    const b = this.sheet.data.batch;
    const counts = b.done + "/" + b.total + " done" + (b.failed ? " · " + b.failed + " failed" : "");
    if (this.polling) this.show("live", "● live · " + counts + this.trouble);
    else this.show(b.state, "■ sweep " + b.state + " · " + counts);
  }

  show(state, text) {
    this.el.hidden = false;
    this.el.dataset.state = state;
    this.el.textContent = text;
  }
};

// Merge runs in place: the grid, the XY cells and an open dialog hold these
// objects, so they see the new status, thumbnail and metrics.
CS.mergeRuns = function (old, fresh) {
  const byId = new Map(old.map((r) => [r.id, r]));
  const changed = new Set();
  const runs = fresh.map((r) => {
    const o = byId.get(r.id);
    if (o && JSON.stringify(o) === JSON.stringify(r)) return o;
    changed.add(r.id);
    return o ? Object.assign(o, r) : r;
  });
  return { runs, changed };
};

CS.mergeData = function (sheet, data) {
  if (sheet.marks) sheet.marks.applyTo(data.runs);  // marks not yet in the server's data stay
  const { runs, changed } = CS.mergeRuns(sheet.data.runs, data.runs);
  const shape = (d) => JSON.stringify([d.params, d.metrics, CS.statuses(d.runs)]);
  const reshaped = shape(sheet.data) !== shape({ ...data, runs });
  sheet.setData({ ...data, runs });
  CS.updateSummary(data.batch);
  if (!changed.size && !reshaped) return;
  const view = document.getElementById(sheet.state.view + "-view");
  const scroll = [view.scrollTop, view.scrollLeft];
  if (reshaped) {
    if (!sheet.state.plotY && sheet.col("m:execution_s")) sheet.state.plotY = "m:execution_s";
    CS.buildToolbar(sheet);
    CS.buildFilters(sheet);
  }
  sheet.apply(changed);
  [view.scrollTop, view.scrollLeft] = scroll;  // XY and plots are redrawn whole
  const d = sheet.dialog;
  if (d.isOpen && changed.has(d.list[d.index].id)) d.show(d.index);
};

CS.updateSummary = function (b) {
  document.getElementById("batch-summary").textContent =
    b.done + " done · " + b.failed + " failed · " + b.total + " planned" + (b.state ? " · " + b.state : "");
};
