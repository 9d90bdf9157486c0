/**
 * The global `mako` table so Mako apps run unchanged: the fields Mako's
 * executable and its start-up scripts define. Members that need the HTTP server (createapp,
 * startapp, getapps, ...) are added by it when present.
 */
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTraceFile } from '../sched/trace-log.js';
import type { Runtime } from './runtime.js';
import { pushRecord, type RecordValue } from '../vm/lua-values.js';

export interface MakoInfo {
  argv: string[];
  execpath: string;
  /** Absolute path of the configuration file; '' when none was read. */
  cfgfname: string;
  port: number;
  sslport: number;
}

/** The Mako Server release whose behaviour this runtime follows (mako.version). */
export const MAKO_VERSION = '4.3';
/** The BAS library version (mako.BAS, ba.version()). */
export const BAS_VERSION = '5711';

/** `__DATE__` format of the C compiler: "Dec  5 2026". */
export function cDate(d: Date): string {
  const mon = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  return `${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.getUTCFullYear()}`;
}

/** When this build was made: the compiled module's modification time. */
function buildDate(): string {
  try {
    return cDate(statSync(fileURLToPath(import.meta.url)).mtime);
  } catch {
    return cDate(new Date());
  }
}

/** Lua half: members written in Lua (onexit list, dos2unix, log). */
const MAKO_LUA = `
local mako, runexit = ...
local exitfuncs = {}
function mako.onexit(func, set)
  exitfuncs[func] = set and true or nil
end
-- Called at shutdown after every app's onunload: each registered function once.
runexit[1] = function()
  for func in pairs(exitfuncs) do
    local ok, e = pcall(func)
    if not ok then print(string.format("'onexit' func failed: %s\\n", e or "?")) end
  end
  exitfuncs = {}
end
function mako.dos2unix(path) return path end
mako.log = function() return false end
mako.sharkclient = ba.sharkclient
-- Without the app server (a one-shot script) there is no HTTPS listener to give certificates.
function mako.loadcerts(keys, certs)
  return nil, "No Cert"
end
`;

export function installMako(rt: Runtime, info: MakoInfo): void {
  const { vm } = rt;
  const L = vm.L;
  vm.newTable(L);
  vm.newTable(L, info.argv.length);
  info.argv.forEach((a, i) => {
    vm.pushString(L, a);
    vm.rawSetI(L, -2, i + 1);
  });
  vm.setField(L, -2, 'argv');
  const str = (k: string, v: string): void => {
    vm.pushString(L, v);
    vm.setField(L, -2, k);
  };
  str('version', MAKO_VERSION);
  str('date', buildDate());
  str('BAS', BAS_VERSION);
  str('execpath', info.execpath);
  if (info.cfgfname) {
    str('cfgfname', info.cfgfname);
    str('cfgdir', dirname(info.cfgfname));
  }
  str('cwd', process.cwd());
  vm.pushBoolean(L, false);
  vm.setField(L, -2, 'daemon');
  const env: { [key: string]: RecordValue } = Object.create(null);
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  pushRecord(vm, L, env);
  vm.setField(L, -2, 'env');
  vm.pushInteger(L, info.port);
  vm.setField(L, -2, 'port');
  vm.pushInteger(L, info.sslport);
  vm.setField(L, -2, 'sslport');
  vm.setHost(L, -1, 'exit', (L) => {
    const code = vm.toInteger(L, 1) ?? 0;
    void rt.shutdown(code);
    return 0;
  });
  vm.setHost(L, -1, 'tracefile', (L) => {
    const name = rt.ctx.args.checkString(L, 1, '?');
    vm.pushBoolean(L, setTraceFile(name));
    return 1;
  });
  vm.pushValue(L, -1);
  vm.setGlobal(L, 'mako');

  // Mako's start-up script puts the executable's folder first on package.cpath.
  vm.getGlobal(L, 'package');
  vm.getField(L, -1, 'cpath');
  vm.pushString(L, `${info.execpath}/?.so;${vm.toStr(L, -1) ?? ''}`);
  vm.setField(L, -3, 'cpath');
  vm.pop(L, 2);

  // mako is on top.
  const err = vm.load(L, MAKO_LUA, '=mako');
  if (err) throw err;
  vm.rotate(L, -2, 1);
  vm.newTable(L);
  vm.pushValue(L, -1);
  const runRef = vm.ref(L);
  const perr = vm.pcall(L, 2, 0);
  if (perr) throw perr;
  rt.unloadables.unshift({
    name: 'mako.onexit',
    unload: async () => {
      await rt.run('local t = ... return t[1]()', '=onexit', 'preload', 0, (L) => {
        vm.pushRef(L, runRef);
        return 1;
      });
    },
  });
}
