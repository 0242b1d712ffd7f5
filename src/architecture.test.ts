// The walls between features, checked on the source itself: every import of another module goes
// through that module's index.ts (its public face; repositories stay private), no two modules
// import each other (nor through others), no service speaks HTTP, the pure layer (src/core) and
// the transport helpers (src/http) depend on no feature. Tests are exempt: a module's tests may
// reach into whatever they check.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = path.dirname(fileURLToPath(import.meta.url));
const MODULES = path.join(SRC, 'modules');

interface SourceImport {
  file: string;
  specifier: string;
  /** The file it names, for a relative import. */
  target: string | null;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

function importsOf(file: string): SourceImport[] {
  const text = fs.readFileSync(file, 'utf8');
  const found: SourceImport[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/g)) {
    const specifier = (match[1] ?? match[2])!;
    const target = specifier.startsWith('.') ? path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts')) : null;
    found.push({ file, specifier, target });
  }
  return found;
}

/** The module a file belongs to (its folder under src/modules), or null outside any module. */
function moduleOf(file: string): string | null {
  const relative = path.relative(MODULES, file);
  if (relative.startsWith('..')) return null;
  const parts = relative.split(path.sep);
  return parts.length > 1 ? parts[0]! : null;
}

const show = (file: string) => path.relative(SRC, file);
const all = sourceFiles(SRC).flatMap(importsOf);

describe('architecture', () => {
  it('finds the modules and their imports (the walk itself works)', () => {
    const modules = new Set(all.map((i) => moduleOf(i.file)).filter((m) => m !== null));
    assert.ok(modules.has('sign-in') && modules.has('two-factor') && modules.has('sessions'), [...modules].join(', '));
    assert.ok(all.some((i) => moduleOf(i.file) === 'sign-in' && i.target !== null && moduleOf(i.target) === 'two-factor'));
  });

  it('imports another module only through its index.ts (never its repository or any other file)', () => {
    const breaches = all
      .filter((i) => i.target !== null && moduleOf(i.target) !== null && moduleOf(i.target) !== moduleOf(i.file))
      .filter((i) => path.basename(i.target!) !== 'index.ts' || path.dirname(i.target!) !== path.join(MODULES, moduleOf(i.target!)!))
      .map((i) => `${show(i.file)} imports ${i.specifier}`);
    assert.deepEqual(breaches, []);
  });

  it('has no two modules importing each other, directly or through others', () => {
    const edges = new Map<string, Set<string>>();
    for (const i of all) {
      const from = moduleOf(i.file);
      const to = i.target === null ? null : moduleOf(i.target);
      if (from === null || to === null || from === to) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
    }
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (node: string, trail: string[]): void => {
      if (state.get(node) === 'done') return;
      if (state.get(node) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(node)), node].join(' → '));
        return;
      }
      state.set(node, 'open');
      for (const next of edges.get(node) ?? []) visit(next, [...trail, node]);
      state.set(node, 'done');
    };
    for (const node of edges.keys()) visit(node, []);
    assert.deepEqual(cycles, []);
  });

  it('keeps HTTP out of services: no *.service.ts and nothing in src/core imports fastify', () => {
    const breaches = all
      .filter((i) => i.specifier === 'fastify' || i.specifier.startsWith('fastify/') || i.specifier.startsWith('@fastify/'))
      .filter((i) => i.file.endsWith('.service.ts') || i.file.startsWith(path.join(SRC, 'core') + path.sep))
      .map((i) => `${show(i.file)} imports ${i.specifier}`);
    assert.deepEqual(breaches, []);
  });

  it('keeps src/core pure and src/http free of features', () => {
    const inside = (file: string, dir: string) => file.startsWith(path.join(SRC, dir) + path.sep);
    const breaches = all
      .filter(
        (i) =>
          (inside(i.file, 'core') && (i.target === null ? !i.specifier.startsWith('node:') : !inside(i.target, 'core') && !inside(i.target, 'shared'))) ||
          (inside(i.file, 'http') && i.target !== null && inside(i.target, 'modules')),
      )
      .map((i) => `${show(i.file)} imports ${i.specifier}`);
    assert.deepEqual(breaches, []);
  });
});
