// The layering of src/ (docs/internals/architecture.md), checked by reading the source files:
// every import points to the same folder or to one the importer's folder may use, there is no
// import cycle between files (type-only imports count too: two files that each need the other's
// types cannot be read, tested or moved alone; the shared type goes down into a file of its own),
// sockets are opened only below src/ba/, only src/vm/ calls the raw `_lua_*` exports and makes
// userdata blocks, and no file in src/ is over 700 lines.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const src = join(root, 'src');

/** The folders each folder of src/ may import from (besides itself). */
const MAY_USE: Record<string, readonly string[]> = {
  vm: [],
  fs: [],
  net: [],
  ws: [],
  http: ['net'],
  sched: ['vm'],
  ba: ['vm', 'sched', 'net', 'ws', 'http', 'fs'],
  app: ['vm', 'sched', 'net', 'ws', 'http', 'fs', 'ba'],
  server: ['vm', 'sched', 'net', 'ws', 'http', 'fs', 'ba', 'app'],
  cli: ['vm', 'sched', 'net', 'ws', 'http', 'fs', 'ba', 'app', 'server'],
  '.': ['vm', 'sched', 'net', 'ws', 'http', 'fs', 'ba', 'app', 'server', 'cli'],
};
/** Node's socket modules, and the folders that must reach sockets through src/net/ instead. */
const SOCKET_MODULES = ['node:net', 'node:tls', 'node:dgram'];
const NO_SOCKETS = ['vm', 'sched', 'fs', 'ws', 'ba', 'app'];
const MAX_LINES = 700;

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

const files = walk(src, []).sort();
const text = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));
const folderOf = (f: string): string => {
  const r = relative(src, f).split('/');
  return r.length === 1 ? '.' : r[0]!;
};
const rel = (f: string): string => relative(root, f);

/** Module specifiers of a file's import and export-from statements (`import type` included) and dynamic imports. */
function imports(code: string): string[] {
  const out: string[] = [];
  const re = /^\s*(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (let m = re.exec(code); m; m = re.exec(code)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

/** The files of src/ each file imports. */
const localDeps = new Map<string, string[]>();
for (const f of files) {
  const deps = imports(text.get(f)!)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => resolve(dirname(f), spec).replace(/\.js$/, '.ts'));
  localDeps.set(f, [...new Set(deps)]);
}

/**
 * The import cycles among `files` (a depth-first search over `deps`): each as the path of files
 * from the first back to itself. A file outside the graph ends a path.
 */
function importCycles(nodes: readonly string[], deps: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[][] = [];
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const d of deps.get(f) ?? []) {
      const st = state.get(d);
      if (st === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d]);
      else if (st === undefined && deps.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of nodes) if (!state.has(f)) visit(f);
  return cycles;
}

test('layers: every import of src/ points to its own folder or one it may use', () => {
  const bad: string[] = [];
  for (const f of files) {
    const from = folderOf(f);
    for (const d of localDeps.get(f)!) {
      const to = folderOf(d);
      if (to !== from && !MAY_USE[from]?.includes(to)) bad.push(`${rel(f)} imports ${rel(d)} (${from}/ may not use ${to}/)`);
    }
  }
  assert.deepEqual(bad, []);
});

test(`layers: ${NO_SOCKETS.join('/, ')}/ reach sockets only through src/net/`, () => {
  const bad: string[] = [];
  for (const f of files) {
    if (!NO_SOCKETS.includes(folderOf(f))) continue;
    for (const spec of imports(text.get(f)!)) if (SOCKET_MODULES.includes(spec)) bad.push(`${rel(f)} imports ${spec}`);
  }
  assert.deepEqual(bad, []);
});

test('layers: no import cycle between files of src/ (import type included)', () => {
  const cycles = importCycles(files, localDeps).map((c) => c.map(rel).join(' -> '));
  assert.ok(cycles.length === 0, `import cycles:\n  ${cycles.join('\n  ')}`);
});

test('layers: the cycle search finds a cycle and reports its path', () => {
  const deps = new Map([
    ['a', ['b']],
    ['b', ['c', 'x']],
    ['c', ['a']],
    ['d', ['d']],
    ['e', ['a']],
  ]);
  assert.deepEqual(importCycles(['a', 'b', 'c', 'd', 'e'], deps), [['a', 'b', 'c', 'a'], ['d', 'd']]);
  assert.deepEqual(importCycles(['a', 'b'], new Map([['a', ['b']], ['b', []]])), []);
});

test('layers: the raw _lua_* exports are used only in src/vm/', () => {
  const bad: string[] = [];
  for (const f of files) {
    if (folderOf(f) === 'vm') continue;
    const n = text.get(f)!.match(/\b_luaL?_[a-z]/g)?.length ?? 0;
    if (n > 0) bad.push(`${rel(f)}: ${n}`);
  }
  assert.deepEqual(bad, []);
});

test('layers: userdata blocks are made only in src/vm/ (a tagged block or a HandleTable, tags in HandleTag)', () => {
  const bad: string[] = [];
  for (const f of files) {
    if (folderOf(f) === 'vm') continue;
    if (/\bnewUserdata\(/.test(text.get(f)!)) bad.push(rel(f));
  }
  assert.deepEqual(bad, []);
});

test(`layers: no file in src/ is over ${MAX_LINES} lines`, () => {
  const big = files.map((f) => [rel(f), text.get(f)!.split('\n').length - 1] as const).filter(([, n]) => n > MAX_LINES);
  assert.deepEqual(big, []);
});
