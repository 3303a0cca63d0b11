// The shape of src/, checked on every test run (dependency-cruiser cannot read TypeScript 7 here:
// its 16.x parser needs TypeScript below 6, and 17+ needs Node 22). Data flows one way: the
// domain (catalogue, grammar, policy, the job, the ports) imports nothing but itself, nothing
// imports the composition roots, and folders do not import each other in a circle.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../../src', import.meta.url).pathname;
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const folderOf = (file: string) => {
  const parts = relative(SRC, file).split(sep);
  return parts.length > 1 ? parts[0]! : `(root)/${parts[0]}`;
};
/** Every import of every file, static, dynamic and type-only: [from file, to file or package]. */
const imports: Array<[string, string]> = files(SRC).flatMap((file) =>
  [...readFileSync(file, 'utf8').matchAll(/(?:from|import\()\s*'([^']+)'/g)].map(([, spec]): [string, string] => [
    file,
    spec!.startsWith('.') ? resolve(dirname(file), spec!).replace(/\.js$/, '.ts') : spec!,
  ]),
);
const local = imports.filter(([, to]) => to.startsWith(SRC));

/** Folder -> folders it imports. */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const [from, to] of local) {
    const a = folderOf(from);
    const b = folderOf(to);
    if (a === b || a.startsWith('(root)') || b.startsWith('(root)')) continue;
    if (!graph.has(a)) graph.set(a, new Set());
    graph.get(a)!.add(b);
  }
  return graph;
}

/** Groups of folders that reach each other (Tarjan's strongly connected components of size > 1). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) out.push(group.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe('the import rules of src/', () => {
  it('the domain imports nothing but the domain (and zod)', () => {
    const outside = imports
      .filter(([from]) => folderOf(from) === 'domain')
      .filter(([, to]) => (to.startsWith(SRC) ? folderOf(to) !== 'domain' : to !== 'zod'))
      .map(([from, to]) => `${relative(SRC, from)} -> ${to.startsWith(SRC) ? relative(SRC, to) : to}`);
    expect(outside).toEqual([]);
  });

  it('nothing imports a composition root (main, bot, index)', () => {
    const roots = ['main.ts', 'bot.ts', 'index.ts'].map((f) => join(SRC, f));
    const bad = local.filter(([from, to]) => roots.includes(to) && !roots.includes(from)).map(([from, to]) => `${relative(SRC, from)} -> ${relative(SRC, to)}`);
    expect(bad).toEqual([]);
  });

  it('no folder imports a folder that imports it back', () => {
    expect(cycles(folderGraph())).toEqual([]);
  });

  it('the use cases reach Slack only through their ports: requests/ imports nothing from slack/', () => {
    const bad = local.filter(([from, to]) => folderOf(from) === 'requests' && folderOf(to) === 'slack').map(([from, to]) => `${relative(SRC, from)} -> ${relative(SRC, to)}`);
    expect(bad).toEqual([]);
  });
});
