// sheet_main.js: state, toolbar, metric tools, marks keys, keyboard; wires the
// views together. window.contactSheet is the page's state (tests and the
// benchmark drive it too).
const GROUP_BINS = 12;

CS.Sheet = class {
  constructor(data) {
    this.setData(data);
    const vary = this.cols.filter((c) => c.kind === "param" && c.varying);
    const numericY = this.cols.find((c) => c.key === "m:execution_s") || this.cols.find((c) => c.kind === "metric");
    this.state = { view: "grid", sort: "id", desc: false, group: "", x: vary[0]?.key || "", y: vary[1]?.key || "",
      plotY: numericY?.key || "", metric: "", higher: true, best: false, k: 24 };
    this.filters = { status: null, hiddenStatus: new Set(), pickOnly: false, ranges: {}, values: {} };
    this.heat = null;
    this.bestCounts = new Map();
    this.grid = new CS.Grid(this, document.getElementById("grid-view"), document.getElementById("grid-spacer"));
    this.dialog = new CS.Dialog(this, document.getElementById("dialog"));
    this.lastApplyMs = 0;
  }

  // The columns follow the data: metrics appear as a running sweep's runs finish.
  setData(data) {
    this.data = data;
    this.cols = CS.columns(data);
    this.colByKey = new Map(this.cols.map((c) => [c.key, c]));
    this.varying = data.params.filter((p) => p.varying).map((p) => p.name);
  }

  col(key) { return this.colByKey.get(key); }

  set(changes) {
    Object.assign(this.state, changes);
    this.apply();
  }

  // Filtered, reduced to the best of each sample's seeds when asked, sorted.
  visibleRuns() {
    let runs = CS.filterRuns(this.data.runs, this.cols, this.filters);
    const metric = this.col(this.state.metric);
    this.bestCounts = new Map();
    if (this.state.best && metric) ({ runs, counts: this.bestCounts } = CS.bestOfSamples(runs, metric, this.state.higher));
    return CS.sortRuns(runs, this.col(this.state.sort) || this.cols[0], this.state.desc);
  }

  // Choosing a metric: its direction, and the plots and importance follow it.
  setMetric(key) {
    const changes = { metric: key, higher: CS.higherBetter(this.data, key) };
    if (key) changes.plotY = key;
    this.set(changes);
  }

  // `changed`: run ids a live update changed (sheet_live.js); the grid then
  // rebuilds only those cells when the order stays the same.
  apply(changed) {
    const t0 = performance.now();
    const runs = this.visibleRuns();
    this.shown = runs;
    const metric = this.col(this.state.metric);
    this.heat = metric ? { col: metric, scale: CS.heatScale(runs, metric, this.state.higher) } : null;
    for (const v of CS.VIEWS) document.getElementById(v[0] + "-view").hidden = v[0] !== this.state.view;
    if (this.state.view === "grid") {
      const g = this.col(this.state.group);
      this.grid.setGroups(g ? CS.groupRuns(runs, g, GROUP_BINS) : [{ label: null, runs }], changed);
    } else if (this.state.view === "xy") {
      CS.renderXY(this, document.getElementById("xy-view"), runs, this.col(this.state.x), this.col(this.state.y));
    } else if (this.state.view === "top") {
      CS.renderTopK(this, document.getElementById("top-view"), runs, metric);
    } else {
      const xs = this.cols.filter((c) => c.kind === "param" && c.numeric && c.varying);
      const host = document.getElementById("plot-view"), y = this.col(this.state.plotY);
      CS.renderPlots(this, host, runs, xs, y);
      host.prepend(CS.renderImportance(this, runs, y));
    }
    document.getElementById("status-line").textContent =
      runs.length + " of " + this.data.runs.length + " runs shown";
    CS.syncToolbar(this);
    this.lastApplyMs = performance.now() - t0;
  }

  // A mark changed (sheet_marks.js): re-apply (only its cell is rebuilt when
  // the order stays) and re-show the dialog if it shows that run.
  marksChanged(r) {
    const view = document.getElementById(this.state.view + "-view");
    const scroll = [view.scrollTop, view.scrollLeft];
    this.apply(new Set([r.id]));
    [view.scrollTop, view.scrollLeft] = scroll;
    const d = this.dialog;
    if (d.isOpen && d.list[d.index]?.id === r.id) d.show(d.index);
  }

  markKey(r, key) {
    const next = r ? CS.markForKey(CS.markOf(r), key) : null;
    if (next) this.marks.set(r, next);
    return next !== null;
  }
};

CS.VIEWS = [["grid", "Grid"], ["xy", "XY grid"], ["top", "Top K"], ["plot", "Plots"]];

// Reading window.localStorage itself throws where storage is disabled.
CS.storage = function () {
  try { return window.localStorage; } catch (e) { return null; }
};

CS.select = function (id, label, options, onChange) {
  const wrap = CS.el("label", null, label + " ");
  const sel = CS.el("select");
  sel.id = id;
  for (const [value, text] of options) {
    const o = CS.el("option", null, text);
    o.value = value;
    sel.append(o);
  }
  sel.addEventListener("change", () => onChange(sel.value));
  wrap.append(sel);
  return wrap;
};

CS.buildToolbar = function (sheet) {
  const bar = document.getElementById("toolbar");
  bar.replaceChildren();  // rebuilt when a live update brings new columns
  const opts = (pred) => sheet.cols.filter(pred).map((c) => [c.key, c.label]);
  const params = opts((c) => c.kind === "param");
  for (const v of CS.VIEWS) {
    const b = CS.el("button", "view-btn", v[1]);
    b.id = "view-" + v[0];
    b.addEventListener("click", () => sheet.set({ view: v[0] }));
    bar.append(b);
  }
  bar.append(CS.select("sort-key", "sort", opts(() => true), (k) => sheet.set({ sort: k })));
  const dir = CS.el("button", null, "↑ asc");
  dir.id = "sort-dir";
  dir.addEventListener("click", () => sheet.set({ desc: !sheet.state.desc }));
  bar.append(dir);
  bar.append(CS.select("group-by", "group", [["", "(none)"], ...params, ["status", "status"]], (k) => sheet.set({ group: k })));
  bar.append(CS.select("xy-x", "X", params, (k) => sheet.set({ x: k })));
  bar.append(CS.select("xy-y", "Y", params, (k) => sheet.set({ y: k })));
  bar.append(CS.select("plot-y", "plot against", opts((c) => c.numeric && c.kind !== "id"), (k) => sheet.set({ plotY: k })));
  CS.metricTools(sheet, bar, opts((c) => c.kind === "metric"));
};

// The metric that colours cells (heatmap), picks the best of seeds and ranks the top K.
CS.metricTools = function (sheet, bar, metrics) {
  bar.append(CS.select("metric", "metric", [["", "(none)"], ...metrics], (k) => sheet.setMetric(k)));
  const dir = CS.el("button");
  dir.id = "metric-dir";
  dir.addEventListener("click", () => sheet.set({ higher: !sheet.state.higher }));
  const best = CS.el("button", null, "best of seeds");
  best.id = "best-of";
  best.title = "one run per sample: the best of its seeds by the metric";
  best.addEventListener("click", () => sheet.set({ best: !sheet.state.best }));
  const k = CS.el("input");
  Object.assign(k, { id: "top-k", type: "number", min: "1", max: String(TOPK_MAX), value: String(sheet.state.k) });
  k.addEventListener("input", () => { const n = Number(k.value); if (n >= 1) sheet.set({ k: n }); });
  const kl = CS.el("label", null, "K ");
  kl.append(k);
  bar.append(dir, best, kl);
};

CS.syncToolbar = function (sheet) {
  const s = sheet.state;
  for (const [v] of CS.VIEWS) document.getElementById("view-" + v).setAttribute("aria-pressed", String(s.view === v));
  const set = (id, val) => { const e = document.getElementById(id); if (e.value !== val) e.value = val; };
  set("sort-key", s.sort); set("group-by", s.group); set("xy-x", s.x); set("xy-y", s.y); set("plot-y", s.plotY);
  set("metric", s.metric);
  const dir = document.getElementById("metric-dir");
  dir.textContent = s.higher ? "higher is better" : "lower is better";
  dir.hidden = document.getElementById("best-of").hidden = !s.metric;
  document.getElementById("best-of").setAttribute("aria-pressed", String(s.best));
  document.getElementById("top-k").parentElement.hidden = s.view !== "top";
  document.getElementById("sort-dir").textContent = s.desc ? "↓ desc" : "↑ asc";
  document.getElementById("group-by").parentElement.hidden = s.view !== "grid";
  for (const id of ["xy-x", "xy-y"]) document.getElementById(id).parentElement.hidden = s.view !== "xy";
  document.getElementById("plot-y").parentElement.hidden = s.view !== "plot";
};

CS.onKey = function (sheet, ev) {
  const d = sheet.dialog;
  if (/^(INPUT|SELECT|TEXTAREA)$/.test(ev.target.tagName) || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const key = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
  if (d.isOpen) {
    if (key === "Escape") d.close();
    else if (key === "ArrowLeft") d.show(d.index - 1);
    else if (key === "ArrowRight") d.show(d.index + 1);
    else if (!sheet.markKey(d.list[d.index], key)) return;
    ev.preventDefault();
    return;
  }
  if (sheet.state.view !== "grid") return;
  const focused = sheet.grid.focus >= 0 ? sheet.grid.flat[sheet.grid.focus] : null;
  if (key.startsWith("Arrow")) sheet.grid.move(key);
  else if (key === "Enter" && focused) d.open(sheet.grid.flat, sheet.grid.focus);
  else if (!sheet.markKey(focused, key)) return;
  ev.preventDefault();
};

CS.start = function () {
  const sheet = new CS.Sheet(CS.load());
  window.contactSheet = sheet;
  CS.startBridge(sheet);
  sheet.marks = new CS.Marks(sheet, sheet.sweepId, CS.storage());
  CS.buildToolbar(sheet);
  CS.buildFilters(sheet);
  document.addEventListener("keydown", (ev) => CS.onKey(sheet, ev));
  sheet.apply();
  sheet.live = new CS.Live(sheet, document.getElementById("live-status"));
  sheet.live.start();
  const idle = window.requestIdleCallback || ((fn) => setTimeout(fn, 50));
  idle(() => CS.warmUp(sheet), { timeout: 1000 });
};

// The first sort of 10,000 runs spent ~15 ms in CS.sortRuns against ~3-5 ms
// later (profiled; benchmarks/bench_contact_sheet.py): V8 runs the comparator
// in its interpreter until it is hot. Sorting once by a numeric and a text
// column (results discarded) when the page is idle after its first paint
// means the user's first click gets compiled code.
CS.warmUp = function (sheet) {
  const runs = sheet.data.runs;
  for (const col of [sheet.col("p:" + sheet.varying[0]), sheet.col("status")]) if (col) CS.sortRuns(runs, col, false);
  const num = sheet.cols.find((c) => c.numeric && c.kind !== "id");
  if (num) CS.filterRuns(runs, sheet.cols, { ...sheet.filters, ranges: { [num.key]: [0, NaN] } });
};
