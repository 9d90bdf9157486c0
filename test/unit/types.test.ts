// The editor types in types/*.lua stay in step with what Lua sees. The names are collected
// from a running server (no list to maintain here): every function reachable from _G (ba.*,
// mako.*, trace, ...) and from modules in package.preload (require"httpc"), every method of
// every named metatable (_BASOCK:read, BaRequest:rawrdr, ...), minus what plain Lua 5.4 has;
// and the names a .preload and an LSP page find in their environments. Each must have a stub,
// and every stub must name something registered.
//
// Stub forms the test reads: `function ba.socket.bind(port, opt) end` (a function by its
// dotted name), `function _BASOCK:read(ms) end` (a method; the class is the metatable's name,
// `__name`), and `---@type X` + `name = nil` for the variables of a page's or app's environment.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Runtime } from '../../src/app/runtime.js';
import { MemoryLog } from '../../src/sched/trace-log.js';
import { LuaVM } from '../../src/vm/lua-vm.js';
import { defaultServerConfig } from '../../src/app/config.js';
import { installMako } from '../../src/app/mako.js';
import { startAppServer } from '../../src/server/app-server.js';
import { request } from '../harness/app-server.js';

const COLLECT = `
local function collect()
  local out, seen = {}, {}
  local function walk(prefix, t, depth)
    if seen[t] or depth > 4 then return end
    seen[t] = true
    for k, v in pairs(t) do
      if type(k) == "string" then
        local name = prefix .. k
        if type(v) == "function" then out[#out + 1] = name
        elseif type(v) == "table" and k ~= "_G" and k ~= "package" then walk(name .. ".", v, depth + 1) end
      end
    end
  end
  walk("", _G, 0)
  local mods = {}
  for name in pairs(package.preload) do mods[#mods + 1] = name end
  for _, name in ipairs(mods) do
    local ok, m = pcall(require, name)
    if ok and type(m) == "table" then walk(name .. ".", m, 1) end
  end
  for k, v in pairs(debug.getregistry()) do
    if type(k) == "string" and type(v) == "table" and rawget(v, "__name") == k and type(rawget(v, "__index")) == "table" then
      for m, f in pairs(v.__index) do
        -- A metatable that is its own __index (the socket's, as in BAS) also lists metamethods.
        if type(m) == "string" and type(f) == "function" and m:sub(1, 2) ~= "__" then out[#out + 1] = k .. ":" .. m end
      end
    end
  end
  table.sort(out)
  return table.concat(out, "\\n")
end
`;

interface Registered {
  /** Functions by dotted name and methods as Class:method. */
  functions: Set<string>;
  /** Names a page finds in its environment, and a .preload in its environment. */
  env: Set<string>;
}

/** What remora registers, collected from a running server (what plain Lua has is left out). */
async function registered(): Promise<Registered> {
  const log = new MemoryLog();
  const rt = await Runtime.create({ log, onExit: () => {} });
  installMako(rt, { argv: [], execpath: '', cfgfname: '', port: 0, sslport: 0 });
  const server = await startAppServer(rt, { ...defaultServerConfig(), port: 0 }, [{ name: '', prio: 0, path: 'test/fixtures/types-env' }], {
    host: '127.0.0.1',
    fallbackPorts: null,
    sslport: undefined,
  });
  try {
    await server.ready;
    const err = await rt.run(`${COLLECT}\nprint(collect())`, '=types');
    assert.equal(err, null, log.text());
    const plain = await LuaVM.create();
    plain.exec(`${COLLECT}\n__names = collect()`);
    plain.getGlobal(plain.L, '__names');
    const std = new Set((plain.toStr(plain.L, -1) ?? '').split('\n'));
    const names = log
      .text()
      .split('\n')
      .filter((l) => /^[A-Za-z_][\w.:*]*$/.test(l) && !std.has(l));
    const page = await request(server.http.port, '/env.lsp');
    assert.equal(page.status, 200, page.body);
    const env = page.body.split(/\s+/).filter((n) => n && !std.has(n));
    return { functions: new Set(names), env: new Set(env) };
  } finally {
    server.http.close();
    rt.dispose();
  }
}

/** What the stubs in types/*.lua declare. */
function stubs(): { functions: Set<string>; variables: Set<string> } {
  const functions = new Set<string>();
  const variables = new Set<string>();
  for (const f of readdirSync('types').filter((f) => f.endsWith('.lua'))) {
    const text = readFileSync(join('types', f), 'utf8');
    const mod = /^---@meta (\w+)/m.exec(text)?.[1];
    for (const m of text.matchAll(/^function ([A-Za-z_][\w.:]*)\s*\(/gm)) {
      // In a module's meta file (---@meta httpc) `function M.create` is httpc.create.
      functions.add(mod ? m[1]!.replace(/^M\./, `${mod}.`) : m[1]!);
    }
    for (const m of text.matchAll(/^---@type [^\n]*\n([A-Za-z_]\w*) = nil$/gm)) variables.add(m[1]!);
  }
  return { functions, variables };
}

const HOW = 'Stubs live in types/*.lua: `function ba.x.y(a, b) end` for functions, `function Meta:method(a) end` for methods (Meta = the metatable name given to luaL_newmetatable), `---@type T` followed by `name = nil` for environment variables.';

test('every registered Lua function and method has a stub in types/', async () => {
  const reg = await registered();
  const st = stubs();
  const missing = [...reg.functions].filter((n) => !st.functions.has(n)).sort();
  assert.deepEqual(missing, [], `no stub for: ${missing.join(', ')}\n${HOW}`);
  const missingEnv = [...reg.env].filter((n) => !st.variables.has(n) && !st.functions.has(n)).sort();
  assert.deepEqual(missingEnv, [], `no stub for these environment names: ${missingEnv.join(', ')}\n${HOW}`);
});

test('every stub in types/ names something registered', async () => {
  const reg = await registered();
  const st = stubs();
  const stale = [...st.functions].filter((n) => !reg.functions.has(n) && !reg.env.has(n)).sort();
  assert.deepEqual(stale, [], `these stubs name nothing remora registers (renamed or removed?): ${stale.join(', ')}\n${HOW}`);
  const staleVars = [...st.variables].filter((n) => !reg.env.has(n)).sort();
  assert.deepEqual(staleVars, [], `these environment stubs name nothing: ${staleVars.join(', ')}`);
});
