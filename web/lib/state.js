// @ts-check
// The panel's state lives here, outside the DOM: ComfyUI re-runs the sidebar
// tab's render() with a fresh element on every open, so views subscribe to
// this store and redraw from it. Pure (no ComfyUI imports).

export function applyProgress(sweeps, detail) {
  const idx = sweeps.findIndex((s) => s.id === detail.sweep_id);
  const patch = {
    state: detail.state, done: detail.done, failed: detail.failed, total: detail.total,
    eta_s: detail.eta_s, current: detail.current ?? null,
  };
  if (idx < 0) return [{ id: detail.sweep_id, name: detail.sweep_id, ...patch }, ...sweeps];
  const next = sweeps.slice();
  next[idx] = { ...sweeps[idx], ...patch };
  return next;
}

export class Store extends EventTarget {
  constructor() {
    super();
    this.state = {
      view: "list", // "list" | "form"
      sweeps: [],
      listError: null,
      runs: {}, // sweep id -> runs page, for the expanded sweep
      expanded: null,
      form: null, // see config.js formFromAnalysis
      source: null, // {prompt, workflow} captured from the graph
      analysisWarnings: [],
      plan: null, // /plan answer, or {error}
      planPending: false, // a /plan request for the current form is on its way
      busy: false,
      formErrors: [],
    };
  }

  set(patch) {
    this.state = { ...this.state, ...patch };
    this.dispatchEvent(new Event("change"));
  }

  // Returns an unsubscribe function (views call it from destroy()).
  subscribe(fn) {
    const handler = () => fn(this.state);
    this.addEventListener("change", handler);
    return () => this.removeEventListener("change", handler);
  }

  progress(detail) {
    this.set({ sweeps: applyProgress(this.state.sweeps, detail) });
  }
}

export const store = new Store();
