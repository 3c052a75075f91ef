// sheet_xy.js: the XY grid: two columns as axes, a labelled matrix of the
// (filtered, sorted) runs; a matrix cell shows its first run and how many more.
// With a metric chosen a cell shows its best run (the best of its seeds) first
// and is coloured by the mean of the metric over its runs (a heatmap).
const XY_MAX_BINS = 10;

CS.renderXY = function (sheet, host, runs, xCol, yCol) {
  host.replaceChildren();
  if (!xCol || !yCol) {
    host.append(CS.el("p", "axis-title", "Pick two parameters as X and Y axes."));
    return;
  }
  const xb = CS.bins(runs, xCol, XY_MAX_BINS), yb = CS.bins(runs, yCol, XY_MAX_BINS);
  const cells = yb.labels.map(() => xb.labels.map(() => []));
  for (const r of runs) cells[yb.of(r)][xb.of(r)].push(r);
  const usedX = xb.labels.map((_, i) => cells.some((row) => row[i].length));
  const heat = CS.xyHeat(sheet, cells);
  host.append(CS.el("div", "axis-title", "X: " + xCol.label + "   ·   Y: " + yCol.label +
    "   ·   other parameters: use the filters"));
  const table = CS.el("table", "xy");
  const head = table.createTHead().insertRow();
  head.append(CS.el("th", null, yCol.label + " \\ " + xCol.label));
  xb.labels.forEach((l, i) => { if (usedX[i]) head.append(CS.el("th", null, l)); });
  const body = table.createTBody();
  yb.labels.forEach((label, yi) => {
    if (!cells[yi].some((c) => c.length)) return;
    const tr = body.insertRow();
    tr.append(CS.el("th", null, label));
    cells[yi].forEach((list, xi) => { if (usedX[xi]) tr.append(CS.xyCell(sheet, list, heat)); });
  });
  host.append(table);
};

// Per cell: its runs best first and the colour of its mean (null: no metric).
CS.xyHeat = function (sheet, cells) {
  const col = sheet.heat && sheet.heat.col;
  if (!col) return null;
  const higher = sheet.state.higher, cmp = CS.byMetric(col, higher);
  for (const row of cells) for (const list of row) list.sort(cmp);  // stable: ties keep the sort order
  const means = cells.map((row) => row.map((list) => CS.meanOf(list, col)));
  return { col, means, scale: CS.scaleOf(means.flat(), higher) };
};

CS.xyCell = function (sheet, list, heat) {
  const td = CS.el("td");
  if (!list.length) {
    td.append(CS.el("div", "empty", "—"));
    return td;
  }
  const mean = heat ? CS.meanOf(list, heat.col) : NaN;
  if (!Number.isNaN(mean)) {
    td.style.background = CS.heatColor(heat.scale(mean), 0.55);
    td.dataset.mean = String(mean);
    td.append(CS.el("div", "xy-mean", "mean " + CS.fmt(+mean.toPrecision(4)) + " · n=" + list.length));
  }
  const cell = CS.makeCell(sheet, list[0]);
  cell.style.background = "";  // the matrix cell's colour is its mean's
  if (list.length > 1) cell.append(CS.el("span", "badge more", "+" + (list.length - 1)));
  cell.addEventListener("click", () => sheet.dialog.open(list, 0));
  td.append(cell);
  return td;
};
