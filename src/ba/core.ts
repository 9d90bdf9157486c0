/**
 * Globals and small `ba.*` functions every context needs: `trace`, `tracep`, `print`,
 * `ba.sleep`, `ba.clock`, `ba.version`, the scheduler-aware `coroutine` functions, and the
 * replacements of stdlib calls that would block or kill the host (docs/compat.md).
 */
import { LuaRaise } from '../vm/lua-error.js';
import { T_BOOLEAN, T_NUMBER, type LState } from '../vm/lua-vm.js';
import { Wait } from '../sched/waiter.js';
import type { BaContext } from './context.js';

/** Lua half of the coroutine wrappers and trace (runs once at start-up). */
const PRELUDE = `
local marker, isroot, host_trace, unsupported = ...
local co_resume, co_yield, co_create, co_status = coroutine.resume, coroutine.yield, coroutine.create, coroutine.status
local select, error, getinfo = select, error, debug.getinfo

-- A coroutine created by the script that waits on the host yields 'marker'; pass the wait up
-- to the runtime's coroutine and hand the results back down.
local function pass(co, ok, ...)
  if ok and select('#', ...) == 1 and (...) == marker and co_status(co) == 'suspended' then
    return pass(co, co_resume(co, co_yield(marker)))
  end
  return ok, ...
end
function coroutine.resume(co, ...)
  return pass(co, co_resume(co, ...))
end
local function unwrap(ok, ...)
  if ok then return ... end
  error((...), 0)
end
function coroutine.wrap(f)
  local co = co_create(f)
  return function(...) return unwrap(pass(co, co_resume(co, ...))) end
end
function coroutine.yield(...)
  if isroot() then error("attempt to yield from outside a coroutine", 2) end
  return co_yield(...)
end

function trace(...)
  local info = getinfo(2, "nl")
  host_trace(true, (info and info.name or "") .. " " .. (info and info.currentline or 0) .. ": ", ...)
end
-- tracep([showline,] prio, ...): Mako prints when prio <= its trace level (5).
local function prionum(v, n, given)
  local p = tonumber(v)
  if type(v) ~= "number" and type(v) ~= "string" or not p then
    error(("bad argument #%d to 'tracep' (number expected, got %s)"):format(n, given and type(v) or "no value"), 3)
  end
  return p
end
function tracep(...)
  local n, showline, prio = select('#', ...), ...
  local first = 2
  if type(showline) == "boolean" then
    prio, first = prionum(prio, 2, n >= 2), 3
  else
    prio, showline = prionum(showline, 1, n >= 1), true
  end
  local level = ba and math.type(ba.tracelevel) and ba.tracelevel or 5
  if prio > level then return end
  if showline then
    local info = getinfo(2, "nl")
    host_trace(true, (info and info.name or "") .. " " .. (info and info.currentline or 0) .. ": ", select(first, ...))
  else
    host_trace(true, "", select(first, ...))
  end
end
function print(...)
  host_trace(false, "", ...)
end

for _, name in ipairs{"io.popen", "io.read", "debug.debug"} do
  local lib, fn = name:match("(%w+)%.(%w+)")
  _G[lib][fn] = function() error(name .. " is not supported by this runtime", 2) end
end
local io_lines = io.lines
function io.lines(file, ...)
  if file == nil then error("io.lines is not supported by this runtime", 2) end
  return io_lines(file, ...)
end
function os.execute(cmd)
  if cmd == nil then return false end
  error("os.execute is not supported by this runtime", 2)
end
local stdin = io.stdin
if stdin then
  local mt = getmetatable(stdin)
  local idx = mt and mt.__index
  if type(idx) == "table" then
    local fread, flines = idx.read, idx.lines
    idx.read = function(f, ...)
      if rawequal(f, stdin) then error("io.stdin is not supported by this runtime", 2) end
      return fread(f, ...)
    end
    idx.lines = function(f, ...)
      if rawequal(f, stdin) then error("io.stdin is not supported by this runtime", 2) end
      return flines(f, ...)
    end
  end
end
`;

export interface CoreHooks {
  /** os.exit / mako.exit: start the graceful shutdown with this status. */
  exit(code: number): void;
}

export function installCore(ctx: BaContext, hooks: CoreHooks): void {
  const { vm, sched, log } = ctx;
  const L = vm.L;

  // ba table
  vm.newTable(L);
  vm.pushValue(L, -1);
  ctx.baRef = vm.ref(L);
  vm.setGlobal(L, 'ba');

  const hostTrace = (L: LState): number => {
    const n = vm.top(L);
    const parts: string[] = [];
    for (let i = 3; i <= n; i++) parts.push(vm.toDisplay(L, i));
    const prefix = vm.toStr(L, 2) ?? '';
    log.write(prefix + parts.join('\t') + '\n');
    return 0;
  };
  const isRoot = (L: LState): number => {
    const t = sched.current;
    vm.pushBoolean(L, !!t && t.co === L && !t.userYield);
    return 1;
  };
  const err = vm.load(L, PRELUDE, '=prelude');
  if (err) throw err;
  vm.pushLightUserdata(L, sched.waitMarker);
  vm.pushHost(L, 'isroot', isRoot);
  vm.pushHost(L, 'trace', hostTrace);
  const perr = vm.pcall(L, 3, 0);
  if (perr) throw perr;

  // io.write goes to the trace log, not emscripten's line-buffered stdout.
  vm.getGlobal(L, 'io');
  vm.setHost(L, -1, 'write', (L) => {
    const n = vm.top(L);
    for (let i = 1; i <= n; i++) {
      const b = vm.toBytes(L, i);
      if (!b) ctx.args.typeError(L, i, 'write', 'string');
      log.write(b);
    }
    return 0;
  });
  vm.pop(L, 1);

  // os.exit starts the graceful shutdown and never returns (D6).
  vm.getGlobal(L, 'os');
  vm.setHost(L, -1, 'exit', (L) => {
    let code = 0;
    const t = vm.type(L, 1);
    if (t === T_NUMBER) code = vm.toInteger(L, 1) ?? 0;
    else if (t === T_BOOLEAN) code = vm.toBoolean(L, 1) ? 0 : 1;
    hooks.exit(code);
    // Waits for good: the runtime is shutting down.
    const task = sched.current;
    if (!task) throw new LuaRaise('os.exit must run in a coroutine of the runtime');
    return sched.suspend(L, new Wait('exit', task), 'os.exit');
  });
  // The real environment (wasmoon's is emscripten's fake one).
  vm.setHost(L, -1, 'getenv', (L) => {
    const v = process.env[ctx.args.checkString(L, 1, 'getenv')];
    if (v === undefined) vm.pushNil(L);
    else vm.pushString(L, v);
    return 1;
  });
  vm.pop(L, 1);

  ctx.pushBa(L);
  let warnedSleep = false;
  vm.setHost(L, -1, 'sleep', (L) => {
    const ms = ctx.args.checkTimeout(L, 1, 'sleep');
    const task = sched.current;
    if (!task) throw new LuaRaise('ba.sleep: no coroutine to suspend');
    if (task.kind === 'cosocket' && !warnedSleep) {
      warnedSleep = true;
      log.write('ba.sleep called in a cosocket: in BAS this blocks the socket dispatcher; here only this coroutine waits\n');
    }
    const w = new Wait('sleep', task);
    w.timer = setTimeout(() => w.complete(() => 0), ms);
    return sched.suspend(L, w, 'ba.sleep');
  });
  vm.setHost(L, -1, 'clock', (L) => {
    vm.pushInteger(L, Math.floor(performance.now()));
    return 1;
  });
  vm.setHost(L, -1, 'version', (L) => {
    vm.pushInteger(L, 5711);
    return 1;
  });
  vm.pop(L, 1);
}
