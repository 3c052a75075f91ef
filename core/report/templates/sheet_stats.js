// sheet_stats.js: which settings win, as pure functions over runs (no DOM):
// heat scale, best of a sample's seeds, top K, and per-parameter importance
// against the chosen metric (Spearman's rho for numeric parameters, the
// Kruskal-Wallis eta squared for the others). tests/js/sheet_stats.test.mjs.

// Average ranks (1-based, ties share the mean of their positions).
CS.ranks = function (xs) {
  const idx = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);
  const out = new Float64Array(xs.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && xs[idx[j + 1]] === xs[idx[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[idx[k]] = r;
    i = j + 1;
  }
  return out;
};

CS.pearson = function (a, b) {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
  ma /= n; mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma, db = b[i] - mb;
    sab += da * db; saa += da * da; sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
};

// Spearman's rank correlation: Pearson's r of the (tie-averaged) ranks.
CS.spearman = function (xs, ys) {
  return xs.length < 3 ? NaN : CS.pearson(CS.ranks(xs), CS.ranks(ys));
};

// Effect size of a categorical parameter on ranks: epsilon^2 = H / (n - 1) from
// the (tie-corrected) Kruskal-Wallis H, which equals the eta^2 of an ANOVA on
// the ranks: the share of the metric's rank variance the categories explain,
// like rho^2 for a monotonic trend. 0 = no effect; near 1 when the categories
// order the runs completely (0.9 for 3 groups of 3).
CS.kruskalEta2 = function (labels, ys) {
  const n = ys.length, r = CS.ranks(ys), sums = new Map();
  for (let i = 0; i < n; i++) {
    const g = sums.get(labels[i]) || { s: 0, c: 0 };
    g.s += r[i]; g.c++;
    sums.set(labels[i], g);
  }
  const k = sums.size;
  if (k < 2 || n <= k) return NaN;  // one category, or one run per category: no effect to see
  let h = 0;
  for (const g of sums.values()) h += (g.s * g.s) / g.c;
  h = (12 / (n * (n + 1))) * h - 3 * (n + 1);
  // ties shrink the rank variance: divide by the usual correction
  const tie = CS.tieCorrection(ys);
  if (tie > 0) h /= tie;
  return Math.max(0, Math.min(1, h / (n - 1)));
};

CS.tieCorrection = function (ys) {
  const counts = new Map();
  for (const y of ys) counts.set(y, (counts.get(y) || 0) + 1);
  let t = 0;
  for (const c of counts.values()) t += c * c * c - c;
  const n = ys.length;
  return 1 - t / (n * n * n - n);
};

// Bin labels of numbers for eta^2: the values themselves when few, else
// IMPORTANCE_BINS equal-width ranges (a non-monotonic effect, such as a best
// cfg in the middle, is missed by rho but not by the binned eta^2).
const IMPORTANCE_BINS = 8;
CS.numberBins = function (xs) {
  const [lo, hi] = CS.span(xs);
  if (new Set(xs).size <= IMPORTANCE_BINS || !(hi > lo)) return xs;
  const w = (hi - lo) / IMPORTANCE_BINS;
  return xs.map((x) => Math.min(IMPORTANCE_BINS - 1, Math.floor((x - lo) / w)));
};

// Pairs (x or label, metric) of the runs that have both.
CS.pairsOf = function (runs, col, metricCol) {
  const xs = [], ys = [];
  for (const r of runs) {
    const y = CS.num(metricCol.get(r));
    if (Number.isNaN(y)) continue;
    const raw = col.get(r);
    const x = col.numeric ? CS.num(raw) : CS.fmt(raw);
    if (col.numeric && Number.isNaN(x)) continue;
    xs.push(x);
    ys.push(y);
  }
  return { xs, ys };
};

// One row per parameter, the strongest first: {name, key, rho (numeric only,
// else NaN), eta2, strength, n}. strength = max(rho^2, eta^2): both are a
// share of the metric's rank variance, so numeric and categorical compare.
CS.importance = function (runs, paramCols, metricCol) {
  const rows = paramCols.map((col) => {
    const { xs, ys } = CS.pairsOf(runs, col, metricCol);
    const rho = col.numeric ? CS.spearman(xs, ys) : NaN;
    const eta2 = CS.kruskalEta2(col.numeric ? CS.numberBins(xs) : xs, ys);
    const strength = Math.max(Number.isNaN(rho) ? 0 : rho * rho, Number.isNaN(eta2) ? 0 : eta2);
    return { name: col.label, key: col.key, rho, eta2, strength, n: ys.length };
  });
  return rows.sort((a, b) => b.strength - a.strength || (a.name < b.name ? -1 : 1));
};

// Is a higher value better for this metric column? (data.goals, else yes)
CS.higherBetter = function (data, key) {
  const name = key && key.startsWith("m:") ? key.slice(2) : key;
  return (data.goals || {})[name] !== "minimize";
};

// value -> [0, 1] over the range of `xs`, 1 the best; NaN for a missing value.
CS.scaleOf = function (xs, higher) {
  const [lo, hi] = CS.span(xs), width = hi - lo;
  return (v) => {
    const x = CS.num(v);
    if (Number.isNaN(x) || Number.isNaN(lo)) return NaN;
    const t = width > 0 ? (x - lo) / width : 1;
    return higher ? t : 1 - t;
  };
};

CS.heatScale = function (runs, col, higher) {
  return CS.scaleOf(runs.map((r) => CS.num(col.get(r))), higher);
};

// A colour from bad (deep red) through amber to good (green), for t in [0, 1].
const HEAT_STOPS = [[150, 40, 50], [215, 120, 40], [230, 200, 60], [60, 170, 90]];
CS.heatColor = function (t, alpha) {
  if (Number.isNaN(t)) return "";
  const x = Math.max(0, Math.min(1, t)) * (HEAT_STOPS.length - 1);
  const i = Math.min(HEAT_STOPS.length - 2, Math.floor(x)), f = x - i;
  const c = HEAT_STOPS[i].map((v, j) => Math.round(v + (HEAT_STOPS[i + 1][j] - v) * f));
  return "rgba(" + c.join(",") + "," + (alpha === undefined ? 1 : alpha) + ")";
};

// Compare two runs by a metric, the better first; runs without it last.
CS.byMetric = function (col, higher) {
  return (a, b) => {
    const x = CS.num(col.get(a)), y = CS.num(col.get(b));
    const xm = Number.isNaN(x), ym = Number.isNaN(y);
    if (xm || ym) return xm === ym ? 0 : xm ? 1 : -1;
    return higher ? y - x : x - y;
  };
};

// The best run of each sample (its seeds), in the order of the first run of
// each sample in `runs`; a sample none of whose runs has the value keeps its
// first. Returns {runs, counts: Map(run id -> runs in its sample)}.
CS.bestOfSamples = function (runs, col, higher) {
  const cmp = CS.byMetric(col, higher), best = new Map(), order = [];
  for (const r of runs) {
    const cur = best.get(r.s);
    if (!cur) { best.set(r.s, { r, n: 1 }); order.push(r.s); continue; }
    cur.n++;
    if (cmp(r, cur.r) < 0) cur.r = r;
  }
  const counts = new Map();
  const out = order.map((s) => { const b = best.get(s); counts.set(b.r.id, b.n); return b.r; });
  return { runs: out, counts };
};

// The k best runs that have the value (ties keep the given order).
CS.topK = function (runs, col, higher, k) {
  const has = runs.filter((r) => !Number.isNaN(CS.num(col.get(r))));
  const cmp = CS.byMetric(col, higher);
  return has.map((r, i) => ({ r, i })).sort((a, b) => cmp(a.r, b.r) || a.i - b.i).slice(0, k).map((x) => x.r);
};

// Mean of a metric over runs (NaN when none has it): an XY cell's heat.
CS.meanOf = function (runs, col) {
  let s = 0, n = 0;
  for (const r of runs) { const x = CS.num(col.get(r)); if (!Number.isNaN(x)) { s += x; n++; } }
  return n ? s / n : NaN;
};

// [min, max] of the numbers that are not NaN; [NaN, NaN] when none is.
CS.span = function (xs) {
  let lo = Infinity, hi = -Infinity;
  for (const x of xs) if (!Number.isNaN(x)) { if (x < lo) lo = x; if (x > hi) hi = x; }
  return lo === Infinity ? [NaN, NaN] : [lo, hi];
};

// What the top K share, per varying parameter: the numeric range in the top K
// against the whole, or the values that occur in the top K (most common first).
CS.topSummary = function (top, all, paramCols) {
  return paramCols.map((col) => {
    if (col.numeric) {
      const span = (rs) => CS.span(rs.map((r) => CS.num(col.get(r))));
      return { name: col.label, numeric: true, top: span(top), all: span(all) };
    }
    const counts = new Map();
    for (const r of top) { const v = CS.fmt(col.get(r)); counts.set(v, (counts.get(v) || 0) + 1); }
    const values = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    return { name: col.label, numeric: false, values, distinct: CS.distinct(all, col).length };
  });
};
