// sheet_dialog.js: one run in full: the image, or the video playing inline
// (looping), its values and metrics, a copy-able params.json, stars and pick,
// and previous/next through the list it was opened from.
CS.Dialog = class {
  constructor(sheet, host) {
    Object.assign(this, { sheet, host, list: [], index: -1 });
  }

  get isOpen() { return !this.host.hidden; }

  open(list, index) {
    this.list = list;
    this.show(index);
  }

  show(index) {
    if (!this.list.length) return;
    this.index = (index + this.list.length) % this.list.length;
    const r = this.list[this.index];
    this.host.replaceChildren(this.media(r), this.side(r));
    this.host.hidden = false;
    this.host.dataset.runId = String(r.id);
  }

  close() {
    for (const v of this.host.querySelectorAll("video")) v.pause();
    this.host.replaceChildren();
    this.host.hidden = true;
  }

  media(r) {
    const box = CS.el("div", "media");
    box.addEventListener("click", (e) => { if (e.target === box) this.close(); });
    if (r.kind === "video") {
      const v = CS.el("video");
      Object.assign(v, { controls: true, loop: true, autoplay: true, muted: true, playsInline: true });
      v.src = r.out;
      box.append(v);
    } else if (r.kind === "image") {
      const img = CS.el("img");
      img.alt = "run " + r.id;
      img.src = r.out;
      box.append(img);
    } else {
      box.append(CS.el("div", "ph", r.status === "done" ? "no image or video output" : r.status));
    }
    return box;
  }

  side(r) {
    const side = CS.el("div", "side");
    side.append(CS.el("h2", null, "Run #" + r.id + " · " + r.status));
    side.append(this.buttons(r));
    const marks = CS.el("div", "btns dialog-marks");
    marks.append(CS.markControls(this.sheet, r, "big"), CS.el("span", "hint", "keys 1–5, 0 clears, P picks"));
    side.append(marks);
    if (r.status === "done") side.append(this.loadRow(r));
    if (r.error) side.append(CS.el("div", "err", r.error));
    if (r.note) side.append(CS.el("div", "err", "thumbnail: " + r.note));
    side.append(this.table(r));
    side.append(CS.el("h3", null, "params.json"));
    const pre = CS.el("pre", "params-json", CS.paramsJson(this.sheet.data, r));
    side.append(pre);
    side.append(this.links(r));
    return side;
  }

  buttons(r) {
    const row = CS.el("div", "btns");
    const btn = (label, fn) => { const b = CS.el("button", null, label); b.addEventListener("click", fn); row.append(b); return b; };
    btn("◀ prev", () => this.show(this.index - 1));
    btn("next ▶", () => this.show(this.index + 1));
    const copy = btn("copy params.json", () => CS.copyText(CS.paramsJson(this.sheet.data, r), copy));
    copy.className = "copy-params";
    btn("close (Esc)", () => this.close());
    return row;
  }

  // "Load into graph" (sheet_bridge.js) when the page is served by ComfyUI,
  // else the one line saying why it is not there.
  loadRow(r) {
    const bridge = this.sheet.bridge;
    if (!bridge) return CS.el("div", "bridge-note", this.sheet.bridgeNote);
    const row = CS.el("div", "btns load-row");
    const b = CS.el("button", "load-graph", "Load into graph");
    const status = CS.el("span", "load-status");
    status.setAttribute("role", "status");
    b.addEventListener("click", async () => {
      b.disabled = true;
      status.textContent = "asking the ComfyUI tab…";
      delete status.dataset.ok;
      const res = await bridge.load(r.id);
      status.textContent = res.text;
      status.dataset.ok = String(res.ok);
      b.disabled = false;
    });
    row.append(b, status);
    return row;
  }

  table(r) {
    const t = CS.el("table", "values");
    const add = (k, v) => { const tr = t.insertRow(); tr.append(CS.el("td", null, k), CS.el("td", null, v)); };
    for (const p of this.sheet.data.params) add(p.name, CS.fmt(CS.full(r, p.name)));
    for (const m of this.sheet.data.metrics) {
      if (r.m[m] === undefined) continue;
      add(m, m === "file_size" ? CS.fmtBytes(r.m[m]) : CS.fmt(r.m[m]));
    }
    add("folder", r.folder);
    return t;
  }

  links(r) {
    const p = CS.el("p");
    const link = (href, label) => {
      if (!href) return;
      const a = CS.el("a", null, label);
      a.href = href;
      a.target = "_blank";
      a.rel = "noopener";
      p.append(a, document.createTextNode("  "));
    };
    link(r.params_href, "params.json file");
    for (const o of r.outs) link(o, decodeURIComponent(o.split("/").pop()));
    return p;
  }
};

// Clipboard API first; a selected textarea + execCommand where it is refused
// (some browsers deny it to file:// pages).
CS.copyText = function (text, button) {
  const done = (ok) => { if (button) button.textContent = ok ? "copied" : "copy failed"; };
  const fallback = () => {
    const ta = CS.el("textarea");
    ta.value = text;
    document.body.append(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    ta.remove();
    done(ok);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(() => done(true), fallback);
  } else {
    fallback();
  }
};
