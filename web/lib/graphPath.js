// @ts-check
// API node ids <-> nodes of the open graph, subgraphs included. Pure (no
// ComfyUI imports) so `node --test` can drive it with plain objects.
//
// app.graphToPrompt() flattens subgraphs: a node inside a subgraph gets the id
// path of the subgraph nodes that contain it, "75:58" = node 58 inside the
// subgraph of node 75 (ExecutableNodeDTO, [...subgraphNodePath, id].join(":")).
// A subgraph node exposes its inner graph as `node.subgraph` (checked on the
// frontends 1.32.9 and 1.53.6); node ids are numbers on 1.32.9 and strings on
// 1.53.x, so lookups try both.

function lookup(graph, id) {
  if (!graph || typeof graph.getNodeById !== "function") return null;
  const num = Number(id);
  return graph.getNodeById(id) ?? (Number.isNaN(num) ? null : graph.getNodeById(num)) ?? null;
}

// "75:58" -> the node 58 of the subgraph of node 75 in `root`, or null.
export function nodeByApiId(root, apiId) {
  const segments = String(apiId).split(":");
  let graph = root;
  let node = null;
  for (const [i, seg] of segments.entries()) {
    node = lookup(graph, seg);
    if (!node) return null;
    if (i < segments.length - 1) graph = node.subgraph ?? null;
  }
  return node;
}

// Path of subgraph nodes from `graph` down to `target` (a graph), depth first.
function pathTo(graph, target, seen = new Set()) {
  if (graph === target) return [];
  if (!graph || seen.has(graph)) return null;
  seen.add(graph);
  for (const n of graph.nodes ?? graph._nodes ?? []) {
    if (!n.subgraph) continue;
    const rest = pathTo(n.subgraph, target, seen);
    if (rest) return [n.id, ...rest];
  }
  return null;
}

// The API id of a node of the open graph. A node inside a subgraph that is
// instanced more than once gets the first instance's path (the right-click
// menu cannot tell which instance the user navigated through).
export function apiIdOf(root, node) {
  const owner = node?.graph;
  if (!owner || owner === root) return String(node.id);
  const path = pathTo(root, owner);
  return path ? [...path, node.id].join(":") : String(node.id);
}
