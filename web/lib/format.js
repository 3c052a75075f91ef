// @ts-check
// Pure formatting helpers for the Sweep panel (no ComfyUI imports).

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(Number(seconds))) return "—";
  let s = Math.max(0, Math.round(Number(seconds)));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, "0")}s`;
  return `${s}s`;
}

export function formatValue(v) {
  if (typeof v === "number" && !Number.isInteger(v)) return String(Math.round(v * 1e4) / 1e4);
  return String(v);
}

export function valuePairs(values) {
  return Object.entries(values ?? {}).map(([k, v]) => `${k}=${formatValue(v)}`);
}

export function formatValues(values) {
  return valuePairs(values).join(" · ");
}

export function formatProgress(s) {
  const finished = (s.done ?? 0) + (s.failed ?? 0);
  const pct = s.total ? Math.round((100 * finished) / s.total) : 0;
  const failed = s.failed ? `, ${s.failed} failed` : "";
  return { text: `${s.done ?? 0}/${s.total ?? 0} done${failed}`, pct };
}

export function formatEstimate(plan) {
  if (!plan) return "";
  const runs = `${plan.total} run${plan.total === 1 ? "" : "s"}`;
  return plan.estimate_s == null ? runs : `${runs} · about ${formatDuration(plan.estimate_s)}`;
}

export function formatTime(iso) {
  if (!iso) return "";
  const d = new Date(typeof iso === "number" ? iso * 1000 : iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

// fetch() rejects with a bare TypeError ("Failed to fetch") while ComfyUI is
// down or restarting; say so in words a user can act on.
export function userMessage(err) {
  if (err instanceof TypeError && /fetch|network/i.test(err.message)) {
    return `ComfyUI is not reachable (stopped or restarting?): ${err.message}`;
  }
  return err?.message ?? String(err);
}
