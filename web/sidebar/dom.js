// @ts-check
// A tiny element builder so the views read as markup; no framework, no build.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "data") Object.assign(el.dataset, value);
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/**
 * @param {string} label @param {(ev: MouseEvent) => unknown} onclick
 * @param {{action?: string, primary?: boolean, danger?: boolean, title?: string, disabled?: boolean}} [opts]
 */
export function button(label, onclick, { action, primary = false, danger = false, title, disabled } = {}) {
  const cls = ["comfy-sweep-btn", primary && "comfy-sweep-btn-primary", danger && "comfy-sweep-btn-danger"];
  return h("button", { class: cls.filter(Boolean).join(" "), onclick, title, disabled, type: "button",
    data: action ? { sweepAction: action } : undefined }, label);
}

// Load our stylesheet once, next to this module wherever ComfyUI serves us.
export function ensureStyles() {
  if (document.getElementById("comfy-sweep-css")) return;
  const link = h("link", { id: "comfy-sweep-css", rel: "stylesheet" });
  link.href = new URL("../sweep.css", import.meta.url).href;
  document.head.append(link);
}
