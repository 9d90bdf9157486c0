/**
 * Host-backed replacements for the standard Lua `io.open`, `io.lines(filename)`, `io.type`,
 * `io.close`, `os.remove` and `os.rename`. wasmoon's own versions work on emscripten's in-memory file system, which
 * scripts cannot tell apart from the real one until their data vanishes
 * (the VM's own io library reads a virtual in-memory file system). These open real files (paths relative to the process's
 * working directory, no IO sandbox) and behave like Lua 5.4's: `read` formats "n", "l", "L",
 * "a" and counts, `write` returns the file, errors are `nil, message, errno`.
 * File operations suspend only the calling coroutine (file.ts). docs/compat.md lists what
 * still differs.
 */
import { resolve } from 'node:path';
import { LuaRaise } from '../vm/lua-error.js';
import { T_NUMBER, T_STRING, type LState, type LuaVM } from '../vm/lua-vm.js';
import type { BaContext } from './context.js';
import { ioErrorOf, rename, rmdir, runAsync, stat, unlink, type FsOp } from '../fs/fs-op.js';
import { LFile, closeFile, flushWrites, openFile, openFlags, readAll, readBytes, readLine, readNumeral, writeData } from '../fs/buffered-file.js';
import { seekFile, setFileMetamethods, type IoCore } from './file.js';

/** What lua_stringtonumber accepts (decimal or hex, integer or float). */
const NUMERAL = /^[+-]?(?:0[xX](?:[0-9a-fA-F]+(?:\.[0-9a-fA-F]*)?|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)$/;

type Format = { kind: 'n' | 'l' | 'L' | 'a' } | { kind: 'count'; n: number };
type ReadResult = Buffer | { numeral: string } | null;

function* readFormats(f: LFile, fmts: Format[]): FsOp<ReadResult[]> {
  const out: ReadResult[] = [];
  for (const fmt of fmts) {
    let r: ReadResult;
    switch (fmt.kind) {
      case 'l':
      case 'L':
        r = yield* readLine(f, fmt.kind === 'L');
        break;
      case 'a':
        r = yield* readAll(f);
        break;
      case 'n': {
        const s = yield* readNumeral(f);
        r = NUMERAL.test(s) ? { numeral: s } : null;
        break;
      }
      case 'count':
        r = yield* readBytes(f, fmt.n);
        break;
    }
    out.push(r);
    // Lua stops at the first format that fails.
    if (r === null) break;
  }
  return out;
}

/** Lua half: io.lines and file:lines iterate with file:read, so they may wait. */
const LUA_IO = `
local open, methods, ftype, remove, rename = ...
os.remove, os.rename = remove, rename
local error, select, pack, unpack = error, select, table.pack, table.unpack
local io_type, io_close = io.type, io.close
io.open = open
function io.type(obj)
  local t = ftype(obj)
  if t then return t end
  return io_type(obj)
end
function io.close(f, ...)
  if ftype(f) then return f:close() end
  return io_close(f, ...)
end
function methods.lines(f, ...)
  local n, fmts = select('#', ...), {...}
  return function()
    if ftype(f) ~= "file" then error("file is already closed", 2) end
    return f:read(unpack(fmts, 1, n))
  end
end
function io.lines(name, ...)
  if name == nil then error("io.lines is not supported by this runtime", 2) end
  local f, err = open(name, "r")
  if not f then error(err, 2) end
  local n, fmts = select('#', ...), {...}
  return function()
    if ftype(f) ~= "file" then error("file is already closed", 2) end
    local r = pack(f:read(unpack(fmts, 1, n)))
    if r[1] == nil then f:close() end
    return unpack(r, 1, r.n)
  end, nil, nil, f
end
`;

class LuaIo {
  private mtRef = 0;

  constructor(
    readonly ctx: BaContext,
    readonly core: IoCore,
  ) {}

  private get vm(): LuaVM {
    return this.ctx.vm;
  }

  /** nil, message, errno (Lua's luaL_fileresult). */
  private fail = (L: LState, e: unknown, name?: string): number => {
    const vm = this.vm;
    const { message, errno } = ioErrorOf(e);
    vm.pushNil(L);
    vm.pushString(L, name === undefined ? message : `${name}: ${message}`);
    vm.pushInteger(L, errno);
    return 3;
  };

  private checkFile(L: LState, fname: string): LFile {
    const e = this.core.toFile(L, 1);
    if (!e || e.mt !== this.mtRef) this.ctx.args.typeError(L, 1, fname, 'FILE*');
    if (e.f.closed) throw new LuaRaise('attempt to use a closed file');
    return e.f;
  }

  install(L: LState): void {
    const vm = this.vm;
    // Not the registry's "FILE*": that one belongs to the stdlib's own files (io.stdout, ...).
    vm.newMetatable(L, 'remora.FILE*');
    vm.pushString(L, 'FILE*');
    vm.setField(L, -2, '__name');
    vm.newTable(L);
    for (const [name, fn] of Object.entries(this.methods())) vm.setHost(L, -1, name, fn);
    vm.pushValue(L, -1);
    vm.setField(L, -3, '__index');
    setFileMetamethods(this.ctx, this.core, L, -2);
    // Stack: metatable, methods.
    vm.pushValue(L, -2);
    this.mtRef = vm.ref(L);

    const err = vm.load(L, LUA_IO, '=io');
    if (err) throw err;
    vm.pushHost(L, 'open', (L) => this.open(L));
    vm.pushValue(L, -3);
    vm.pushHost(L, 'type', (L) => {
      const e = this.core.toFile(L, 1);
      if (!e) vm.pushNil(L);
      else vm.pushString(L, e.f.closed ? 'closed file' : 'file');
      return 1;
    });
    vm.pushHost(L, 'remove', (L) => this.remove(L));
    vm.pushHost(L, 'rename', (L) => this.rename(L));
    const perr = vm.pcall(L, 5, 0);
    if (perr) throw perr;
    vm.pop(L, 2);
  }

  /** io.open(filename [, mode]) */
  private open(L: LState): number {
    const args = this.ctx.args;
    const name = args.checkString(L, 1, 'open');
    const mode = args.optString(L, 2, 'open', 'r');
    const fl = openFlags(mode);
    if (!fl) return args.argError(2, 'open', 'invalid mode');
    return this.core.run(
      L,
      'open',
      () => openFile(resolve(name), fl.flags, fl.append),
      (L, f) => {
        this.core.pushFile(L, f, this.mtRef);
        return 1;
      },
      (L, e) => this.fail(L, e, name),
      undefined,
      (f) => f && runAsync(closeFile(f), () => {}),
    );
  }

  private readonly pushTrue = (L: LState): number => {
    this.vm.pushBoolean(L, true);
    return 1;
  };

  /** os.remove(filename): a file or an empty directory. */
  private remove(L: LState): number {
    const name = this.ctx.args.checkString(L, 1, 'remove');
    const path = resolve(name);
    return this.core.run(
      L,
      'remove',
      function* () {
        const st = yield* stat(path);
        if (st.isDirectory()) yield* rmdir(path);
        else yield* unlink(path);
      },
      this.pushTrue,
      (L, e) => this.fail(L, e, name),
    );
  }

  /** os.rename(oldname, newname) */
  private rename(L: LState): number {
    const from = this.ctx.args.checkString(L, 1, 'rename');
    const to = this.ctx.args.checkString(L, 2, 'rename');
    return this.core.run(L, 'rename', () => rename(resolve(from), resolve(to)), this.pushTrue, (L, e) => this.fail(L, e, from));
  }

  private methods(): Record<string, (L: LState) => number> {
    const { vm } = this;
    const args = this.ctx.args;
    const pushSelf = (L: LState): number => {
      // Async completions push onto the task's coroutine: the file is not on that stack.
      vm.pushBoolean(L, true);
      return 1;
    };
    return {
      read: (L) => {
        const f = this.checkFile(L, 'read');
        const n = vm.top(L);
        const fmts: Format[] = [];
        for (let i = 2; i <= n; i++) {
          if (vm.type(L, i) === T_NUMBER) {
            const c = args.checkInteger(L, i, 'read');
            fmts.push({ kind: 'count', n: Math.max(c, 0) });
            continue;
          }
          const s = vm.type(L, i) === T_STRING ? vm.toStr(L, i)!.replace(/^\*/, '') : '';
          const k = s[0];
          if (k !== 'n' && k !== 'l' && k !== 'L' && k !== 'a') return args.argError(i, 'read', 'invalid format');
          fmts.push({ kind: k });
        }
        if (fmts.length === 0) fmts.push({ kind: 'l' });
        return this.core.run(L, 'read', () => readFormats(f, fmts), (L, rs) => this.pushReads(L, rs), this.fail, f);
      },
      write: (L) => {
        const f = this.checkFile(L, 'write');
        const n = vm.top(L);
        const parts: Buffer[] = [];
        for (let i = 2; i <= n; i++) {
          const t = vm.type(L, i);
          if (t !== T_STRING && t !== T_NUMBER) args.typeError(L, i, 'write', 'string');
          parts.push(vm.toBytes(L, i)!);
        }
        const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
        // file:write returns the file; the file object is kept in the registry while the
        // operation runs so it can be returned after a wait.
        vm.pushValue(L, 1);
        const ref = vm.ref(L);
        const back = (L: LState): number => {
          vm.pushRef(L, ref);
          vm.unref(ref);
          return 1;
        };
        return this.core.run(
          L,
          'write',
          () => writeData(f, data),
          back,
          (L, e) => {
            vm.unref(ref);
            return this.fail(L, e);
          },
          f,
          () => vm.unref(ref),
        );
      },
      seek: (L) => seekFile(this.ctx, this.core, L, this.checkFile(L, 'seek'), this.fail),
      flush: (L) => {
        const f = this.checkFile(L, 'flush');
        vm.pushValue(L, 1);
        const ref = vm.ref(L);
        return this.core.run(
          L,
          'flush',
          () => flushWrites(f),
          (L) => {
            vm.pushRef(L, ref);
            vm.unref(ref);
            return 1;
          },
          (L, e) => {
            vm.unref(ref);
            return this.fail(L, e);
          },
          f,
          () => vm.unref(ref),
        );
      },
      close: (L) => {
        const f = this.checkFile(L, 'close');
        return this.core.run(L, 'close', () => closeFile(f), pushSelf, this.fail, f);
      },
      setvbuf: (L) => {
        this.checkFile(L, 'setvbuf');
        vm.pushBoolean(L, true);
        return 1;
      },
    };
  }

  private pushReads(L: LState, rs: ReadResult[]): number {
    const vm = this.vm;
    for (const r of rs) {
      if (r === null) vm.pushNil(L);
      else if (r instanceof Buffer) vm.pushBytes(L, r);
      else this.pushNumeral(L, (r as { numeral: string }).numeral);
    }
    return rs.length;
  }

  /** Converts a numeral with Lua's own lua_stringtonumber; pushes nil (fail) when invalid. */
  private pushNumeral(L: LState, s: string): void {
    const vm = this.vm;
    const ok = vm.pushNumeral(L, Buffer.from(s, 'latin1'));
    if (!ok) vm.pushNil(L);
  }
}

/** Replaces io.open, io.lines, io.type, io.close, os.remove and os.rename with host-backed versions. */
export function installLuaIo(ctx: BaContext, core: IoCore): void {
  new LuaIo(ctx, core).install(ctx.vm.L);
}
