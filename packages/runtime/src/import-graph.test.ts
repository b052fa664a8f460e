/// <reference types="node" />
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The runtime's modules form a one-way graph: the managed runtime and the shadow runner build on
// the plain runtime, never the reverse. A cycle makes bundlers order module bodies arbitrarily.
const root = dirname(fileURLToPath(import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Relative imports of a file (static, type-only, re-exports and dynamic ones alike). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+\.ts)['"]/g)];
  return found.map((m) => resolve(dirname(file), m[1]!));
}

function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('import graph', () => {
  const files = sources(root);
  const graph = new Map(files.map((f) => [f, importsOf(f)]));

  it('sees the imports it checks', () => {
    expect(graph.get(join(root, 'create-runtime.ts'))).toContain(join(root, 'runtime.ts'));
  });

  it('has no cycles', () => {
    const cycle = findCycle(graph);
    expect(cycle?.map((f) => relative(root, f))).toBeUndefined();
  });

  it('finds a cycle when there is one', () => {
    expect(
      findCycle(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
        ]),
      ),
    ).toEqual(['a', 'b', 'c', 'a']);
  });

  it('keeps the plain runtime free of the managed runtime and the shadow runner', () => {
    const reach = new Set<string>();
    const walk = (f: string) => {
      for (const next of graph.get(f) ?? []) {
        if (reach.has(next)) continue;
        reach.add(next);
        walk(next);
      }
    };
    walk(join(root, 'runtime.ts'));
    const names = [...reach].map((f) => relative(root, f));
    expect(names).not.toContain('updater/managed-runtime.ts');
    expect(names).not.toContain('shadow/shadow-runner.ts');
  });
});
