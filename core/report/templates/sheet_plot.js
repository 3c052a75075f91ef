// sheet_plot.js: one scatter per numeric parameter against a chosen numeric
// column (execution time, file size, scores). Canvas, so 10,000 points stay cheap;
// click a point to open its run.
const PLOT_W = 360, PLOT_H = 240, PAD = { l: 52, r: 10, t: 8, b: 30 };

CS.renderPlots = function (sheet, host, runs, xCols, yCol) {
  host.replaceChildren();
  if (!yCol || !xCols.length) {
    host.append(CS.el("p", "axis-title", "No numeric parameter or column to plot."));
    return;
  }
  const wrap = CS.el("div", "plots");
  for (const xCol of xCols) if (xCol !== yCol) wrap.append(CS.scatter(sheet, runs, xCol, yCol));
  host.append(wrap);
};

CS.extent = function (xs) {
  let lo = Infinity, hi = -Infinity;
  for (const x of xs) if (!Number.isNaN(x)) { if (x < lo) lo = x; if (x > hi) hi = x; }
  if (lo === Infinity) return [0, 1];
  return lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
};

CS.scatter = function (sheet, runs, xCol, yCol) {
  const box = CS.el("div", "plot");
  box.dataset.x = xCol.label;
  box.append(CS.el("h3", null, yCol.label + " vs " + xCol.label));
  const canvas = CS.el("canvas");
  const dpr = window.devicePixelRatio || 1;
  canvas.width = PLOT_W * dpr; canvas.height = PLOT_H * dpr;
  canvas.style.width = PLOT_W + "px"; canvas.style.height = PLOT_H + "px";
  const pts = [];
  for (const r of runs) {
    const x = CS.num(xCol.get(r)), y = CS.num(yCol.get(r));
    if (!Number.isNaN(x) && !Number.isNaN(y)) pts.push({ r, x, y });
  }
  const [x0, x1] = CS.extent(pts.map((p) => p.x)), [y0, y1] = CS.extent(pts.map((p) => p.y));
  const sx = (x) => PAD.l + ((x - x0) / (x1 - x0)) * (PLOT_W - PAD.l - PAD.r);
  const sy = (y) => PLOT_H - PAD.b - ((y - y0) / (y1 - y0)) * (PLOT_H - PAD.t - PAD.b);
  const g = canvas.getContext("2d");
  g.scale(dpr, dpr);
  CS.axes(g, xCol.label, [x0, x1], [y0, y1]);
  for (const p of pts) {
    p.px = sx(p.x); p.py = sy(p.y);
    g.fillStyle = p.r.pk === true ? "#ffcc33" : p.r.status === "failed" ? "#ff6b6b" : "#5aa9ffcc";
    g.beginPath(); g.arc(p.px, p.py, runs.length > 2000 ? 1.5 : 3, 0, 2 * Math.PI); g.fill();
  }
  canvas.addEventListener("click", (ev) => {
    const rect = canvas.getBoundingClientRect(), mx = ev.clientX - rect.left, my = ev.clientY - rect.top;
    let best = null, bd = 64;
    for (const p of pts) {
      const d = (p.px - mx) ** 2 + (p.py - my) ** 2;
      if (d < bd) { bd = d; best = p; }
    }
    if (best) sheet.dialog.open(pts.map((p) => p.r), pts.indexOf(best));
  });
  box.append(canvas);
  box.append(CS.el("div", "axis-title", pts.length + " points"));
  return box;
};

CS.axes = function (g, xLabel, [x0, x1], [y0, y1]) {
  g.strokeStyle = "#555"; g.fillStyle = "#9aa0aa"; g.font = "11px sans-serif";
  g.beginPath();
  g.moveTo(PAD.l, PAD.t); g.lineTo(PAD.l, PLOT_H - PAD.b); g.lineTo(PLOT_W - PAD.r, PLOT_H - PAD.b);
  g.stroke();
  g.textAlign = "left"; g.fillText(CS.fmt(x0), PAD.l, PLOT_H - PAD.b + 12);
  g.textAlign = "right"; g.fillText(CS.fmt(x1), PLOT_W - PAD.r, PLOT_H - PAD.b + 12);
  g.textAlign = "center"; g.fillText(xLabel, (PAD.l + PLOT_W) / 2, PLOT_H - 4);
  g.textAlign = "right";
  g.fillText(CS.fmt(y1), PAD.l - 4, PAD.t + 10); g.fillText(CS.fmt(y0), PAD.l - 4, PLOT_H - PAD.b);
};
