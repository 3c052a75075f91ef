// sheet_insight.js: which settings win, on screen: the top K runs by the
// chosen metric with what they have in common, and the per-parameter
// importance shown above the scatter plots. The numbers: sheet_stats.js.
const TOPK_MAX = 200;

CS.metricTitle = function (col, higher) {
  return col.label + (higher ? " (higher is better)" : " (lower is better)");
};

CS.renderTopK = function (sheet, host, runs, metricCol) {
  host.replaceChildren();
  if (!metricCol) {
    host.append(CS.el("p", "axis-title", "Pick a metric in the toolbar to rank the runs."));
    return;
  }
  const higher = sheet.state.higher;
  const k = Math.max(1, Math.min(TOPK_MAX, sheet.state.k));
  const top = CS.topK(runs, metricCol, higher, k);
  host.append(CS.el("div", "axis-title", "Top " + top.length + " of " + runs.length + " runs by " +
    CS.metricTitle(metricCol, higher) + (sheet.state.best ? " · best of each sample's seeds" : "")));
  if (!top.length) return;
  host.append(CS.topShare(sheet, top, runs));
  const list = CS.el("div", "topk");
  top.forEach((r, i) => {
    const cell = CS.makeCell(sheet, r);
    cell.append(CS.el("span", "badge rank", "#" + (i + 1)));
    cell.addEventListener("click", () => sheet.dialog.open(top, i));
    list.append(cell);
  });
  host.append(list);
};

// "What the top K share": per varying parameter, its range or values there.
CS.topShare = function (sheet, top, all) {
  const cols = sheet.cols.filter((c) => c.kind === "param" && c.varying);
  const t = CS.el("table", "topshare");
  const head = t.createTHead().insertRow();
  for (const h of ["parameter", "in the top " + top.length, "in all " + all.length]) head.append(CS.el("th", null, h));
  for (const row of CS.topSummary(top, all, cols)) {
    const tr = t.insertRow();
    tr.append(CS.el("td", null, row.name));
    if (row.numeric) {
      tr.append(CS.el("td", null, CS.fmt(row.top[0]) + " – " + CS.fmt(row.top[1])));
      tr.append(CS.el("td", null, CS.fmt(row.all[0]) + " – " + CS.fmt(row.all[1])));
    } else {
      const text = row.values.slice(0, 6).map(([v, n]) => (v === "" ? "(empty)" : v) + " ×" + n).join(", ");
      const cell = CS.el("td", null, text + (row.values.length > 6 ? ", …" : ""));
      cell.title = row.values.map(([v, n]) => v + " ×" + n).join("\n");
      tr.append(cell, CS.el("td", null, row.distinct + " values"));
    }
  }
  return t;
};

// Bars of rho^2 / eta^2 per parameter against the plots' Y column.
CS.renderImportance = function (sheet, runs, yCol) {
  const box = CS.el("div", "importance");
  if (!yCol) return box;
  const cols = sheet.cols.filter((c) => c.kind === "param" && c.varying && c !== yCol);
  box.append(CS.el("h3", null, "What explains " + yCol.label + " (" + runs.length + " runs shown)"));
  const t = CS.el("table");
  for (const row of CS.importance(runs, cols, yCol)) {
    const tr = t.insertRow();
    tr.dataset.param = row.name;
    tr.append(CS.el("td", "name", row.name));
    const bar = CS.el("div", "bar");
    bar.style.width = Math.round(row.strength * 100) + "%";
    const track = CS.el("td", "track");
    track.append(bar);
    const parts = [];
    if (!Number.isNaN(row.rho)) parts.push("ρ = " + (row.rho > 0 ? "+" : "") + row.rho.toFixed(2));
    if (!Number.isNaN(row.eta2)) parts.push("η² = " + row.eta2.toFixed(2));
    tr.append(track, CS.el("td", "val", parts.join(" · ") || "n/a"), CS.el("td", "n", "n=" + row.n));
    tr.title = "bar: the larger of ρ² (Spearman rank correlation, a monotonic trend) and η² " +
      "(Kruskal-Wallis effect size over the values, or 8 ranges of a continuous parameter: any shape)";
  }
  box.append(t);
  return box;
};
