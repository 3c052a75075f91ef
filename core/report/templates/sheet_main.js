// sheet_main.js: state, toolbar, filter panel, favourites, keyboard; wires the
// views together. window.contactSheet is the page's state (tests and the
// benchmark drive it too).
const GROUP_BINS = 12;

CS.Sheet = class {
  constructor(data) {
    this.setData(data);
    this.favKey = "comfy-sweep:favourites:" + data.batch.key;
    this.favs = new Set(CS.loadFavs(this.favKey));
    const vary = this.cols.filter((c) => c.kind === "param" && c.varying);
    const numericY = this.cols.find((c) => c.key === "m:execution_s") || this.cols.find((c) => c.kind === "metric");
    this.state = { view: "grid", sort: "id", desc: false, group: "", x: vary[0]?.key || "", y: vary[1]?.key || "",
      plotY: numericY?.key || "" };
    this.filters = { status: null, hiddenStatus: new Set(), favOnly: false, favs: this.favs, ranges: {}, values: {} };
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

  visibleRuns() {
    const filtered = CS.filterRuns(this.data.runs, this.cols, this.filters);
    return CS.sortRuns(filtered, this.col(this.state.sort) || this.cols[0], this.state.desc);
  }

  // `changed`: run ids a live update changed (sheet_live.js); the grid then
  // rebuilds only those cells when the order stays the same.
  apply(changed) {
    const t0 = performance.now();
    const runs = this.visibleRuns();
    this.shown = runs;
    for (const v of ["grid", "xy", "plot"]) document.getElementById(v + "-view").hidden = v !== this.state.view;
    if (this.state.view === "grid") {
      const g = this.col(this.state.group);
      this.grid.setGroups(g ? CS.groupRuns(runs, g, GROUP_BINS) : [{ label: null, runs }], changed);
    } else if (this.state.view === "xy") {
      CS.renderXY(this, document.getElementById("xy-view"), runs, this.col(this.state.x), this.col(this.state.y));
    } else {
      const xs = this.cols.filter((c) => c.kind === "param" && c.numeric && c.varying);
      CS.renderPlots(this, document.getElementById("plot-view"), runs, xs, this.col(this.state.plotY));
    }
    document.getElementById("status-line").textContent =
      runs.length + " of " + this.data.runs.length + " runs shown";
    CS.syncToolbar(this);
    this.lastApplyMs = performance.now() - t0;
  }

  toggleFav(id) {
    if (this.favs.has(id)) this.favs.delete(id); else this.favs.add(id);
    CS.saveFavs(this.favKey, this.favs);
    if (this.state.view === "grid") this.grid.refresh(); else this.apply();
  }

  exportFavs() {
    const byId = new Map(this.data.runs.map((r) => [r.id, r]));
    return [...this.favs].sort((a, b) => a - b).filter((id) => byId.has(id)).map((id) => {
      const r = byId.get(id);
      const values = {};
      for (const k of Object.keys(r.v)) values[k] = CS.full(r, k);
      return { run_id: id, folder: r.folder, values };
    });
  }
};

// localStorage can be unavailable (privacy settings): favourites then last for the visit.
CS.loadFavs = function (key) {
  try { return JSON.parse(localStorage.getItem(key) || "[]").filter(Number.isInteger); } catch (e) { return []; }
};
CS.saveFavs = function (key, favs) {
  try { localStorage.setItem(key, JSON.stringify([...favs])); } catch (e) { /* kept in memory */ }
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
  for (const v of [["grid", "Grid"], ["xy", "XY grid"], ["plot", "Plots"]]) {
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
};

CS.syncToolbar = function (sheet) {
  const s = sheet.state;
  for (const v of ["grid", "xy", "plot"]) document.getElementById("view-" + v).setAttribute("aria-pressed", String(s.view === v));
  const set = (id, val) => { const e = document.getElementById(id); if (e.value !== val) e.value = val; };
  set("sort-key", s.sort); set("group-by", s.group); set("xy-x", s.x); set("xy-y", s.y); set("plot-y", s.plotY);
  document.getElementById("sort-dir").textContent = s.desc ? "↓ desc" : "↑ asc";
  document.getElementById("group-by").parentElement.hidden = s.view !== "grid";
  for (const id of ["xy-x", "xy-y"]) document.getElementById(id).parentElement.hidden = s.view !== "xy";
  document.getElementById("plot-y").parentElement.hidden = s.view !== "plot";
};

CS.onKey = function (sheet, ev) {
  const d = sheet.dialog;
  if (d.isOpen) {
    if (ev.key === "Escape") d.close();
    else if (ev.key === "ArrowLeft") d.show(d.index - 1);
    else if (ev.key === "ArrowRight") d.show(d.index + 1);
    else return;
    ev.preventDefault();
    return;
  }
  if (sheet.state.view !== "grid" || /^(INPUT|SELECT|TEXTAREA)$/.test(ev.target.tagName)) return;
  if (ev.key.startsWith("Arrow")) sheet.grid.move(ev.key);
  else if (ev.key === "Enter" && sheet.grid.focus >= 0) d.open(sheet.grid.flat, sheet.grid.focus);
  else if (ev.key === "f" && sheet.grid.focus >= 0) sheet.toggleFav(sheet.grid.flat[sheet.grid.focus].id);
  else return;
  ev.preventDefault();
};

CS.start = function () {
  const sheet = new CS.Sheet(CS.load());
  window.contactSheet = sheet;
  CS.startBridge(sheet);
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
