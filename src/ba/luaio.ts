/**
 * `ba.create.luaio(t)`: an IO object whose operations are the Lua functions of table `t`, as in
 * BAS. They are called as plain functions and answer a value or `nil, code`:
 *
 *   t.open(name, "r" | "w") → a table of file functions: read(n) → string ("" or nil at the end),
 *                               write(data) → true, seek(pos) → true, flush() → true, close() → true
 *   t.stat(name)            → { size =, mtime =, isdir = }
 *   t.files(dir)            → { read() → true while there is an entry, name() → string, stat() → as above }
 *   t.mkdir(name), t.rmdir(name), t.remove(name), t.rename(from, to) → true
 *
 * The IO answers as the others do (`nil, code, nil, name` on failure, `resourcetype()` → "lua", "").
 * Its methods are Lua (they call the table's functions); the host side, `LuaIo`, is the IO's
 * `IoSource` face (src/fs/io-source.ts) through which resource readers serve its files and
 * compile its pages, uploads write into it and `ba.mkio` reads a zip file from it. Each host
 * operation runs the table's function in a job task of its own, so the function may wait
 * (a socket, a file, a thread) as any coroutine may; the operation's promise settles when it
 * returns. A function that raises or answers nonsense is an "ioerror".
 */
import type { BaContext } from './context.js';
import { HandleTable, HandleTag, newTaggedBlock, taggedBlock } from '../vm/handles.js';
import type { LState } from '../vm/lua-vm.js';
import { IoError } from '../fs/fs-op.js';
import { newIoUid, type IoEntry, type IoReader, type IoSource, type IoStat, type IoWriter } from '../fs/io-source.js';
import type { IoLib, LuaIoHandle } from './io.js';

const LUAIO_LUA = `
local mt, newud, ba, fmt_, newfile, H, P = ...
local type, pcall, setmetatable, select, error, tostring = type, pcall, setmetatable, select, error, tostring
local concat, fmt = table.concat, string.format
local cbs = setmetatable({}, { __mode = "k" })
local M = {}
mt.__index = M
local function fail(code, name) return nil, code or "ioerror", nil, name end
local function call(self, op, ...)
  local f = cbs[self] and cbs[self][op]
  if type(f) ~= "function" then return nil, "ioerror" end
  local ok, v, code = pcall(f, ...)
  if not ok then return nil, "ioerror" end
  if v == nil then return nil, type(code) == "string" and code or "ioerror" end
  return v
end
-- File objects are userdata too (as BAS's); their state lives here.
local fstate = setmetatable({}, { __mode = "k" })
local F = fmt_
F.__index = F
function F:read(n)
  local t = fstate[self].t
  if n == "a" or n == "*a" then
    local parts = {}
    while true do
      local ok, s = pcall(t.read, 1024)
      if not ok or type(s) ~= "string" or s == "" then break end
      parts[#parts + 1] = s
    end
    return concat(parts)
  end
  local ok, s = pcall(t.read, type(n) == "number" and n or 1024)
  if not ok or type(s) ~= "string" or s == "" then return nil end
  return s
end
function F:write(...)
  for i = 1, select("#", ...) do
    local ok, r = pcall(fstate[self].t.write, tostring((select(i, ...))))
    if not ok or r ~= true then return nil, "ioerror" end
  end
  return true
end
function F:seek(pos)
  local ok, r = pcall(fstate[self].t.seek, pos)
  if ok and r == true then return true end
  return nil, "ioerror"
end
function F:flush()
  if type(fstate[self].t.flush) ~= "function" then return true end
  local ok, r = pcall(fstate[self].t.flush)
  return ok and r == true or nil
end
function F:close()
  if fstate[self].closed then return nil, "closed" end
  fstate[self].closed = true
  local ok, r = pcall(fstate[self].t.close)
  return ok and r == true or nil
end
function M:open(name, mode)
  local fo, code = call(self, "open", name, (mode or "r"):find("[wa+]") and "w" or "r")
  if not fo then return fail(code, name) end
  local f = newfile()
  fstate[f] = { t = fo }
  return f
end
local function record(name, st)
  local base = name:gsub("/+$", ""):match("([^/]*)$")
  return { name = base, type = st.isdir and "directory" or "regular", size = st.size, mtime = st.mtime, isdir = st.isdir == true }
end
function M:stat(name)
  name = name or ""
  local st, code = call(self, "stat", name)
  if type(st) ~= "table" then return fail(code, name) end
  return record(name, st)
end
function M:files(dir, attrs)
  local it, code = call(self, "files", dir or "")
  if type(it) ~= "table" then error(fmt("directory open failed: '%s'  (%s) ", dir or "", code), 2) end
  return function()
    local ok, more = pcall(it.read)
    if not ok or more ~= true then return nil end
    local name = it.name()
    if not attrs then return name end
    local st = it.stat() or {}
    return name, st.isdir == true, st.mtime, st.size
  end
end
for _, op in ipairs{ "mkdir", "rmdir", "remove" } do
  M[op] = function(self, name)
    local r, code = call(self, op, name)
    if r == nil then return fail(code, name) end
    return true
  end
end
function M:rename(from, to)
  local r, code = call(self, "rename", from, to)
  if r == nil then return fail(code, from) end
  return true
end
function M:resourcetype() return "lua", "" end
-- type, close, hide, encrypted, setpasswd, netconf: the host's, shared by every IO kind.
for k, f in pairs(P) do M[k] = f end
mt.__close = P.close
function H.ftype(f)
  local s = fstate[f]
  if not s then return nil end
  return s.closed and "closed file" or "file"
end
function M:realpath() end
-- As BAS: the file is read with the read function until it answers "" (nil is an I/O error).
function M:loadfile(name, env)
  local fo, code = call(self, "open", name, "r")
  if not fo then return nil, fmt("cannot read %s: %s ", name, code) end
  local parts = {}
  while true do
    local ok, s = pcall(fo.read, 1024)
    if not ok or type(s) ~= "string" then
      pcall(fo.close)
      return nil, fmt("cannot read %s: ioerror ", name)
    end
    if s == "" then break end
    parts[#parts + 1] = s
  end
  pcall(fo.close)
  return load(concat(parts), "@" .. name, "t", env)
end
function M:dofile(name, env)
  local f, err = M.loadfile(self, name, env)
  if not f then error(err, 2) end
  return f()
end
ba.create.luaio = function(...)
  local t = ...
  if type(t) ~= "table" then
    error(fmt("bad argument #1 to '?' (table expected, got %s)", select("#", ...) == 0 and "no value" or type(t)), 2)
  end
  local io = newud(t)
  cbs[io] = t
  return io
end
-- The host side's operations (LuaIo): plain values, or nil and a code.
local function code_(c, dflt) return type(c) == "string" and c or dflt end
function H.stat(t, name)
  if type(t.stat) ~= "function" then return nil, "ioerror" end
  local ok, st, code = pcall(t.stat, name)
  if not ok then return nil, "ioerror" end
  if type(st) ~= "table" then return nil, code_(code, "notfound") end
  return tonumber(st.size) or 0, tonumber(st.mtime) or 0, st.isdir == true
end
function H.open(t, name, mode)
  if type(t.open) ~= "function" then return nil, "ioerror" end
  local ok, fo, code = pcall(t.open, name, mode)
  if not ok then return nil, "ioerror" end
  if type(fo) ~= "table" then return nil, code_(code, mode == "r" and "notfound" or "ioerror") end
  return fo
end
function H.read(fo, n)
  local ok, s = pcall(fo.read, n)
  if not ok or (s ~= nil and type(s) ~= "string") then return false end
  return s
end
function H.seek(fo, pos) local ok, r = pcall(fo.seek, pos) return ok and r == true end
function H.write(fo, data) local ok, r = pcall(fo.write, data) return ok and r == true end
function H.close(fo)
  if type(fo.close) ~= "function" then return true end
  local ok, r = pcall(fo.close)
  return ok and r == true
end
function H.files(t, dir)
  if type(t.files) ~= "function" then return nil, "ioerror" end
  local ok, it, code = pcall(t.files, dir)
  if not ok then return nil, "ioerror" end
  if type(it) ~= "table" then return nil, code_(code, "notfound") end
  local list = {}
  while true do
    local ok2, more = pcall(it.read)
    if not ok2 or more ~= true then break end
    local ok3, name = pcall(it.name)
    local ok4, st = pcall(it.stat)
    if ok3 and type(name) == "string" then
      st = ok4 and type(st) == "table" and st or {}
      list[#list + 1] = { name = name, isdir = st.isdir == true, mtime = tonumber(st.mtime) or 0, size = tonumber(st.size) or 0 }
    end
  end
  return list
end
`;

/** The host operations of LUAIO_LUA's table H, by name. */
type HostOp = 'stat' | 'open' | 'read' | 'seek' | 'write' | 'close' | 'files';
const HOST_OPS: readonly HostOp[] = ['stat', 'open', 'read', 'seek', 'write', 'close', 'files'];

/** The runtime's Lua-implemented IOs: their handle table and the host operations. */
class LuaIoLib {
  readonly handles: HandleTable<LuaIo>;
  readonly ops = new Map<HostOp, number>();

  constructor(readonly ctx: BaContext) {
    this.handles = new HandleTable(ctx.vm, HandleTag.luaIo);
  }

  /**
   * Runs host operation `op` in a job task: `args` pushes its arguments on the task's
   * coroutine, `result` reads its `nres` results there. Started from the scheduler's queue,
   * so it never runs inside another resume.
   */
  call<T>(op: HostOp, args: (L: LState) => number, result: (L: LState, nres: number) => T): Promise<T> {
    const { vm, sched } = this.ctx;
    return new Promise<T>((resolve, reject) => {
      sched.post(() => {
        const task = sched.create('job', {
          onEnd: (t, nres) => {
            try {
              resolve(result(t.co, nres));
            } catch (e) {
              reject(e);
            }
          },
          onError: (_t, err) => {
            sched.traceError('job', err);
            reject(new IoError('ioerror', err.message));
          },
        });
        vm.pushRef(task.co, this.ops.get(op)!);
        sched.resume(task, args(task.co));
      });
    });
  }
}

/** nil, code results as an IoError (code "ioerror" when there is none). */
function failed(vm: BaContext['vm'], L: LState, nres: number): IoError | null {
  if (nres > 0 && vm.type(L, -nres) !== 0 /* nil */) return null;
  const code = nres > 1 ? vm.toStr(L, -nres + 1) : null;
  return new IoError(code ?? 'ioerror', '');
}

/** One `ba.create.luaio` object's host side (see the file comment). */
class LuaIo implements IoSource, LuaIoHandle {
  readonly diskRoot = null;
  readonly uid = newIoUid();
  /** Registry ref of the Lua object while something on the host keeps it (a resource reader). */
  private udRef = 0;

  constructor(
    private readonly lib: LuaIoLib,
    /** Registry ref of the table of functions. */
    readonly tRef: number,
  ) {}

  pin(L: LState, i: number): void {
    if (this.udRef) return;
    const { vm } = this.lib.ctx;
    vm.pushValue(L, i);
    this.udRef = vm.ref(L);
  }

  pushLua(L: LState): void {
    if (this.udRef) this.lib.ctx.vm.pushRef(L, this.udRef);
    else this.lib.ctx.vm.pushNil(L);
  }

  private pushT(L: LState, ...strs: string[]): number {
    const { vm } = this.lib.ctx;
    vm.pushRef(L, this.tRef);
    for (const s of strs) vm.pushString(L, s);
    return 1 + strs.length;
  }

  stat(name: string): Promise<IoStat | null> {
    const { vm } = this.lib.ctx;
    return this.lib.call('stat', (L) => this.pushT(L, name), (L, nres) => {
      if (failed(vm, L, nres)) return null;
      return { size: Number(vm.toNumber(L, -nres)), mtimeMs: Number(vm.toNumber(L, -nres + 1)) * 1000, isdir: vm.toBoolean(L, -nres + 2) };
    });
  }

  private openAs(name: string, mode: 'r' | 'w'): Promise<LuaIoFile> {
    const { vm } = this.lib.ctx;
    return this.lib.call('open', (L) => this.pushT(L, name, mode), (L, nres) => {
      const e = failed(vm, L, nres);
      if (e) throw e;
      vm.pushValue(L, -nres);
      return new LuaIoFile(this.lib, vm.ref(L));
    });
  }

  open(name: string): Promise<IoReader> {
    return this.openAs(name, 'r');
  }

  create(name: string): Promise<IoWriter> {
    return this.openAs(name, 'w');
  }

  list(dir: string): Promise<IoEntry[]> {
    const { vm } = this.lib.ctx;
    return this.lib.call('files', (L) => this.pushT(L, dir), (L, nres) => {
      const e = failed(vm, L, nres);
      if (e) throw e;
      const t = vm.top(L) - nres + 1;
      const out: IoEntry[] = [];
      for (let i = 1; vm.rawGetI(L, t, i) !== 0; i++) {
        vm.getField(L, -1, 'name');
        vm.getField(L, -2, 'isdir');
        vm.getField(L, -3, 'mtime');
        vm.getField(L, -4, 'size');
        out.push({ name: vm.toStr(L, -4) ?? '', isdir: vm.toBoolean(L, -3), mtime: Number(vm.toNumber(L, -2)), size: Number(vm.toNumber(L, -1)) });
        vm.pop(L, 5);
      }
      vm.pop(L, 1);
      return out;
    });
  }

  release(): void {
    const { vm } = this.lib.ctx;
    vm.unref(this.tRef);
    if (this.udRef) vm.unref(this.udRef);
  }
}

/** A file table of a Lua-implemented IO, opened by the host. */
class LuaIoFile implements IoReader, IoWriter {
  private closed = false;

  constructor(
    private readonly lib: LuaIoLib,
    private readonly ref: number,
  ) {}

  private pushF(L: LState): void {
    this.lib.ctx.vm.pushRef(L, this.ref);
  }

  /** "" and nil are the end of the file; a raise or another value an "ioerror". */
  read(max: number): Promise<Buffer | null> {
    const { vm } = this.lib.ctx;
    return this.lib.call('read', (L) => {
      this.pushF(L);
      vm.pushInteger(L, max);
      return 2;
    }, (L, nres) => {
      if (nres < 1) return null;
      const b = vm.viewBytes(L, -nres);
      if (b === null) {
        if (vm.type(L, -nres) === 0) return null;
        throw new IoError('ioerror', '');
      }
      return b.length === 0 ? null : Buffer.from(b);
    });
  }

  seek(pos: number): Promise<void> {
    return this.callOk('seek', (L) => this.lib.ctx.vm.pushInteger(L, pos));
  }

  write(data: Uint8Array): Promise<void> {
    return this.callOk('write', (L) => this.lib.ctx.vm.pushBytes(L, data));
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return this.callOk('close', null, () => this.lib.ctx.vm.unref(this.ref));
  }

  /**
   * Calls the Lua file object's `method` with the file (and one argument pushed by `pushArg`);
   * a false or nil first result is an "ioerror". `after` runs once the call returned, first.
   */
  private callOk(method: HostOp, pushArg: ((L: LState) => void) | null, after?: () => void): Promise<void> {
    const { vm } = this.lib.ctx;
    return this.lib.call(method, (L) => {
      this.pushF(L);
      if (!pushArg) return 1;
      pushArg(L);
      return 2;
    }, (L, nres) => {
      after?.();
      if (!vm.toBoolean(L, -nres)) throw new IoError('ioerror', '');
    });
  }
}


export function installLuaIoObjects(ctx: BaContext, ioLib: IoLib): void {
  const { vm } = ctx;
  const L = vm.L;
  const lib = new LuaIoLib(ctx);
  ioLib.luaIos = lib.handles;
  vm.newMetatable(L, 'BaLuaIo');
  vm.setHost(L, -1, '__tostring', (L) => {
    vm.pushString(L, `IO Interface: ${vm.toUserdata(L, 1).toString(16)}`);
    return 1;
  });
  vm.setHost(L, -1, '__gc', (L) => {
    const id = lib.handles.idAt(L, 1);
    const io = id >= 0 ? lib.handles.get(id) : undefined;
    if (io) {
      lib.handles.release(id);
      io.release();
    }
    return 0;
  });
  const mtRef = vm.ref(L);
  lib.handles.mtRef = mtRef;
  // BAS's file objects print as "file (<address>)".
  vm.newMetatable(L, 'BaLuaIoFile');
  vm.setHost(L, -1, '__tostring', (L) => {
    vm.pushString(L, `file (${vm.toUserdata(L, 1).toString(16)})`);
    return 1;
  });
  const fileMtRef = vm.ref(L);
  const err = vm.load(L, LUAIO_LUA, '=luaio');
  if (err) throw err;
  vm.pushRef(L, mtRef);
  vm.pushHost(L, 'luaio', (L) => {
    vm.pushValue(L, 1);
    const io = new LuaIo(lib, vm.ref(L));
    lib.handles.push(L, lib.handles.add(io));
    return 1;
  });
  ctx.pushBa(L);
  vm.pushRef(L, fileMtRef);
  vm.pushHost(L, 'luaio', (L) => {
    newTaggedBlock(vm, L, HandleTag.luaIoFile, 4, fileMtRef);
    return 1;
  });
  vm.newTable(L);
  vm.pushValue(L, -1);
  const hRef = vm.ref(L);
  vm.newTable(L);
  for (const [name, fn] of Object.entries(ioLib.propMethods)) vm.setHost(L, -1, name, fn);
  const perr = vm.pcall(L, 7, 0);
  if (perr) throw perr;
  vm.pushRef(L, hRef);
  for (const op of HOST_OPS) {
    vm.getField(L, -1, op);
    lib.ops.set(op, vm.ref(L));
  }
  vm.getField(L, -1, 'ftype');
  const ftypeRef = vm.ref(L);
  vm.pop(L, 1);
  vm.unref(hRef);
  ioLib.luaFileType = (L, i) => {
    if (!taggedBlock(vm, L, i, HandleTag.luaIoFile)) return null;
    vm.pushRef(L, ftypeRef);
    vm.pushValue(L, i < 0 ? i - 1 : i);
    if (vm.pcall(L, 1, 1)) return null;
    const t = vm.toStr(L, -1);
    vm.pop(L, 1);
    return t;
  };
}
