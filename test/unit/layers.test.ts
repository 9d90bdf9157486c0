// The layering of src/ (docs/internals/architecture.md), checked by reading the source files:
// every import points to the same folder or to one the importer's folder may use, there is no
// import cycle between files (type-only imports are erased by the compiler and do not count),
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

/** Module specifiers of a file's import and export-from statements; `typeOnly` for `import type`. */
function imports(code: string): Array<{ spec: string; typeOnly: boolean }> {
  const out: Array<{ spec: string; typeOnly: boolean }> = [];
  const re = /^\s*(import|export)\s+(type\s)?[^'";]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (let m = re.exec(code); m; m = re.exec(code)) out.push({ spec: (m[3] ?? m[4] ?? m[5])!, typeOnly: m[2] !== undefined });
  return out;
}

const localDeps = new Map<string, Array<{ file: string; typeOnly: boolean }>>();
for (const f of files) {
  const deps = imports(text.get(f)!)
    .filter((i) => i.spec.startsWith('.'))
    .map((i) => ({ file: resolve(dirname(f), i.spec).replace(/\.js$/, '.ts'), typeOnly: i.typeOnly }));
  localDeps.set(f, deps);
}

test('layers: every import of src/ points to its own folder or one it may use', () => {
  const bad: string[] = [];
  for (const f of files) {
    const from = folderOf(f);
    for (const { file: d } of localDeps.get(f)!) {
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
    for (const i of imports(text.get(f)!)) if (SOCKET_MODULES.includes(i.spec)) bad.push(`${rel(f)} imports ${i.spec}`);
  }
  assert.deepEqual(bad, []);
});

test('layers: no import cycle between files of src/', () => {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const { file: d, typeOnly } of localDeps.get(f) ?? []) {
      if (typeOnly) continue;
      const st = state.get(d);
      if (st === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].map(rel).join(' -> '));
      else if (st === undefined && text.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  assert.deepEqual(cycles, []);
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
