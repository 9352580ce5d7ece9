#!/usr/bin/env node
// Folder-level cycle check: madge finds cycles between *files*; this finds cycles between the *top-level
// folders* of a source tree (apps/api/src by default), which is where the architecture lives: if auth/
// imports anomaly/ and anomaly/ imports auth/, neither folder can be understood or moved alone.
//
// Counts relative imports (`import … from`, `export … from`, `import '…'`, `import('…')`, `require('…')`,
// type-only imports too: they are a dependency of the design even if erased at run time), skips *.spec.ts,
// maps each file to its first path segment under the root (a file directly in the root is its own node,
// e.g. app.module.ts), and fails when the folder graph has a cycle, printing each cycle with example files.
//
// Usage: node tools/lint/folder-cycles.mjs [root ...]     (exit 0: no cycle, 1: cycle, 2: usage error)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['apps/api/src'];
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]*)['"]/g;

function* sourceFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (/\.(ts|mts|cts)$/.test(entry.name) && !/\.spec\.ts$|\.d\.ts$/.test(entry.name)) yield path;
  }
}

const topOf = (root, file) => relative(root, file).split(sep)[0];

/** Strongly connected components (Tarjan); each component with more than one node is a cycle. */
function cycles(graph) {
  let index = 0;
  const stack = [];
  const info = new Map();
  const found = [];
  const visit = (v) => {
    info.set(v, { index, low: index, onStack: true });
    index++;
    stack.push(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!info.has(w)) {
        visit(w);
        info.get(v).low = Math.min(info.get(v).low, info.get(w).low);
      } else if (info.get(w).onStack) {
        info.get(v).low = Math.min(info.get(v).low, info.get(w).index);
      }
    }
    if (info.get(v).low === info.get(v).index) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        info.get(w).onStack = false;
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!info.has(v)) visit(v);
  return found;
}

/** One shortest path from `from` back to itself inside the component (BFS), for a readable message. */
function loopThrough(graph, component, from) {
  const inside = new Set(component);
  const prev = new Map();
  const queue = [from];
  while (queue.length) {
    const v = queue.shift();
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!inside.has(w)) continue;
      if (w === from) {
        const path = [v];
        while (path[0] !== from) path.unshift(prev.get(path[0]));
        return [...path, from];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [from];
}

let failed = false;
for (const rootArg of roots) {
  const root = resolve(rootArg);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    console.error(`folder-cycles: ${rootArg} is not a directory`);
    process.exit(2);
  }
  // graph: folder -> (folder -> ["file -> import", …])
  const graph = new Map();
  for (const file of sourceFiles(root)) {
    const from = topOf(root, file);
    if (!graph.has(from)) graph.set(from, new Map());
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(root + sep)) continue; // leaves the tree: not a folder edge
      const to = topOf(root, target).replace(/\.(ts|js)$/, '');
      const toNode = graph.has(to) || existsSync(join(root, to)) ? to : `${to}.ts`;
      if (toNode === from) continue;
      const edges = graph.get(from);
      if (!edges.has(toNode)) edges.set(toNode, []);
      edges.get(toNode).push(`${relative(root, file)} -> ${spec}`);
    }
  }

  const found = cycles(graph);
  const edgeCount = [...graph.values()].reduce((n, e) => n + e.size, 0);
  if (found.length === 0) {
    console.log(`folder-cycles: ${rootArg}: no cycle between its ${graph.size} top-level folders/files (${edgeCount} edges)`);
    continue;
  }
  failed = true;
  console.error(`folder-cycles: ${rootArg}: ${found.length} cycle(s) between top-level folders`);
  for (const component of found) {
    console.error(`\n  cycle among {${component.join(', ')}}:`);
    console.error(`    ${loopThrough(graph, component, component[0]).join(' -> ')}`);
    for (const a of component) {
      for (const [b, why] of graph.get(a) ?? []) {
        if (!component.includes(b)) continue;
        console.error(`    ${a} -> ${b}  (${why.length} import${why.length === 1 ? '' : 's'}, e.g. ${why[0]})`);
      }
    }
  }
}
process.exit(failed ? 1 : 0);
