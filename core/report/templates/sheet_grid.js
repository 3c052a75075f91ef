// sheet_grid.js: the virtualised thumbnail grid. Only the rows in (or near)
// the viewport exist in the DOM, so 10,000 runs cost what 50 do.
const CELL_W = 196, CELL_H = 236, HEAD_H = 32, OVERSCAN = 2 * CELL_H;

// One cell: thumbnail (or a placeholder), badges, varying values, error.
CS.makeCell = function (sheet, r) {
  const cell = CS.el("div", "cell");
  cell.dataset.runId = String(r.id);
  const frame = CS.el("div", "frame");
  const src = r.thumb || (r.kind === "image" ? r.out : null);
  if (src) {
    const img = CS.el("img");
    img.loading = "lazy";
    img.decoding = "async";
    img.alt = "run " + r.id;
    img.addEventListener("error", () => frame.replaceChildren(CS.el("div", "ph", "thumbnail missing")));
    img.src = src;
    frame.append(img);
  } else {
    const label = r.status === "done" ? (r.kind ? r.kind + " (no thumbnail)" : "no output") : r.status;
    frame.append(CS.el("div", "ph", label));
  }
  cell.append(frame);
  if (r.status !== "done") cell.append(CS.el("span", "badge st " + r.status, r.status));
  if (r.kind === "video") cell.append(CS.el("span", "badge kind", "▶ video"));
  const mark = CS.markOf(r);
  if (mark.rating || mark.picked) cell.classList.add("marked");
  cell.append(CS.markControls(sheet, r, "badge"));
  CS.heatBadges(sheet, cell, r);
  cell.append(CS.caption(sheet, r));
  if (r.error || r.note) {
    const err = CS.el("div", "err", r.error || r.note);
    err.title = r.error || r.note;
    cell.append(err);
  }
  return cell;
};

// The chosen metric's value on a cell coloured bad→good (sheet.heat, set by
// apply), and "best of N" when the grid shows one run per sample.
CS.heatBadges = function (sheet, cell, r) {
  const n = sheet.bestCounts.get(r.id);
  if (n > 1) cell.append(CS.el("span", "badge best", "best of " + n));
  if (!sheet.heat) return;
  const v = sheet.heat.col.get(r), t = sheet.heat.scale(v);
  if (Number.isNaN(t)) return;
  const chip = CS.el("span", "badge heat", CS.fmt(v));
  chip.style.background = CS.heatColor(t, 0.95);
  cell.style.background = CS.heatColor(t, 0.22);
  cell.dataset.heat = t.toFixed(3);
  cell.append(chip);
};

CS.caption = function (sheet, r) {
  const cap = CS.el("div", "cap");
  cap.append(CS.el("b", null, "#" + r.id + " "));
  const parts = sheet.varying.map((n) => n + "=" + CS.fmt(r.v[n]));
  // One unbreakable span per name=value: lines wrap between values, never inside one.
  parts.forEach((p, i) => {
    if (i) cap.append(document.createTextNode(" "));
    cap.append(CS.el("span", "kv", p));
  });
  // A short label's full text (a replaced prompt, a filled template) on hover.
  cap.title = sheet.varying.map((n, i) => (r.t && n in r.t ? n + "=" + r.t[n] : parts[i])).join("\n");
  return cap;
};

// Same groups with the same runs in the same order (compared by run id).
CS.sameLayout = function (a, b) {
  if (!a || a.length !== b.length) return false;
  for (let g = 0; g < a.length; g++) {
    const x = a[g], y = b[g];
    if (x.label !== y.label || x.runs.length !== y.runs.length) return false;
    for (let i = 0; i < x.runs.length; i++) if (x.runs[i].id !== y.runs[i].id) return false;
  }
  return true;
};

CS.Grid = class {
  constructor(sheet, root, spacer) {
    Object.assign(this, { sheet, root, spacer, rows: [], flat: [], focus: -1, shown: new Map() });
    this.pending = false;
    root.addEventListener("scroll", () => this.schedule());
    window.addEventListener("resize", () => this.layout());
  }

  // groups: [{label: string|null, runs: [...]}] in display order. `changed`
  // (run ids, from a live update): when the order is the same, only the rows
  // on screen holding those runs are rebuilt, so the rest do not flicker.
  setGroups(groups, changed) {
    const flat = groups.flatMap((g) => g.runs);
    if (changed && CS.sameLayout(this.groups, groups)) {
      this.groups = groups;
      this.flat = flat;
      return this.rebuildRows(changed);
    }
    const focusId = this.flat[this.focus]?.id;  // the focus follows its run
    this.groups = groups;
    this.flat = flat;
    this.focus = focusId === undefined ? -1 : flat.findIndex((r) => r.id === focusId);
    this.layout();
  }

  // Only the changed cells: the others keep their loaded images (thumbnails
  // are served uncached while a sweep runs, so a rebuilt cell would reload).
  rebuildRows(changed) {
    for (const [i, el] of this.shown) {
      const row = this.rows[i];
      if (row.head !== undefined) continue;
      for (let k = row.start; k < row.start + row.n; k++) {
        if (changed.has(this.flat[k].id)) el.children[k - row.start].replaceWith(this.gridCell(k));
      }
    }
  }

  layout() {
    const cols = Math.max(1, Math.floor((this.root.clientWidth - 12) / CELL_W));
    this.cols = cols;
    this.rows = [];
    this.rowOf = new Int32Array(this.flat.length);
    let top = 0, start = 0;
    for (const g of this.groups || []) {
      if (g.label !== null) {
        this.rows.push({ head: g.label + "  (" + g.runs.length + ")", top });
        top += HEAD_H;
      }
      for (let i = 0; i < g.runs.length; i += cols) {
        for (let j = i; j < Math.min(i + cols, g.runs.length); j++) this.rowOf[start + j] = this.rows.length;
        this.rows.push({ start: start + i, n: Math.min(cols, g.runs.length - i), top });
        top += CELL_H;
      }
      start += g.runs.length;
    }
    this.spacer.style.height = top + "px";
    for (const el of this.shown.values()) el.remove();
    this.shown.clear();
    this.render();
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.render(); });
  }

  firstRowAt(y) {
    let lo = 0, hi = this.rows.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.rows[mid].top <= y) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  render() {
    const y0 = this.root.scrollTop - OVERSCAN, y1 = this.root.scrollTop + this.root.clientHeight + OVERSCAN;
    const want = new Set();
    for (let i = this.firstRowAt(Math.max(0, y0)); i < this.rows.length && this.rows[i].top < y1; i++) {
      want.add(i);
      if (!this.shown.has(i)) {
        const el = this.makeRow(this.rows[i]);
        this.spacer.append(el);
        this.shown.set(i, el);
      }
    }
    for (const [i, el] of this.shown) {
      if (!want.has(i)) { el.remove(); this.shown.delete(i); }
    }
  }

  makeRow(row) {
    if (row.head !== undefined) {
      const h = CS.el("div", "ghead", row.head);
      h.style.top = row.top + "px";
      return h;
    }
    const el = CS.el("div", "grow");
    el.style.top = row.top + "px";
    for (let k = row.start; k < row.start + row.n; k++) el.append(this.gridCell(k));
    return el;
  }

  gridCell(k) {
    const cell = CS.makeCell(this.sheet, this.flat[k]);
    cell.dataset.index = String(k);
    if (k === this.focus) cell.classList.add("focus");
    cell.addEventListener("click", () => { this.setFocus(k); this.sheet.dialog.open(this.flat, k); });
    return cell;
  }

  refresh() {  // same layout, cells rebuilt
    for (const el of this.shown.values()) el.remove();
    this.shown.clear();
    this.render();
  }

  setFocus(k) {
    if (!this.flat.length) return;
    this.focus = Math.max(0, Math.min(this.flat.length - 1, k));
    const row = this.rows[this.rowOf[this.focus]];
    const v = this.root;
    if (row.top < v.scrollTop) v.scrollTop = row.top;
    else if (row.top + CELL_H > v.scrollTop + v.clientHeight) v.scrollTop = row.top + CELL_H - v.clientHeight;
    this.render();
    for (const c of this.spacer.querySelectorAll(".cell.focus")) c.classList.remove("focus");
    this.spacer.querySelector('.cell[data-index="' + this.focus + '"]')?.classList.add("focus");
  }

  // Arrow keys: left/right step through the order, up/down keep the column.
  move(key) {
    if (this.focus < 0) return this.setFocus(0);
    const ri = this.rowOf[this.focus], row = this.rows[ri], col = this.focus - row.start;
    if (key === "ArrowLeft") return this.setFocus(this.focus - 1);
    if (key === "ArrowRight") return this.setFocus(this.focus + 1);
    const step = key === "ArrowUp" ? -1 : 1;
    let j = ri + step;
    while (j >= 0 && j < this.rows.length && this.rows[j].head !== undefined) j += step;
    if (j < 0 || j >= this.rows.length) return;
    this.setFocus(this.rows[j].start + Math.min(col, this.rows[j].n - 1));
  }
};
