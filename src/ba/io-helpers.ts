/**
 * Small `ba` helpers around IOs, LSP and errors, as Mako has them:
 *
 * - `ba.io()`: a new table of the named IOs (`disk`, `home`, `net`, `vm`), as `ba.openio` gives them.
 * - `ba.parselsp(source [, raw])`: the Lua code of an LSP page, in BAS's form: a header
 *   `local _ENV,pathname,io,page,app=...` (left out when `raw` is true), text as
 *   `_emit[===[...]===]`, `<?lsp= e ?>` as `_emit(tostring(e))`, code as written. An opening tag
 *   without its `?>`: nil, "start tag without end tag at line# N".
 * - `ba.loadfile(name [, io] [, env])`: `io:loadfile` on the `vm` IO unless an IO is given (any
 *   kind, a Lua-implemented one too: IoLib.loadAny); a file that cannot be read gives nil,
 *   "cannot open <name>: <code> <message>".
 * - `ba.xmlrpc.base64(s)`, `ba.xmlrpc.iso8601([t | s [, parse]])`: the value makers of BAS's
 *   XML-RPC module (a function returning the value's XML and "XMLRPC"); `iso8601(s, true)`
 *   reads an ISO 8601 time into seconds (nil when it cannot).
 * - `ba.seterrh([fn])`: installs `fn(message, env)`, called with "Lua error[ in <context>]: ..."
 *   before such an error is traced; returns the previous handler. Timer errors do not call it,
 *   as in BAS. For an LSP page's error the second argument is the page's command environment
 *   (the table `request:env()` gives: the page's globals, `request`, `response`).
 */
import { T_FUNCTION, T_NONE } from '../vm/lua-vm.js';
import { LuaRaise } from '../vm/lua-error.js';
import type { LuaError } from '../vm/lua-error.js';
import type { TaskKind } from '../sched/scheduler.js';
import type { BaContext } from './context.js';
import type { IoLib } from './io.js';

/** BAS's LSP-to-Lua conversion (see the file comment). */
export function parseLsp(src: Buffer, header: boolean): { code: Buffer } | { error: string } {
  const out: Buffer[] = [];
  if (header) out.push(Buffer.from('local _ENV,pathname,io,page,app=...', 'latin1'));
  const OPEN = Buffer.from('<?lsp', 'latin1');
  const CLOSE = Buffer.from('?>', 'latin1');
  let pos = 0;
  for (;;) {
    const start = src.indexOf(OPEN, pos);
    const text = src.subarray(pos, start < 0 ? src.length : start);
    if (text.length > 0) {
      out.push(Buffer.from(' _emit[===[', 'latin1'), text, Buffer.from(start < 0 ? ']===]\n' : ']===];', 'latin1'));
    }
    if (start < 0) break;
    const end = src.indexOf(CLOSE, start + OPEN.length);
    if (end < 0) {
      let line = 1;
      for (let i = 0; i < start; i++) if (src[i] === 0x0a) line++;
      return { error: `start tag without end tag at line# ${line}` };
    }
    const body = src.subarray(start + OPEN.length, end);
    if (body[0] === 0x3d /* = */) out.push(Buffer.from(' _emit(tostring(', 'latin1'), body.subarray(1), Buffer.from('));', 'latin1'));
    else out.push(body);
    pos = end + CLOSE.length;
  }
  return { code: Buffer.concat(out) };
}

const HELPERS_LUA = `
local ba, type, error, select, ioload = ...
local fmt = string.format
function ba.io()
  local t = {}
  for _, n in ipairs{"disk", "home", "net", "vm"} do t[n] = ba.openio(n) end
  return t
end
function ba.loadfile(...)
  local name, io, env = ...
  if type(name) ~= "string" and type(name) ~= "number" then
    error(fmt("bad argument #1 to 'ba.loadfile' (string expected, got %s)", select("#", ...) == 0 and "no value" or type(name)), 2)
  end
  if type(io) ~= "userdata" then io, env = nil, io end
  if env ~= nil and type(env) ~= "table" then
    error(fmt("bad argument #%d to 'ba.loadfile' (table expected, got %s)", io and 3 or 2, type(env)), 2)
  end
  local vm = not io
  io = io or ba.openio("vm")
  local f, code, msg = ioload(io, name, env)
  if f then return f end
  if msg ~= nil then code = fmt("cannot open %s: %s %s", name, code, msg) end
  -- BAS's built-in resources live in a zip file: its "not found" has no message.
  if vm then code = code:gsub("^(cannot open .-): enoent .*$", "%1: notfound ") end
  return nil, code
end
-- ba.xmlrpc: the two value makers of BAS's XML-RPC module. Each returns a function that gives
-- the value's XML and the marker "XMLRPC".
local function marker(xml) return function() return xml, "XMLRPC" end end
local function days(y, m, d) -- days since 1970-01-01 of a proleptic Gregorian date
  y = m <= 2 and y - 1 or y
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local doy = (153 * (m + (m > 2 and -3 or 9)) + 2) // 5 + d - 1
  return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
end
ba.xmlrpc = {
  base64 = function(s)
    if type(s) ~= "string" and type(s) ~= "number" then
      error(fmt("bad argument #1 to '?' (string expected, got %s)", s == nil and "no value" or type(s)), 2)
    end
    return marker("<base64>" .. ba.b64encode(s) .. "</base64>")
  end,
  iso8601 = function(...)
    local v, parse = ...
    local s
    if select("#", ...) == 0 or math.type(v) or type(v) == "number" then
      s = os.date("!%Y%m%dT%H:%M:%S", math.tointeger(v) or (v and math.floor(v)) or os.time())
    else
      if type(v) ~= "string" then error(fmt("bad argument #1 to '?' (string expected, got %s)", type(v)), 2) end
      if parse then
        -- YYYY-MM-DDThh:mm:ss[.fraction] and a zone: Z or +hh:mm / -hh:mm.
        local Y, M, D, h, mi, sec, zone = v:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)T(%d%d):(%d%d):(%d%d)%.?%d*(.*)$")
        if not Y then return nil end
        local off
        if zone == "Z" then off = 0
        else
          local sign, zh, zm = zone:match("^([+-])(%d%d):?(%d%d)$")
          if not sign then return nil end
          off = (tonumber(zh) * 3600 + tonumber(zm) * 60) * (sign == "+" and 1 or -1)
        end
        return days(tonumber(Y), tonumber(M), tonumber(D)) * 86400 + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(sec) - off
      end
      s = v
    end
    return marker("<dateTime.iso8601>" .. s .. "</dateTime.iso8601>")
  end,
}
`;

export function installIoHelpers(ctx: BaContext, ioLib: IoLib): void {
  const { vm, args, sched } = ctx;
  const L = vm.L;
  ctx.pushBa(L);
  vm.setHost(L, -1, 'parselsp', (L) => {
    // Mako names the function in full even through pcall.
    if (vm.viewBytes(L, 1) === null) throw new LuaRaise(`bad argument #1 to 'ba.parselsp' (string expected, got ${vm.type(L, 1) === T_NONE ? 'no value' : vm.typeName(L, 1)})`, 0);
    const src = args.checkBytes(L, 1, 'ba.parselsp');
    const r = parseLsp(src, !vm.toBoolean(L, 2));
    if ('error' in r) {
      vm.pushNil(L);
      vm.pushString(L, r.error);
      return 2;
    }
    vm.pushBytes(L, r.code);
    return 1;
  });

  // ba.seterrh: the handler runs in a coroutine of its own before the error is traced.
  let handlerRef = 0;
  vm.setHost(L, -1, 'seterrh', (L) => {
    // As BAS: the previous handler is taken out first, so a bad argument leaves none.
    const had = handlerRef;
    handlerRef = 0;
    if (had) {
      vm.pushRef(L, had);
      vm.unref(had);
    }
    if (!args.isNoneOrNil(L, 1)) {
      if (vm.type(L, 1) !== T_FUNCTION) throw new LuaRaise(`bad argument #1 to 'ba.seterrh' (function expected, got ${vm.typeName(L, 1)})`, 0);
      vm.pushValue(L, 1);
      handlerRef = vm.ref(L);
    }
    return had ? 1 : 0;
  });
  const trace = sched.traceError.bind(sched);
  sched.traceError = (kind: TaskKind, err: LuaError, envRef = 0): void => {
    if (handlerRef && kind !== 'timer') {
      const where = kind === 'cosocket' ? ' in Cosocket' : kind === 'page' ? ' in LSP' : '';
      const task = sched.create('job', {
        onError: (_t, e) => ctx.log.write(`Error in error handler: ${e.message}\n`),
      });
      vm.pushRef(task.co, handlerRef);
      vm.pushString(task.co, `Lua error${where}: ${err.describe()}`);
      // An LSP page's error: its command environment (request:env()) too, as in BAS.
      if (envRef) vm.pushRef(task.co, envRef);
      sched.resume(task, envRef ? 2 : 1);
    }
    trace(kind, err, envRef);
  };
  vm.pop(L, 1);

  const err = vm.load(L, HELPERS_LUA, '=ba');
  if (err) throw err;
  ctx.pushBa(L);
  vm.getGlobal(L, 'type');
  vm.getGlobal(L, 'error');
  vm.getGlobal(L, 'select');
  vm.pushRef(L, ioLib.ioloadRef);
  const perr = vm.pcall(L, 5, 0);
  if (perr) throw perr;
}
