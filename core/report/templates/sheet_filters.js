// sheet_filters.js: the filter panel: status, picks, a min/max range per
// numeric column (rating and scores too), value checkboxes per other column,
// and the export/import of ratings and picks.
const MAX_VALUE_BOXES = 60;

// Built from sheet.filters, so a live update (new statuses, new metric
// columns) can rebuild the panel without losing what the user set.
CS.buildFilters = function (sheet) {
  const host = document.getElementById("filters");
  const open = new Set([...host.querySelectorAll("details[open] > summary")].map((s) => s.textContent));
  host.replaceChildren(CS.el("h2", null, "Filters"));
  host.append(CS.statusFilter(sheet));
  const pick = CS.el("label");
  const box = CS.el("input");
  box.type = "checkbox";
  box.id = "pick-only";
  box.checked = sheet.filters.pickOnly;
  box.addEventListener("change", () => { sheet.filters.pickOnly = box.checked; sheet.apply(); });
  pick.append(box, document.createTextNode(" picks only"));
  host.append(pick);
  for (const col of sheet.cols) {
    if (col.kind === "status" || (col.kind === "param" && !col.varying)) continue;
    host.append(col.numeric ? CS.rangeFilter(sheet, col) : CS.valueFilter(sheet, col));
  }
  host.append(CS.marksSection(sheet));
  for (const d of host.querySelectorAll("details")) if (open.has(d.firstChild.textContent)) d.open = true;
};

CS.statuses = function (runs) { return [...new Set(runs.map((r) => r.status))].sort(); };

CS.statusFilter = function (sheet) {
  const d = CS.el("details");
  d.open = true;
  d.append(CS.el("summary", null, "status"));
  const statuses = CS.statuses(sheet.data.runs);
  // A status that appears later (the first failure) is shown: only the ones
  // the user unticked stay hidden.
  const hidden = sheet.filters.hiddenStatus;
  const on = new Set(statuses.filter((st) => !hidden.has(st)));
  sheet.filters.status = on.size === statuses.length ? null : on;
  for (const st of statuses) {
    const l = CS.el("label"), b = CS.el("input");
    b.type = "checkbox"; b.checked = on.has(st); b.id = "f-status-" + st;
    b.addEventListener("change", () => {
      if (b.checked) { on.add(st); hidden.delete(st); } else { on.delete(st); hidden.add(st); }
      sheet.filters.status = on.size === statuses.length ? null : on;
      sheet.apply();
    });
    l.append(b, document.createTextNode(" " + st));
    d.append(l, CS.el("br"));
  }
  return d;
};

CS.rangeFilter = function (sheet, col) {
  const d = CS.el("details", "range");
  d.dataset.key = col.key;
  d.append(CS.el("summary", null, col.label));
  const [lo, hi] = CS.extent(sheet.data.runs.map((r) => CS.num(col.get(r))));
  const input = (cls, ph) => {
    const i = CS.el("input", cls);
    i.type = "number"; i.step = "any"; i.placeholder = CS.fmt(ph);
    i.addEventListener("input", update);
    return i;
  };
  const loI = input("lo", lo), hiI = input("hi", hi);
  const [curLo, curHi] = sheet.filters.ranges[col.key] || [NaN, NaN];
  if (!Number.isNaN(curLo)) loI.value = String(curLo);
  if (!Number.isNaN(curHi)) hiI.value = String(curHi);
  function update() {
    const v = (i) => (i.value === "" ? NaN : Number(i.value));
    sheet.filters.ranges[col.key] = [v(loI), v(hiI)];
    sheet.apply();
  }
  d.append(loI, document.createTextNode(" – "), hiI);
  return d;
};

CS.valueFilter = function (sheet, col) {
  const d = CS.el("details", "values-filter");
  d.dataset.key = col.key;
  d.append(CS.el("summary", null, col.label));
  const vals = CS.distinct(sheet.data.runs, col).map(CS.fmt);
  const list = CS.el("div", "vals");
  const on = sheet.filters.values[col.key] || new Set(vals);
  for (const v of vals.slice(0, MAX_VALUE_BOXES)) {
    const l = CS.el("label"), b = CS.el("input");
    b.type = "checkbox"; b.checked = on.has(v); b.value = v;
    b.addEventListener("change", () => {
      if (b.checked) on.add(v); else on.delete(v);
      sheet.filters.values[col.key] = on.size === vals.length ? null : on;
      sheet.apply();
    });
    l.title = v;
    l.append(b, document.createTextNode(" " + (v === "" ? "(empty)" : v)));
    list.append(l);
  }
  if (vals.length > MAX_VALUE_BOXES) list.append(CS.el("div", null, "… " + (vals.length - MAX_VALUE_BOXES) + " more"));
  d.append(list);
  return d;
};

// Export (copy or download) and import (a file or pasted JSON) of the marks:
// how ratings made in a local file travel to another browser or person.
CS.marksSection = function (sheet) {
  const d = CS.el("details", "marks-io");
  d.append(CS.el("summary", null, "ratings & picks"));
  const where = sheet.marks.sweepId ? "saved in the sweep's metadata.csv" : "kept in this browser";
  d.append(CS.el("div", "hint", where));
  const btn = CS.el("button", null, "export");
  btn.id = "export-marks";
  const out = CS.el("textarea");
  out.id = "marks-export";
  const link = CS.el("a", null, "download");
  btn.addEventListener("click", () => {
    const text = JSON.stringify(sheet.marks.exportDoc(), null, 2);
    out.value = text;
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(new Blob([text], { type: "application/json" }));
    link.download = "ratings_" + sheet.data.batch.name + ".json";
  });
  const file = CS.el("input");
  Object.assign(file, { type: "file", id: "import-marks", accept: ".json,application/json" });
  file.addEventListener("change", async () => { if (file.files[0]) CS.importMarks(sheet, await file.files[0].text()); });
  const paste = CS.el("button", null, "import pasted");
  paste.id = "import-pasted";
  paste.addEventListener("click", () => CS.importMarks(sheet, out.value));
  const status = CS.el("div", "hint", sheet.marks.message);
  status.id = "marks-status";
  status.setAttribute("role", "status");
  d.append(btn, document.createTextNode(" "), link, out, paste, CS.el("br"), file, status);
  return d;
};

CS.importMarks = async function (sheet, text) {
  try { sheet.marks.say(await sheet.marks.importText(text)); } catch (e) { sheet.marks.say("import: " + e.message); }
};
