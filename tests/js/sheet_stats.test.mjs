// Pure helpers of the contact sheet (core/report/templates/sheet_stats.js and
// sheet_marks.js). The sheet's scripts share one global CS (they are inlined
// into one <script>), so they are loaded here into a vm context the same way.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import vm from "node:vm";

const DIR = new URL("../../core/report/templates/", import.meta.url);
function loadCS() {
  const code = ["sheet_model.js", "sheet_stats.js", "sheet_marks.js"]
    .map((f) => readFileSync(new URL(f, DIR), "utf8")).join("\n");
  const ctx = vm.createContext({});
  vm.runInContext(code + "\nglobalThis.CS = CS;", ctx);
  return ctx.CS;
}
const CS = loadCS();
// Objects made inside the vm context have its prototypes: compare as JSON.
const eq = (a, b) => assert.deepEqual(JSON.parse(JSON.stringify(a)), b);
const close = (a, b, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);
const col = (name, numeric = true) => ({ key: "p:" + name, label: name, numeric, get: (r) => r.v[name] });
const metric = (name) => ({ key: "m:" + name, label: name, numeric: true, get: (r) => r.m[name] });
const run = (id, v, m, s = id) => ({ id, s, v, m, pk: false });

test("ranks average ties", () => {
  eq([...CS.ranks([10, 20, 20, 5])], [2, 3.5, 3.5, 1]);
});

test("spearman: +1 for any increasing relation, -1 decreasing, NaN when constant or too few", () => {
  close(CS.spearman([1, 2, 3, 4, 5], [1, 8, 27, 64, 125]), 1);
  close(CS.spearman([1, 2, 3, 4], [9, 4, 1, 0]), -1);
  assert.ok(Number.isNaN(CS.spearman([1, 1, 1, 1], [1, 2, 3, 4])));
  assert.ok(Number.isNaN(CS.spearman([1, 2], [1, 2])));
});

test("spearman matches the textbook value with ties", () => {
  // scipy.stats.spearmanr([1,2,2,3,4],[2,1,3,3,5]).correlation
  close(CS.spearman([1, 2, 2, 3, 4], [2, 1, 3, 3, 5]), 0.7631578947368421, 1e-12);
});

test("kruskal eta^2 (H / (n - 1)): high when the categories separate the ranks, ~0 when they do not", () => {
  const labels = ["a", "a", "a", "b", "b", "b", "c", "c", "c"];
  close(CS.kruskalEta2(labels, [1, 2, 3, 4, 5, 6, 7, 8, 9]), 7.2 / 8);  // scipy's H / (n - 1)
  assert.ok(CS.kruskalEta2(labels, [1, 5, 9, 2, 6, 7, 3, 4, 8]) < 0.05);
  assert.ok(Number.isNaN(CS.kruskalEta2(["a", "a", "a"], [1, 2, 3])));  // one category
});

test("kruskal H matches scipy with ties", () => {
  // scipy.stats.kruskal([1,2,2],[2,3,4],[5,5,6]).statistic = 6.771014492753614
  const e2 = CS.kruskalEta2(["a", "a", "a", "b", "b", "b", "c", "c", "c"], [1, 2, 2, 2, 3, 4, 5, 5, 6]);
  close(e2, 6.771014492753614 / 8, 1e-12);
});

test("importance ranks a parameter with a middle optimum above noise (binned eta^2)", () => {
  const runs = [];
  for (let i = 0; i < 200; i++) {
    const cfg = 1 + (i % 40) * 0.2, noise = ((i * 7919) % 100) / 100;
    runs.push(run(i + 1, { cfg, seed: (i * 104729) % 1000, sampler: ["x", "y"][i % 2] },
      { q: 1 - Math.abs(cfg - 5) / 4 + noise * 0.05 }));
  }
  const rows = CS.importance(runs, [col("seed"), col("cfg"), col("sampler", false)], metric("q"));
  assert.equal(rows[0].name, "cfg");
  assert.ok(Math.abs(rows[0].rho) < 0.3 && rows[0].eta2 > 0.8, JSON.stringify(rows[0]));
  assert.ok(rows[0].strength > 0.8 && rows[1].strength < 0.1);
  assert.ok(Number.isNaN(rows.find((r) => r.name === "sampler").rho));  // categorical: eta^2 only
});

test("importance skips runs without the metric", () => {
  const runs = [run(1, { a: 1 }, { q: 1 }), run(2, { a: 2 }, {}), run(3, { a: 3 }, { q: 3 }), run(4, { a: 4 }, { q: 4 })];
  assert.equal(CS.importance(runs, [col("a")], metric("q"))[0].n, 3);
});

test("best of samples keeps each sample's best seed, in first-seen order, with counts", () => {
  const runs = [run(1, {}, { q: 0.2 }, 0), run(2, {}, { q: 0.9 }, 0), run(3, {}, {}, 1), run(4, {}, { q: 0.5 }, 1),
    run(5, {}, {}, 2)];
  const hi = CS.bestOfSamples(runs, metric("q"), true);
  eq(hi.runs.map((r) => r.id), [2, 4, 5]);
  eq([...hi.counts], [[2, 2], [4, 2], [5, 1]]);
  eq(CS.bestOfSamples(runs, metric("q"), false).runs.map((r) => r.id), [1, 4, 5]);
});

test("top K: best first, runs without the value left out, ties in the given order", () => {
  const runs = [run(1, {}, { q: 1 }), run(2, {}, { q: 3 }), run(3, {}, {}), run(4, {}, { q: 3 }), run(5, {}, { q: 2 })];
  eq(CS.topK(runs, metric("q"), true, 3).map((r) => r.id), [2, 4, 5]);
  eq(CS.topK(runs, metric("q"), false, 10).map((r) => r.id), [1, 5, 2, 4]);
});

test("heat scale maps best to 1 in either direction; colours are rgba strings", () => {
  const runs = [run(1, {}, { q: 2 }), run(2, {}, { q: 4 }), run(3, {}, {})];
  const up = CS.heatScale(runs, metric("q"), true), down = CS.heatScale(runs, metric("q"), false);
  eq([up(2), up(3), up(4)], [0, 0.5, 1]);
  eq([down(2), down(4)], [1, 0]);
  assert.ok(Number.isNaN(up(undefined)));
  assert.match(CS.heatColor(1), /^rgba\(60,170,90,1\)$/);
  assert.equal(CS.heatColor(NaN), "");
});

test("higherBetter follows the batch's goals, rating up, execution time down", () => {
  const data = { goals: { rating: "maximize", execution_s: "minimize", score_noise: "minimize" } };
  assert.equal(CS.higherBetter(data, "m:rating"), true);
  assert.equal(CS.higherBetter(data, "m:score_noise"), false);
  assert.equal(CS.higherBetter(data, "m:score_new"), true);
});

test("top summary: numeric ranges and the values of the top K", () => {
  const runs = [run(1, { c: 1, s: "a" }, {}), run(2, { c: 5, s: "b" }, {}), run(3, { c: 9, s: "b" }, {})];
  const [c, s] = CS.topSummary(runs.slice(1), runs, [col("c"), col("s", false)]);
  eq([c.top, c.all], [[5, 9], [1, 9]]);
  eq(s.values, [["b", 2]]);
  assert.equal(s.distinct, 2);
});

test("marks: keys 1-5 and 0 set stars, p and f toggle the pick", () => {
  const m = { rating: 2, picked: false };
  eq(CS.markForKey(m, "4"), { rating: 4, picked: false });
  eq(CS.markForKey(m, "0"), { rating: 0, picked: false });
  eq(CS.markForKey(m, "p"), { rating: 2, picked: true });
  eq(CS.markForKey(m, "f"), { rating: 2, picked: true });
  assert.equal(CS.markForKey(m, "6"), null);
  assert.equal(CS.markForKey(m, "x"), null);
});

test("marks live in r.m.rating and r.pk", () => {
  const r = run(1, {}, { q: 1 });
  CS.putMark(r, { rating: 3, picked: true });
  eq([r.m.rating, r.pk], [3, true]);
  eq(CS.markOf(r), { rating: 3, picked: true });
  CS.putMark(r, { rating: 0, picked: false });
  assert.equal("rating" in r.m, false);
});

test("parseMarks reads exports and old favourites lists, refuses anything else in one line", () => {
  const doc = CS.parseMarks(JSON.stringify({ batch: "b@t", marks: [{ run_id: 3, rating: 4, picked: false }] }));
  assert.equal(doc.batch, "b@t");
  eq([...doc.marks], [[3, { rating: 4, picked: false }]]);
  const fav = CS.parseMarks(JSON.stringify([{ run_id: 7, folder: "0007", values: {} }]));
  eq([...fav.marks], [[7, { rating: 0, picked: true }]]);
  assert.throws(() => CS.parseMarks("{"), /not JSON/);
  assert.throws(() => CS.parseMarks('{"x": 1}'), /expected/);
  assert.throws(() => CS.parseMarks('{"marks": [{"run_id": 1, "rating": 9}]}'), /marks\[0\]/);
  assert.throws(() => CS.parseMarks('{"marks": [{"run_id": "1", "rating": 2}]}'), /marks\[0\]/);
});

test("cleanMark refuses bad stored values", () => {
  eq(CS.cleanMark({ rating: 5, picked: true }), { rating: 5, picked: true });
  eq(CS.cleanMark({ picked: true }), { rating: 0, picked: true });
  assert.equal(CS.cleanMark({ rating: 2.5 }), null);
  assert.equal(CS.cleanMark("x"), null);
});
