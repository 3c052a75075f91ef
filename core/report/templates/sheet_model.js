// sheet_model.js: data access, sorting, filtering, binning. Pure functions over
// the embedded JSON; nothing here touches the DOM.
const CS = {};

CS.load = function () {
  return JSON.parse(document.getElementById("sheet-data").textContent);
};

CS.num = function (v) {
  if (typeof v === "number") return v;
  if (typeof v === "boolean" || v === null || v === undefined || v === "") return NaN;
  return Number(v);
};

CS.fmt = function (v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : String(+v.toPrecision(5));
  }
  return String(v);
};

CS.fmtBytes = function (n) {
  if (!(n >= 0)) return "";
  const u = ["B", "KB", "MB", "GB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : n) + " " + u[i];
};

// Every column a run can be sorted, filtered, grouped or plotted by.
CS.columns = function (data) {
  const cols = [{ key: "id", label: "run id", numeric: true, kind: "id", get: (r) => r.id }];
  for (const p of data.params) {
    cols.push({ key: "p:" + p.name, label: p.name, numeric: p.numeric, varying: p.varying,
      kind: "param", get: (r) => r.v[p.name] });
  }
  for (const m of data.metrics) {
    cols.push({ key: "m:" + m, label: m, numeric: true, kind: "metric", get: (r) => r.m[m] });
  }
  cols.push({ key: "status", label: "status", numeric: false, kind: "status", get: (r) => r.status });
  return cols;
};

// Sort a copy of `runs` by one column; missing values last in both directions.
CS.sortRuns = function (runs, col, desc) {
  const keyed = runs.map((r, i) => {
    const raw = col.get(r);
    return { r, i, k: col.numeric ? CS.num(raw) : raw === undefined || raw === null ? null : String(raw) };
  });
  const sign = desc ? -1 : 1;
  keyed.sort((a, b) => {
    const am = col.numeric ? Number.isNaN(a.k) : a.k === null;
    const bm = col.numeric ? Number.isNaN(b.k) : b.k === null;
    if (am || bm) return am === bm ? a.i - b.i : am ? 1 : -1;
    if (a.k < b.k) return -sign;
    if (a.k > b.k) return sign;
    return a.i - b.i;
  });
  return keyed.map((x) => x.r);
};

// filters: {status:Set|null, pickOnly, ranges:{key:[lo,hi]}, values:{key:Set}}
CS.filterRuns = function (runs, cols, f) {
  const byKey = new Map(cols.map((c) => [c.key, c]));
  const ranges = Object.entries(f.ranges || {}).filter(([, lh]) => !Number.isNaN(lh[0]) || !Number.isNaN(lh[1]));
  const values = Object.entries(f.values || {}).filter(([, s]) => s);
  return runs.filter((r) => {
    if (f.status && !f.status.has(r.status)) return false;
    if (f.pickOnly && r.pk !== true) return false;
    for (const [key, [lo, hi]] of ranges) {
      const x = CS.num(byKey.get(key).get(r));
      if (Number.isNaN(x) || (!Number.isNaN(lo) && x < lo) || (!Number.isNaN(hi) && x > hi)) return false;
    }
    for (const [key, set] of values) {
      if (!set.has(CS.fmt(byKey.get(key).get(r)))) return false;
    }
    return true;
  });
};

CS.distinct = function (runs, col) {
  const seen = new Map();
  for (const r of runs) {
    const v = col.get(r);
    const k = CS.fmt(v);
    if (!seen.has(k)) seen.set(k, v);
  }
  const vals = [...seen.values()];
  if (col.numeric) vals.sort((a, b) => CS.num(a) - CS.num(b));
  else vals.sort((a, b) => (CS.fmt(a) < CS.fmt(b) ? -1 : CS.fmt(a) > CS.fmt(b) ? 1 : 0));
  return vals;
};

// Buckets of one column for grouping and XY axes: its distinct values when
// there are few, equal-width ranges for a continuous numeric column.
CS.bins = function (runs, col, maxBins) {
  const vals = CS.distinct(runs, col);
  if (!col.numeric || vals.length <= maxBins) {
    const idx = new Map(vals.map((v, i) => [CS.fmt(v), i]));
    return { labels: vals.map(CS.fmt), of: (r) => idx.get(CS.fmt(col.get(r))) };
  }
  const nums = vals.map(CS.num).filter((x) => !Number.isNaN(x));
  const lo = nums[0], hi = nums[nums.length - 1], w = (hi - lo) / maxBins || 1;
  const labels = [];
  for (let i = 0; i < maxBins; i++) labels.push(CS.fmt(lo + i * w) + " – " + CS.fmt(lo + (i + 1) * w));
  labels.push("(none)");
  return { labels, of: (r) => {
    const x = CS.num(col.get(r));
    return Number.isNaN(x) ? maxBins : Math.min(maxBins - 1, Math.floor((x - lo) / w));
  } };
};

CS.groupRuns = function (runs, col, maxBins) {
  const b = CS.bins(runs, col, maxBins);
  const groups = b.labels.map((label) => ({ label, runs: [] }));
  for (const r of runs) groups[b.of(r)].runs.push(r);
  return groups.filter((g) => g.runs.length);
};

// A value as the run used it: the full text of a value shown by its short label
// (r.t holds those: a replaced prompt, a filled template), else the value itself.
CS.full = function (r, name) {
  return r.t && Object.prototype.hasOwnProperty.call(r.t, name) ? r.t[name] : r.v[name];
};

// A run's identity and parameter values, in the shape of its params.json
// (docs/run-store.md): what "load into graph" and scripts need.
CS.paramsJson = function (data, r) {
  const parameters = {};
  for (const p of data.params) parameters[p.name] = CS.full(r, p.name);
  return JSON.stringify({ run_id: r.id, folder: r.folder, parameters, status: r.status }, null, 2);
};

CS.el = function (tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;  // never innerHTML with data
  return e;
};
