/**
 * IO objects: `ba.openio(name)`, `ba.mkio(io, path)`, the IO methods
 * (`open`, `stat`, `files`, `mkdir`, `rmdir`, `remove`, `rename`, `realpath`, `resourcetype`,
 * `loadfile`, `dofile`) and BAS file objects, whose `read()` without an argument returns the
 * next block of up to 1024 bytes (there is no line mode). Each app gets an IO rooted at its
 * directory as `io` in its environment.
 *
 * An IO is a directory on disk and a name is always relative to it: a leading "/" is ignored
 * and ".." may not climb above the root (→ nil, "noaccess"). The check is on the name, not
 * on symbolic links inside the tree. File operations suspend only the calling coroutine
 * (see file.ts).
 *
 * Errors are `nil, code, message` with BAS's codes: "enoent", "exist", "noaccess",
 * "notempty", "nospace", "invalidname", "ioerror".
 */
import { existsSync, type Stats } from 'node:fs';
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LuaRaise } from '../vm/lua-error.js';
import { T_NUMBER, T_STRING, T_USERDATA, type LState, type LuaVM } from '../vm/lua-vm.js';
import { HandleTable, HandleTag } from '../vm/handles.js';
import { pushRecord } from '../vm/lua-values.js';
import type { BaContext } from './context.js';
import { IoError, ioErrorOf, mkdir, readFile, rename, rmdir, runAsync, stat, unlink, type FsOp } from '../fs/fs-op.js';
import { LFile, closeFile, flushWrites, openFile, openFlags, readAll, readBytes, seek, writeData } from '../fs/buffered-file.js';
import { readWhole, type IoSource } from '../fs/io-source.js';
import { Wait } from '../sched/waiter.js';
import { IoDef, getUrl, listDir, openUrl, openZipEntry, statUrl, zipEntry, zipStat, type DirEntry } from './io-def.js';
import { IoCore, seekFile, setFileMetamethods } from './file.js';
import { installLuaIo } from './std-io.js';
import { ioPropertyMethods, type IoPropsHost } from './io-props.js';
import { ZipArchive, ZipFormatError } from '../fs/zip-archive.js';

export { IoDef, type IoKind } from './io-def.js';

/** A file that opened but could not be read (loadfile's "cannot read <name>: ioerror "). */
class ReadFailed extends IoError {
  constructor() {
    super('ioerror', '');
  }
}

/** f:read() without arguments returns blocks of this size (BAS). */
const READ_BLOCK = 1024;

/** Folder served as the "vm" IO: dist/src/vm-resources after a build, else the source folder. */
export function vmResourceDir(): string {
  const candidates = [
    fileURLToPath(new URL('../vm-resources', import.meta.url)),
    fileURLToPath(new URL('../../../src/vm-resources', import.meta.url)),
  ];
  return candidates.find((c) => existsSync(c)) ?? candidates[0]!;
}

/** Lua half: dofile and the files iterator are Lua so the chunk and loop may yield. */
const IO_LUA = `
local methods, list = ...
local error = error
-- io:files(dir [, attrs]): Mako yields every entry, "." and ".." included; the name alone,
-- or name, isdir, mtime, size when attrs is true. A directory that cannot be listed raises.
function methods.files(self, dir, attrs)
  local t, code, msg = list(self, dir, attrs)
  if not t then
    error(("directory open failed: '%s' %s (%s) "):format(dir or "", msg, code), 2)
  end
  local i = 0
  return function()
    i = i + 1
    local e = t[i]
    if e == nil then return nil end
    if not attrs then return e.name end
    return e.name, e.isdir, e.mtime, e.size
  end
end
function methods.dofile(self, name, env)
  local f, err = methods.loadfile(self, name, env)
  if not f then error(err, 0) end
  return f()
end
`;

/** A `ba.create.luaio` object's host side (src/ba/luaio.ts). */
export interface LuaIoHandle extends IoSource {
  /** Keeps the Lua object alive for the host (a resource reader serving from it). */
  pin(L: LState, i: number): void;
  /** Pushes the Lua object (nil when it is not pinned). */
  pushLua(L: LState): void;
}

export class IoLib implements IoPropsHost {
  /** The Lua-implemented IOs (src/ba/luaio.ts sets it). */
  luaIos: HandleTable<LuaIoHandle> | null = null;
  /** io:type of a Lua-implemented IO's file object (src/ba/luaio.ts sets it). */
  luaFileType: ((L: LState, i: number) => string | null) | null = null;
  /** The TLS contexts of io:netconf's `shark` (src/ba/tls.ts's, wired by the runtime). */
  sharkAt: ((L: LState, i: number) => { server: boolean } | null) | null = null;
  /** The methods every IO kind shares (io-props.ts), for the Lua-implemented IOs too. */
  readonly propMethods: Record<string, (L: LState) => number>;

  readonly core: IoCore;
  private readonly ios: HandleTable<IoDef>;
  private fileMtRef = 0;
  /** Registry ref of a table name -> IO userdata for ba.openio (one object per name). */
  private namedRef = 0;
  /** Registry ref of ba.loadfile's host half (loadAny). */
  ioloadRef = 0;

  constructor(readonly ctx: BaContext) {
    this.core = new IoCore(ctx);
    this.ios = new HandleTable(ctx.vm, HandleTag.io);
    this.propMethods = ioPropertyMethods(this);
  }

  private get vm(): LuaVM {
    return this.ctx.vm;
  }

  // ---- IO objects -------------------------------------------------------------------------------

  /** Pushes a Lua object for an IO (a new one for an IoDef). */
  pushIo(L: LState, src: IoSource): void {
    if (src instanceof IoDef) this.ios.push(L, this.ios.add(src));
    else (src as LuaIoHandle).pushLua(L);
  }

  /** The disk, zip or net IO at stack index i, or null. */
  toIo(L: LState, i: number): IoDef | null {
    return this.ios.at(L, i);
  }

  /** Any IO object at stack index i (a Lua-implemented one too), or null. */
  toSource(L: LState, i: number): IoDef | LuaIoHandle | null {
    return this.ios.at(L, i) ?? this.luaIos?.at(L, i) ?? null;
  }

  private checkIo(L: LState, i: number, fname: string): IoDef {
    const io = this.toIo(L, i);
    if (!io) this.ctx.args.typeError(L, i, fname, 'IO');
    return io;
  }

  /** A named IO for ba.openio, or null for an unknown name. */
  namedIo(name: string): IoDef | null {
    const def = this.makeNamedIo(name);
    if (def) def.named = true;
    return def;
  }

  private makeNamedIo(name: string): IoDef | null {
    switch (name) {
      case 'home':
        return new IoDef(resolve(this.ctx.config.homeio ?? process.cwd()), 'disk', false);
      case 'disk':
        return new IoDef('/', 'disk', false);
      case 'vm':
        return new IoDef(vmResourceDir(), 'zip', true);
      case 'net':
        return new IoDef('', 'net', true);
      default:
        return null;
    }
  }

  // ---- result pushers -------------------------------------------------------------------------

  /**
   * nil, code, message (and the name when given), as Mako's IO methods return them. With
   * `notDirIsExist`, a path that is not a directory has code "exist" (Mako's rmdir, files).
   */
  private pushErr(L: LState, e: unknown, extra?: string, notDirIsExist = false): number {
    const vm = this.vm;
    const { code, message } = ioErrorOf(e);
    vm.pushNil(L);
    vm.pushString(L, notDirIsExist && (e as NodeJS.ErrnoException)?.code === 'ENOTDIR' ? 'exist' : code);
    // A zip IO's "notfound" has no message (nil), as Mako's.
    if (message === '') vm.pushNil(L);
    else vm.pushString(L, message);
    if (extra === undefined) return 3;
    vm.pushString(L, extra);
    return 4;
  }

  private readonly fail = (L: LState, e: unknown): number => this.pushErr(L, e);
  private readonly pushTrue = (L: LState): number => {
    this.vm.pushBoolean(L, true);
    return 1;
  };


  // ---- install --------------------------------------------------------------------------------

  install(L: LState): void {
    const vm = this.vm;

    // File objects.
    vm.newMetatable(L, 'BaFile');
    vm.newTable(L);
    for (const [name, fn] of Object.entries(this.fileMethods())) vm.setHost(L, -1, name, fn);
    vm.setField(L, -2, '__index');
    // BAS file objects print as "file (<address>)" (no 0x), Lua's as "file (0x...)".
    setFileMetamethods(this.ctx, this.core, L, -1, '');
    vm.pushValue(L, -1);
    this.fileMtRef = vm.ref(L);
    vm.pop(L, 1);

    // IO objects.
    vm.newMetatable(L, 'BaIo');
    vm.newTable(L);
    for (const [name, fn] of Object.entries({ ...this.ioMethods(), ...this.propMethods })) vm.setHost(L, -1, name, fn);
    const err = vm.load(L, IO_LUA, '=io');
    if (err) throw err;
    vm.pushValue(L, -2);
    vm.pushHost(L, 'files', (L) => this.listFn(L));
    const perr = vm.pcall(L, 2, 0);
    if (perr) throw perr;
    vm.setField(L, -2, '__index');
    vm.setHost(L, -1, '__gc', (L) => {
      this.ios.release(this.ios.idAt(L, 1));
      return 0;
    });
    vm.setHost(L, -1, '__close', this.propMethods.close!);
    vm.setHost(L, -1, '__tostring', (L) => {
      // Mako: "IO Interface: <address>" (its %p has no 0x).
      vm.pushString(L, `IO Interface: ${vm.toUserdata(L, 1).toString(16)}`);
      return 1;
    });
    vm.pushValue(L, -1);
    this.ios.mtRef = vm.ref(L);
    vm.pop(L, 1);

    vm.newTable(L);
    this.namedRef = vm.ref(L);

    this.ctx.pushBa(L);
    vm.setHost(L, -1, 'openio', (L) => this.openio(L));
    vm.setHost(L, -1, 'mkio', (L) => this.mkio(L));
    vm.pop(L, 1);
    vm.pushHost(L, 'ioload', (L) => this.loadAny(L));
    this.ioloadRef = vm.ref(L);

    installLuaIo(this.ctx, this.core);
  }

  // ---- ba.openio / ba.mkio ---------------------------------------------------------------------

  private openio(L: LState): number {
    const vm = this.vm;
    const name = this.ctx.args.checkString(L, 1, 'openio');
    vm.pushRef(L, this.namedRef);
    if (vm.getField(L, -1, name) === T_USERDATA) return 1;
    vm.pop(L, 1);
    const def = this.namedIo(name);
    if (!def) {
      vm.pushNil(L);
      return 1;
    }
    this.pushIo(L, def);
    vm.pushValue(L, -1);
    vm.setField(L, -3, name);
    return 1;
  }

  /**
   * Suspends the calling coroutine until `make()`'s promise settles, then pushes `ok(v)` or
   * `fail(err)` (operations of a Lua-implemented IO, which run in tasks of their own).
   */
  awaitPromise<T>(L: LState, what: string, make: () => Promise<T>, ok: (L: LState, v: T) => number, fail: (L: LState, e: unknown) => number): number {
    const { sched } = this.ctx;
    if (!this.core.canWait(L)) throw new LuaRaise(`${what}: a Lua-implemented IO cannot be used where Lua cannot wait`);
    const w = new Wait('io', sched.current!);
    make().then(
      (v) => w.complete((L) => ok(L, v)),
      (e) => w.complete((L) => fail(L, e)),
    );
    return sched.suspend(L, w, what);
  }

  private mkio(L: LState): number {
    const name = this.ctx.args.checkString(L, 2, 'mkio');
    const src = this.toSource(L, 1);
    if (src && !(src instanceof IoDef)) {
      // Mako: no IO for a directory of a Lua-implemented IO; a file is read as a zip file.
      return this.awaitPromise(
        L,
        'mkio',
        async () => {
          const st = await src.stat(name);
          if (!st) throw new IoError('notfound', '');
          if (st.isdir) throw new IoError('noimplementation', '');
          try {
            return new IoDef('', 'zip', true, false, new ZipArchive(await readWhole(src, name)));
          } catch (e) {
            throw e instanceof ZipFormatError || e instanceof RangeError ? new IoError('ioerror', '') : e;
          }
        },
        this.mkioMade,
        this.mkioFailed,
      );
    }
    const io = this.checkIo(L, 1, 'mkio');
    return this.core.run(
      L,
      'mkio',
      function* (): FsOp<IoDef> {
        const path = io.resolve(name);
        if (io.archive) {
          // Mako makes no IO from a zip IO: "failed" for a folder that is there.
          if (!io.archive.get(path)) throw new IoError('notfound', '');
          throw new IoError('failed', '');
        }
        const st = yield* stat(path);
        if (st.isDirectory()) return new IoDef(path, io.kind, io.readOnly, io.confined);
        // A file: a zip file's IO (read into memory once).
        let zip: ZipArchive;
        const bytes = yield* readFile(path);
        try {
          zip = new ZipArchive(bytes);
        } catch (e) {
          if (!(e instanceof ZipFormatError || e instanceof RangeError)) throw e;
          // As Mako: an empty file is "unknown", one shorter than a central directory entry
          // (46 bytes) "ioerror", any other that is no zip "zipincompatible".
          throw new IoError(bytes.length === 0 ? 'unknown' : bytes.length < 46 ? 'ioerror' : 'zipincompatible', 'Not a zip file');
        }
        return new IoDef('', 'zip', true, false, zip);
      },
      this.mkioMade,
      this.mkioFailed,
    );
  }

  /** ba.mkio's answers: the new IO, or (as Mako) nil and the error code only. */
  private readonly mkioMade = (L: LState, def: IoDef): number => {
    this.pushIo(L, def);
    return 1;
  };

  private readonly mkioFailed = (L: LState, e: unknown): number => {
    this.vm.pushNil(L);
    this.vm.pushString(L, ioErrorOf(e).code);
    return 2;
  };

  // ---- IO methods -------------------------------------------------------------------------------

  private ioMethods(): Record<string, (L: LState) => number> {
    const { vm } = this;
    const args = this.ctx.args;
    const nameArg = (L: LState, i: number, fname: string): string => args.optString(L, i, fname, '');
    return {
      open: (L) => {
        // Mako names BAS methods '?' in argument errors.
        const io = this.checkIo(L, 1, 'open');
        const name = args.checkString(L, 2, '?');
        const mode = args.optString(L, 3, '?', 'r');
        const fl = openFlags(mode);
        if (!fl) throw new LuaRaise(`Invalid mode '${mode}'`);
        return this.core.run(
          L,
          'open',
          () =>
            (function* () {
              if (io.archive) {
                if (fl.write) throw new IoError('noaccess', 'Cannot write to ZIP file');
                return yield* openZipEntry(io, name);
              }
              if (fl.write) io.writable();
              if (io.kind === 'net') return yield* openUrl(io, io.resolve(name));
              return yield* openFile(io.resolve(name), fl.flags, fl.append);
            })(),
          (L, f) => {
            this.core.pushFile(L, f, this.fileMtRef);
            return 1;
          },
          (L, e) => this.pushErr(L, e, name),
          undefined,
          (f) => f && runAsync(closeFile(f), () => {}),
        );
      },
      stat: (L) => {
        const io = this.checkIo(L, 1, 'stat');
        const name = nameArg(L, 2, 'stat');
        return this.core.run(
          L,
          'stat',
          () => (io.archive ? (function* (): FsOp<Stats> { return zipStat(io, name); })() : io.kind === 'net' ? statUrl(io, io.resolve(name)) : stat(io.resolve(name))),
          (L, st) => {
            pushRecord(vm, L, {
              name: name.replace(/\/+$/, '') === '' ? '' : basename(name.replace(/\/+$/, '')),
              type: st.isDirectory() ? 'directory' : st.isFile() ? 'regular' : 'other',
              size: st.size,
              mtime: Math.floor(st.mtimeMs / 1000),
              isdir: st.isDirectory(),
            });
            return 1;
          },
          // Mako: nil, code, nil, name.
          (L, e) => {
            vm.pushNil(L);
            vm.pushString(L, ioErrorOf(e).code);
            vm.pushNil(L);
            vm.pushString(L, name);
            return 4;
          },
        );
      },
      mkdir: (L) => {
        const io = this.checkIo(L, 1, 'mkdir');
        const name = args.checkString(L, 2, 'mkdir');
        return this.core.run(L, 'mkdir', () => (io.writable(), mkdir(io.resolve(name))), this.pushTrue, (L, e) => this.pushErr(L, e, name));
      },
      rmdir: (L) => {
        const io = this.checkIo(L, 1, 'rmdir');
        const name = args.checkString(L, 2, 'rmdir');
        return this.core.run(L, 'rmdir', () => (io.writable(), rmdir(io.resolve(name))), this.pushTrue, (L, e) => this.pushErr(L, e, name, true));
      },
      remove: (L) => {
        const io = this.checkIo(L, 1, 'remove');
        const name = args.checkString(L, 2, 'remove');
        // Mako removes files and empty directories alike (C remove()).
        const removeOp = function* (path: string): FsOp<void> {
          try {
            yield* unlink(path);
          } catch (e) {
            if ((e as NodeJS.ErrnoException)?.code !== 'EISDIR') throw e;
            yield* rmdir(path);
          }
        };
        return this.core.run(L, 'remove', () => (io.writable(), removeOp(io.resolve(name))), this.pushTrue, (L, e) => this.pushErr(L, e, name));
      },
      rename: (L) => {
        const io = this.checkIo(L, 1, 'rename');
        const from = args.checkString(L, 2, 'rename');
        const to = args.checkString(L, 3, 'rename');
        return this.core.run(L, 'rename', () => (io.writable(), rename(io.resolve(from), io.resolve(to))), this.pushTrue, (L, e) => this.pushErr(L, e, from));
      },
      realpath: (L) => {
        // Mako: the root, "/", then the name without its leading "/", as written (no
        // normalisation; "" gives the root with a trailing "/"). A zip or net IO has no disk
        // path: no value at all.
        const io = this.checkIo(L, 1, 'realpath');
        const name = nameArg(L, 2, 'realpath');
        if (io.kind !== 'disk') return 0;
        vm.pushString(L, (io.root.endsWith('/') ? io.root : io.root + '/') + name.replace(/^\/+/, ''));
        return 1;
      },
      resourcetype: (L) => {
        const io = this.checkIo(L, 1, 'resourcetype');
        vm.pushString(L, io.kind);
        if (io.archive) {
          vm.pushString(L, 'zip'); // Mako's second value for a zip file's IO
          return 2;
        }
        if (io.kind !== 'disk') return 1;
        vm.pushString(L, process.platform === 'win32' ? 'windows' : 'POSIX');
        return 2;
      },
      loadfile: (L) => this.loadfile(L),
    };
  }

  /** Host half of io:files: a table of entries ({name, isdir, mtime, size}), sorted by name. */
  private listFn(L: LState): number {
    const vm = this.vm;
    const io = this.checkIo(L, 1, 'files');
    const name = this.ctx.args.optString(L, 2, 'files', '');
    const attrs = vm.toBoolean(L, 3);
    return this.core.run(
      L,
      'files',
      () =>
        io.archive
          ? (function* (): FsOp<DirEntry[]> {
              const dir = io.resolve(name);
              if (!io.archive!.isDir(dir)) throw new IoError('notfound', '');
              // Mako lists a zip directory without "." and "..".
              return io.archive!.list(dir).map((e) => ({ name: e.name.slice(e.name.lastIndexOf('/') + 1), isdir: e.isdir, mtime: e.mtime, size: e.size }));
            })()
          : listDir(io.resolve(name), attrs),
      (L, list) => {
        vm.newTable(L, list.length);
        list.forEach((e, k) => {
          pushRecord(vm, L, { name: e.name, isdir: e.isdir, mtime: e.mtime, size: e.size });
          vm.rawSetI(L, -2, k + 1);
        });
        return 1;
      },
      (L, e) => {
        // Mako reports a path that is not a directory with code "exist".
        const r = ioErrorOf(e);
        vm.pushNil(L);
        vm.pushString(L, (e as NodeJS.ErrnoException)?.code === 'ENOTDIR' ? 'exist' : r.code);
        vm.pushString(L, r.message);
        return 3;
      },
    );
  }

  /**
   * ba.loadfile's host half, ioload(io, name [, env]): io:loadfile for the disk, zip and net
   * IOs; a Lua-implemented IO's file is read through its open and read functions (read until
   * it answers "" or nil), and one that cannot be opened gives nil, "cannot open <name>:
   * <code> " as in Mako.
   */
  loadAny(L: LState): number {
    const src = this.toSource(L, 1);
    if (!src) this.ctx.args.typeError(L, 1, 'ba.loadfile', 'IO');
    if (src instanceof IoDef) return this.loadfile(L);
    const name = this.ctx.args.checkString(L, 2, 'ba.loadfile');
    const load = this.chunkLoader(L, name);
    return this.awaitPromise(L, 'ba.loadfile', () => readWhole(src, name), load.ok, load.fail);
  }

  /**
   * loadfile's two halves for a chunk named `name`: the optional env argument (index 3) taken
   * now, then the bytes loaded as `@name` with it as their _ENV (or the syntax error), or a
   * read error as Mako words it, nil, "cannot open <name>: <code> <message>".
   */
  private chunkLoader(L: LState, name: string): { ok: (L: LState, data: Buffer) => number; fail: (L: LState, e: unknown) => number; release: () => void } {
    const vm = this.vm;
    let envRef = 0;
    if (!this.ctx.args.isNoneOrNil(L, 3)) {
      vm.pushValue(L, 3);
      envRef = vm.ref(L);
    }
    const release = (): void => {
      if (envRef) vm.unref(envRef);
      envRef = 0;
    };
    const ok = (L: LState, data: Buffer): number => {
      const err = vm.load(L, data, '@' + name);
      if (err) {
        release();
        vm.pushNil(L);
        vm.pushString(L, err.message);
        return 2;
      }
      if (envRef) {
        vm.pushRef(L, envRef);
        if (!vm.setUpvalue(L, -2, 1)) vm.pop(L, 1);
      }
      release();
      return 1;
    };
    const fail = (L: LState, e: unknown): number => {
      release();
      const { code, message } = ioErrorOf(e);
      vm.pushNil(L);
      vm.pushString(L, `cannot ${e instanceof ReadFailed ? 'read' : 'open'} ${name}: ${code} ${message}`);
      return 2;
    };
    return { ok, fail, release };
  }

  /** io:loadfile(name [, env]) → function, or nil, message ("cannot open <name>: <code> <message>", or the syntax error). */
  private loadfile(L: LState): number {
    const io = this.checkIo(L, 1, 'loadfile');
    const name = this.ctx.args.checkString(L, 2, 'loadfile');
    const load = this.chunkLoader(L, name);
    return this.core.run(
      L,
      'loadfile',
      () =>
        io.archive
          ? (function* (): FsOp<Buffer> {
              const e = zipEntry(io, name);
              // Mako: a closed zip file's entry opens but cannot be read.
              if (io.archive!.closed && !e.isdir) throw new ReadFailed();
              return io.archive!.read(e);
            })()
          : io.kind === 'net'
            ? getUrl(io, io.resolve(name))
            : readFile(io.resolve(name)),
      load.ok,
      load.fail,
      undefined,
      load.release,
    );
  }

  // ---- BAS file objects -------------------------------------------------------------------------

  private checkFile(L: LState, fname: string): LFile {
    const e = this.core.toFile(L, 1);
    if (!e) this.ctx.args.typeError(L, 1, fname, 'file');
    if (e.f.closed) throw new LuaRaise('attempt to use a closed file');
    return e.f;
  }

  private fileMethods(): Record<string, (L: LState) => number> {
    const { vm } = this;
    const args = this.ctx.args;
    const pushData = (L: LState, b: Buffer | null): number => {
      if (b) vm.pushBytes(L, b);
      else vm.pushNil(L);
      return 1;
    };
    return {
      read: (L) => {
        const f = this.checkFile(L, 'read');
        const t = vm.type(L, 2);
        if (t === T_NUMBER) {
          const n = args.checkInteger(L, 2, 'read');
          if (n < 0) args.argError(2, 'read', 'negative size');
          return this.core.run(L, 'read', () => readBytes(f, n), pushData, this.fail, f);
        }
        if (t === T_STRING) {
          const fmt = vm.toStr(L, 2)!;
          if (fmt === 'a' || fmt === '*a') return this.core.run(L, 'read', () => readAll(f), pushData, this.fail, f);
          // BAS has no line mode: "l", "*l", "n", ... are errors.
          return args.argError(2, 'read', 'invalid format');
        }
        if (!args.isNoneOrNil(L, 2)) return args.argError(2, 'read', 'invalid format');
        return this.core.run(L, 'read', () => readBytes(f, READ_BLOCK), pushData, this.fail, f);
      },
      write: (L) => {
        const f = this.checkFile(L, 'write');
        const data = this.collectData(L, 2, 'write');
        return this.core.run(L, 'write', () => writeData(f, data), this.pushTrue, this.fail, f);
      },
      // BAS: seek(offset) from the start of the file; returns true.
      seek: (L) => {
        const f = this.checkFile(L, 'seek');
        if (vm.type(L, 2) !== T_NUMBER) return seekFile(this.ctx, this.core, L, f, this.fail);
        const off = args.checkInteger(L, 2, 'seek');
        return this.core.run(L, 'seek', () => seek(f, 'set', off), this.pushTrue, this.fail, f);
      },
      flush: (L) => {
        const f = this.checkFile(L, 'flush');
        return this.core.run(L, 'flush', () => flushWrites(f), this.pushTrue, this.fail, f);
      },
      close: (L) => {
        const f = this.checkFile(L, 'close');
        return this.core.run(L, 'close', () => closeFile(f), this.pushTrue, this.fail, f);
      },
    };
  }

  /** Concatenated copies of arguments from..top (strings, numbers, bytearrays). */
  collectData(L: LState, from: number, fname: string): Buffer {
    const n = this.vm.top(L);
    const parts: Buffer[] = [];
    for (let i = from; i <= n; i++) {
      const b = this.ctx.dataBytes(L, i);
      if (!b) this.ctx.args.typeError(L, i, fname, 'string');
      parts.push(Buffer.from(b));
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
}

/** Registers ba.openio, ba.mkio and the standard io replacements. */
export function installIo(ctx: BaContext): IoLib {
  const lib = new IoLib(ctx);
  lib.install(ctx.vm.L);
  return lib;
}
