// Builds remora's own Lua 5.4 VM (WASM) into build/lua/ when it can, and otherwise leaves
// remora on wasmoon's VM. Run by `npm run build` (and so by `npm ci`); never fails the build.
//
// What is built: Debian's lua5.4 source package, patched with src/vm/native/host-yield.patch
// and compiled together with src/vm/native/host-yield.c (and push-buffer.c, host-args.c: small
// API additions for the host) by Debian's emscripten (emcc). The
// patch lets a host function suspend its coroutine by returning instead of a longjmp (which
// emscripten turns into a thrown JS exception); src/vm/native/host-yield.c says how.
// The patch also calls the host's CPU-budget check (registry field "remora.cpucheck") every
// 65536 steps of lstrlib's pattern matcher and copies of string.rep, and every 65536 pieces of
// table.concat, and every 65536 tokens of the lexer (load of a huge source): Lua's count hook
// does not run inside C functions. The generational collector's young generation is at least
// LUAI_GENMINORMIN bytes (lgc.c), and a count hook that is not due is counted in the
// instruction loop rather than by a call per instruction (lvm.c).
// Nothing of Lua's sources or of the build output is in the repository.
//
// Needs: emcc (Debian: apt-get install emscripten) and the Lua sources, fetched with
// `apt-get source lua5.4` into build/lua-src/ (needs dpkg-dev and a deb-src entry; running as
// root, this script adds the entry when it is missing). REMORA_LUA_BUILD=0 skips the build.
// Output: build/lua/remora-lua.cjs + remora-lua.wasm, and build/lua/stamp (a hash of the
// inputs: an unchanged stamp skips the build). A build that could not be made is not retried
// while its inputs are unchanged (build/lua/failed; REMORA_LUA_BUILD=1 retries).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const out = path.join(root, 'build/lua');
const srcCache = path.join(root, 'build/lua-src');
const native = path.join(root, 'src/vm/native');
const quiet = process.argv.includes('--quiet');

function note(msg) {
  console.error(`build-lua-vm: ${msg}`);
}
function run(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', ...opts });
}
function have(cmd) {
  return run('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

function luaSourceDir() {
  const find = () => {
    if (!existsSync(srcCache)) return null;
    const d = readdirSync(srcCache).find((n) => /^lua5\.4-5\.4\.\d+$/.test(n));
    return d ? path.join(srcCache, d, 'src') : null;
  };
  let dir = find();
  if (dir) return dir;
  if (!have('apt-get') || !have('dpkg-source')) {
    note('no Lua sources: needs apt-get and dpkg-source (apt-get install dpkg-dev)');
    return null;
  }
  mkdirSync(srcCache, { recursive: true });
  let r = run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'source', '-qq', 'lua5.4'], { cwd: srcCache });
  if (r.status !== 0 && /deb-src|source URIs/i.test(r.stderr) && process.getuid?.() === 0) {
    addDebSrc();
    run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update', '-qq']);
    r = run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'source', '-qq', 'lua5.4'], { cwd: srcCache });
  }
  dir = find();
  if (!dir) note(`apt-get source lua5.4 failed: ${(r.stderr || r.stdout || '').trim().split('\n').pop()}`);
  return dir;
}

// A deb-src entry mirroring the machine's Debian entries (fresh Debian images have none).
function addDebSrc() {
  const file = '/etc/apt/sources.list.d/remora-deb-src.sources';
  let uris = 'http://deb.debian.org/debian';
  let suites = '';
  const deb822 = '/etc/apt/sources.list.d/debian.sources';
  if (existsSync(deb822)) {
    const first = readFileSync(deb822, 'utf8').split(/\n\s*\n/)[0] ?? '';
    uris = /^URIs:\s*(.+)$/m.exec(first)?.[1] ?? uris;
    suites = /^Suites:\s*(.+)$/m.exec(first)?.[1] ?? '';
  }
  if (!suites) {
    const codename = /^VERSION_CODENAME=(.+)$/m.exec(existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '')?.[1];
    if (!codename) return;
    suites = codename;
  }
  writeFileSync(file, `Types: deb-src\nURIs: ${uris}\nSuites: ${suites}\nComponents: main\n`);
  note(`added ${file} (deb-src for ${suites})`);
}

function main() {
  if (process.env.REMORA_LUA_BUILD === '0') return;
  const inputs = ['host-yield.patch', 'host-yield.c', 'push-buffer.c', 'host-args.c'].map((f) => readFileSync(path.join(native, f)));
  inputs.push(readFileSync(new URL(import.meta.url)));
  const stamp = createHash('sha256').update(Buffer.concat(inputs)).digest('hex');
  const stampFile = path.join(out, 'stamp');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp && existsSync(path.join(out, 'remora-lua.wasm'))) return;
  const failedFile = path.join(out, 'failed');
  if (process.env.REMORA_LUA_BUILD !== '1' && existsSync(failedFile) && readFileSync(failedFile, 'utf8') === stamp) {
    if (!quiet) note("remora uses wasmoon's Lua VM (the last attempt to build its own failed; REMORA_LUA_BUILD=1 retries)");
    return;
  }
  const failed = (why) => {
    note(`${why}: remora uses wasmoon's Lua VM`);
    mkdirSync(out, { recursive: true });
    rmSync(path.join(out, 'remora-lua.wasm'), { force: true });
    writeFileSync(failedFile, stamp);
  };
  if (!have('emcc')) {
    if (!quiet) note("emcc not found (apt-get install emscripten): remora uses wasmoon's Lua VM");
    return;
  }
  const src = luaSourceDir();
  if (!src) return failed('no Lua 5.4 sources');
  const work = path.join(root, 'build/lua-work');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(path.join(work, 'src'), { recursive: true });
  for (const f of readdirSync(src)) if (/\.[ch]$/.test(f)) copyFileSync(path.join(src, f), path.join(work, 'src', f));
  let r = run('git', ['apply', '-p1', path.join(native, 'host-yield.patch')], { cwd: work });
  if (r.status !== 0) return failed(`the patch does not apply to ${src}: ${r.stderr.trim()}`);
  for (const f of ['host-yield.c', 'push-buffer.c', 'host-args.c']) copyFileSync(path.join(native, f), path.join(work, 'src', f));
  // Debian's module-path patch includes a header its build generates.
  writeFileSync(path.join(work, 'src', 'lua5.4-deb-multiarch.h'), '#define DEB_HOST_MULTIARCH "wasm32-emscripten"\n');
  // Every public API function, from the headers, plus the allocator and lua_hostyield.
  const api = new Set(['malloc', 'free', 'lua_hostyield', 'lua_pushbuffer', 'remora_args', 'remora_pushok']);
  for (const h of ['lua.h', 'lauxlib.h', 'lualib.h']) {
    const text = readFileSync(path.join(work, 'src', h), 'utf8');
    for (const m of text.matchAll(/^(?:LUA_API|LUALIB_API|LUAMOD_API)\b[^;]*?\(?\b(lua(?:L|open)?_[a-z]\w*)\)?\s*\(/gm)) api.add(m[1]);
  }
  const cfiles = readdirSync(path.join(work, 'src')).filter((f) => f.endsWith('.c') && f !== 'lua.c' && f !== 'luac.c');
  mkdirSync(out, { recursive: true });
  const args = [
    '-O2',
    '-DLUAI_HOSTYIELD=(-2)',
    // As BAS's Lua: a float where an integer is expected is floored (string.sub(s, n / 2),
    // math.tointeger(1.5) == 1) instead of raising "number has no integer representation".
    '-DLUA_FLOORN2I=F2Ifloor',
    '-DLUA_USE_POSIX',
    ...cfiles.map((f) => path.join(work, 'src', f)),
    '-o', path.join(work, 'remora-lua.cjs'),
    '-sMODULARIZE=1',
    '-sEXPORT_NAME=createRemoraLua',
    '-sENVIRONMENT=node',
    '-sWASM_BIGINT=1',
    '-sALLOW_MEMORY_GROWTH=1',
    '-sMAXIMUM_MEMORY=2147483648',
    '-sALLOW_TABLE_GROWTH=1',
    '-sTOTAL_STACK=5242880',
    '-sEXIT_RUNTIME=0',
    '-sNODEJS_CATCH_EXIT=0',
    '-sNODEJS_CATCH_REJECTION=0',
    `-sEXPORTED_FUNCTIONS=${[...api].map((n) => '_' + n).join(',')}`,
    '-sEXPORTED_RUNTIME_METHODS=addFunction,removeFunction',
  ];
  note(`building Lua (${path.basename(path.dirname(src))}) with emcc…`);
  // Debian's emcc runs JS tools that need Debian's node modules (acorn) from /usr/share/nodejs.
  const nodePath = [process.env.NODE_PATH, '/usr/share/nodejs'].filter(Boolean).join(':');
  r = run('emcc', args, { cwd: work, env: { ...process.env, NODE_PATH: nodePath } });
  if (r.status !== 0) return failed(`emcc failed: ${(r.stderr || '').trim().split('\n').slice(-5).join(' | ')}`);
  // Into place by rename, so a process starting meanwhile never reads a half-written file.
  renameSync(path.join(work, 'remora-lua.wasm'), path.join(out, 'remora-lua.wasm'));
  renameSync(path.join(work, 'remora-lua.cjs'), path.join(out, 'remora-lua.cjs'));
  writeFileSync(stampFile, stamp);
  rmSync(failedFile, { force: true });
  note(`built ${path.relative(root, out)}/remora-lua.{cjs,wasm}`);
}

main();
