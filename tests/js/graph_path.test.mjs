import { test } from "node:test";
import assert from "node:assert/strict";
import { apiIdOf, nodeByApiId } from "../../web/lib/graphPath.js";
import { linkedPathHint } from "../../web/lib/config.js";

// A stand-in for LGraph/Subgraph: getNodeById keyed like the frontend's map
// (numbers on 1.32.9, strings on 1.53.x).
function graph(nodes, { stringIds = false } = {}) {
  const g = { nodes: [] };
  const byId = new Map();
  for (const n of nodes) {
    const node = { ...n, id: stringIds ? String(n.id) : n.id, graph: g };
    byId.set(node.id, node);
    g.nodes.push(node);
  }
  g.getNodeById = (id) => byId.get(id) ?? null;
  return g;
}

function nested(stringIds) {
  const inner2 = graph([{ id: 9, type: "KSampler" }], { stringIds });
  const inner = graph([{ id: 58, type: "ImageBlur" }, { id: 60, type: "Sub2", subgraph: inner2 }], { stringIds });
  const root = graph([{ id: 3, type: "SaveImage" }, { id: 75, type: "Sub", subgraph: inner }], { stringIds });
  return { root, inner, inner2 };
}

for (const stringIds of [false, true]) {
  test(`nodeByApiId follows subgraph paths (string ids: ${stringIds})`, () => {
    const { root, inner, inner2 } = nested(stringIds);
    assert.equal(nodeByApiId(root, "3").type, "SaveImage");
    assert.equal(nodeByApiId(root, "75:58"), inner.nodes[0]);
    assert.equal(nodeByApiId(root, "75:60:9"), inner2.nodes[0]);
    assert.equal(nodeByApiId(root, "58"), null); // inner ids are not top-level ids
    assert.equal(nodeByApiId(root, "3:58"), null); // node 3 has no subgraph
    assert.equal(nodeByApiId(root, "75:99"), null);
  });

  test(`apiIdOf is the inverse of nodeByApiId (string ids: ${stringIds})`, () => {
    const { root, inner, inner2 } = nested(stringIds);
    assert.equal(apiIdOf(root, root.nodes[0]), "3");
    assert.equal(apiIdOf(root, inner.nodes[0]), "75:58");
    assert.equal(apiIdOf(root, inner2.nodes[0]), "75:60:9");
    for (const id of ["3", "75:58", "75:60:9"]) assert.equal(apiIdOf(root, nodeByApiId(root, id)), id);
  });
}

test("apiIdOf falls back to the bare id for a node outside the graph", () => {
  const { root } = nested(false);
  const stray = graph([{ id: 4 }]).nodes[0];
  assert.equal(apiIdOf(root, stray), "4");
  assert.equal(apiIdOf(root, { id: 7 }), "7");
});

test("linkedPathHint names a real parameter with the same input, else a neutral hint", () => {
  const row = (path, input) => ({ paths: [path], input });
  const rows = [row("nodes.3.inputs.cfg", "cfg"), row("nodes.12.inputs.cfg", "cfg"), row("nodes.3.inputs.steps", "steps")];
  assert.equal(linkedPathHint(rows[0], rows), "nodes.12.inputs.cfg");
  assert.equal(linkedPathHint(rows[1], rows), "nodes.3.inputs.cfg");
  assert.equal(linkedPathHint(rows[2], rows), "nodes.<id>.inputs.steps");
  assert.ok(!linkedPathHint(rows[2], rows).includes("7"));
});
