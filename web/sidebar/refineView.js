// @ts-check
// The sweep card's "Refine…" button and box, and the note above a refined
// form saying where it came from and what changed (DOM only).
import { GOALS } from "../lib/metricsForm.js";
import { DEFAULT_TOP, DEFAULT_TOP_PRODUCTION, canRefine, choiceLabel, rankable, splitNotes } from "../lib/refine.js";
import { button, h } from "./dom.js";
import { refineChanged, runRefine, toggleRefine } from "./refineActions.js";

export function refineButton(s) {
  return canRefine(s) && button("Refine…", () => toggleRefine(s.id),
    { action: "refine", title: "Refine from this sweep: a narrower sweep around its best runs" });
}

function field(label, input, wide = false) {
  return h("label", { class: `comfy-sweep-field${wide ? " comfy-sweep-wide" : ""}` }, h("span", {}, label), input);
}

function options(box) {
  const choices = rankable(box.options);
  const goalOf = choices.find((c) => c.by === box.by)?.goal;
  return h("div", { class: "comfy-sweep-refine-fields" },
    field("rank by", h("select", { class: "comfy-sweep-input", data: { field: "refine-by" },
      onchange: (e) => refineChanged({ by: e.target.value }) },
    choices.map((c) => h("option", { value: c.by, selected: c.by === box.by }, choiceLabel(c)))), true),
    field("top runs", h("input", { class: "comfy-sweep-input", type: "number", min: 1, step: 1, value: box.top,
      placeholder: String(box.production ? DEFAULT_TOP_PRODUCTION : DEFAULT_TOP), data: { field: "refine-top" },
      oninput: (e) => { box.top = e.target.value; } })),
    field("goal", h("select", { class: "comfy-sweep-input", data: { field: "refine-goal" },
      onchange: (e) => refineChanged({ goal: e.target.value }) },
    // Default: the metric's own direction (the route's when the box sends none).
    h("option", { value: "", selected: !box.goal }, goalOf ?? "choose…"),
    GOALS.filter((g) => g !== goalOf).map((g) => h("option", { value: g, selected: box.goal === g }, g)))),
    h("label", { class: "comfy-sweep-check comfy-sweep-wide", title: "a grid over the best runs' own values and seeds (phase 4)" },
      h("input", { type: "checkbox", checked: box.production, data: { field: "refine-production" },
        onchange: (e) => refineChanged({ production: e.target.checked }) }), "production grid"));
}

export function refineBox(s, state) {
  const box = state.refine;
  if (!box || box.sweepId !== s.id) return null;
  const ready = box.options && rankable(box.options).length > 0;
  const empty = box.options && !ready
    && "No scores or ratings yet: rate runs on the contact sheet, or give a sweep metrics to score every run.";
  return h("div", { class: "comfy-sweep-refine", data: { refineFor: s.id } },
    h("div", { class: "comfy-sweep-refine-title" }, "Refine from this sweep"),
    box.busy && !box.options && h("div", { class: "comfy-sweep-muted" }, "reading scores…"),
    empty && h("div", { class: "comfy-sweep-muted" }, empty),
    ready && options(box),
    box.error && h("div", { class: "comfy-sweep-error", data: { refineError: "" } }, box.error),
    ready && h("div", { class: "comfy-sweep-actions" },
      button(box.busy ? "Refining…" : "Refine into a new sweep", () => runRefine(s),
        { action: "refine-run", primary: true, disabled: box.busy })));
}

// Above the rows of a form opened by "Refine": the ranking line first, the
// reasons for each parameter folded.
export function refinedNote(form) {
  const from = form?.refinedFrom;
  if (!from) return null;
  const { head, rest } = splitNotes(from.notes);
  return h("div", { class: "comfy-sweep-refined", data: { refinedFrom: from.id } },
    h("div", {}, `Refined from ${from.name}`, head && h("span", { class: "comfy-sweep-muted" }, ` · ${head}`)),
    rest.length > 0 && h("details", { class: "comfy-sweep-small" },
      h("summary", {}, `what changed (${rest.length})`),
      rest.map((n) => h("div", { class: "comfy-sweep-muted" }, n))));
}
