/**
 * The house's import rules, read from the sources: each pipeline folder imports only from the folders below it in
 * LAYERS (never upwards; outside pipeline/ only the contracts in schema/ and the viewer's core), and no pipeline module is part of an import
 * cycle (a static or dynamic import, types included). docs/architecture.md draws the same layers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/data.js';

/** Lowest first: a folder may import from the folders before it. */
const LAYERS = ['core', 'segment', 'model', 'spin', 'render', 'reconstruct', 'product', 'queue'];
/** Outside pipeline/, the only code a pipeline module may import: the contracts (schema/) and the viewer's framework-free core (the renderer's page draws with its 3D studio). */
const OUTSIDE_ALLOWED = ['schema/', 'viewer/core/'];

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return sources(rel);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** The project files a module imports (relative specifiers, `.js` → `.ts`), static and dynamic. */
function importsOf(file: string, text: string): string[] {
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specs.map((s) => path.posix.normalize(path.posix.join(path.posix.dirname(file), s)).replace(/\.js$/, '.ts'));
}

const files = sources('pipeline');
const graph = new Map(files.map((f) => [f, importsOf(f, readFileSync(path.join(ROOT, f), 'utf8'))]));
const folderOf = (f: string) => (f.startsWith('pipeline/') ? f.split('/')[1]! : null);

describe('import rules', () => {
  it('the rule reads imports as written (a check of the checker)', () => {
    expect(
      importsOf(
        'pipeline/spin/spin.ts',
        "import { a } from '../core/options.js';\nimport type { B } from './types.js';\nconst m = await import('../render/render.js');\nimport './side-effect.js';",
      ),
    ).toEqual(['pipeline/core/options.ts', 'pipeline/spin/types.ts', 'pipeline/render/render.ts', 'pipeline/spin/side-effect.ts']);
  });

  it(`every pipeline folder is in the layers (${LAYERS.join(' < ')})`, () => {
    const folders = [...new Set(files.map(folderOf))].filter((f) => f && !f.endsWith('.ts'));
    expect(folders.filter((f) => !LAYERS.includes(f!))).toEqual([]);
  });

  it('no pipeline module imports upwards, or from cli/, bench/, samples/ or test/', () => {
    const wrong: string[] = [];
    for (const [from, targets] of graph) {
      const a = folderOf(from)!;
      for (const to of targets) {
        const b = folderOf(to);
        if (b === null) {
          if (!OUTSIDE_ALLOWED.some((p) => to.startsWith(p))) wrong.push(`${from} → ${to} (outside pipeline/)`);
        } else if (b !== a && LAYERS.indexOf(b) > LAYERS.indexOf(a)) wrong.push(`${from} → ${to} (${a} may not import ${b})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('no import cycle among pipeline modules', () => {
    // Tarjan's strongly connected components; a component of more than one module is a cycle.
    let index = 0;
    const idx = new Map<string, number>(),
      low = new Map<string, number>(),
      stack: string[] = [],
      on = new Set<string>();
    const cycles: string[][] = [];
    const visit = (v: string) => {
      idx.set(v, index);
      low.set(v, index++);
      stack.push(v);
      on.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!graph.has(w)) continue;
        if (!idx.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
      if (low.get(v) === idx.get(v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          on.delete(w);
          comp.push(w);
        } while (w !== v);
        if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(comp.sort());
      }
    };
    for (const f of files) if (!idx.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });
});
