/**
 * The composition root: one Lua VM, its dispatcher, and every `ba.*` namespace installed.
 * The CLI, the tests and the benchmarks create a Runtime and run chunks in it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LuaError } from '../vm/lua-error.js';
import { LuaVM, type LState } from '../vm/lua-vm.js';
import { Scheduler, type TaskKind } from '../sched/scheduler.js';
import { consoleLog, type TraceLog } from '../sched/trace-log.js';
import { BaContext, defaultConfig, type RuntimeConfig } from '../ba/context.js';
import { installCore } from '../ba/core.js';
import { installDateTime } from '../ba/datetime.js';
import { installMisc } from '../ba/misc.js';
import { installIoHelpers } from '../ba/io-helpers.js';
import { installLuaIoObjects } from '../ba/luaio.js';
import { SocketLib } from '../ba/socket.js';
import { installBytearray } from '../ba/bytearray.js';
import { installJson } from '../ba/json.js';
import { installCrypto } from '../ba/crypto.js';
import { IoDef, installIo, vmResourceDir, type IoLib } from '../ba/io.js';
import { Dir, DirLib } from '../ba/dir.js';
import { installPipe } from '../ba/pipe.js';
import { installDav } from '../ba/dav.js';
import { installCryptoPk } from '../ba/crypto-pk.js';
import { installCryptoSym } from '../ba/crypto-sym.js';
import { installUbjson } from '../ba/ubjson.js';
import { installCryptoX509 } from '../ba/crypto-x509.js';
import { installPackage } from '../ba/package.js';
import { installOpcuaNs0 } from '../ba/opcua-ns0.js';
import { installXparser } from '../ba/xparser.js';
import { installLuaSocketCompat } from '../ba/luasocket-compat.js';
import { installThread } from '../ba/thread.js';
import { installTimer } from '../ba/timer.js';
import { installUdp } from '../ba/udp.js';
import { installTls, type TlsLib } from '../ba/tls.js';
import { installWebSocket, type WebSocketLib } from '../ba/websocket.js';
import { installHttpc } from '../ba/httpc.js';

export interface RuntimeOptions {
  log?: TraceLog;
  config?: Partial<RuntimeConfig>;
  /** Called when a graceful shutdown has finished (default: process.exit). */
  onExit?: (code: number) => void;
}

/** What a hook adding members to a new app environment sees of the app (`App`, app-loader.ts). */
export interface AppEnvTarget {
  readonly name: string;
  /** The app's directory on disk (or its zip file). */
  readonly path: string;
  /** The app's resource reader (env.dir). */
  readonly dir: Dir;
  /** An app run from a zip file: that file's IO. */
  readonly zipIo: IoDef | null;
}

/** Adds members to a new app environment (the table is on top of L). */
export type AppEnvHook = (app: AppEnvTarget, L: LState) => void;

/** A unit that can be unloaded at shutdown (an app with `onunload`). */
export interface Unloadable {
  name: string;
  unload(): Promise<void> | void;
}

export class Runtime {
  readonly ctx: BaContext;
  readonly sockets: SocketLib;
  readonly websocket: WebSocketLib;
  /** SharkSSL objects (ba.create.sharkssl, sharkcert). */
  readonly tls: TlsLib;
  readonly unloadables: Unloadable[] = [];
  /** Called for every new app environment (modules add `io`, `dir`, ...). */
  readonly appHooks: AppEnvHook[] = [];
  readonly io: IoLib;
  /** The server's root directory (ba.create.dir objects and apps are inserted into it). */
  readonly rootDir = new Dir('dir', null, 0);
  readonly dirs: DirLib;
  private shuttingDown: Promise<void> | null = null;
  private readonly onExit: (code: number) => void;

  private constructor(
    readonly vm: LuaVM,
    readonly sched: Scheduler,
    readonly log: TraceLog,
    config: RuntimeConfig,
    onExit: (code: number) => void,
  ) {
    this.ctx = new BaContext(vm, sched, log, config);
    this.onExit = onExit;
    installCore(this.ctx, { exit: (code) => void this.shutdown(code) });
    installLuaSocketCompat(this.ctx);
    installPackage(this.ctx, { moduleRoots: [...(config.modules ?? []), join(vmResourceDir(), '.lua')] });
    installOpcuaNs0(this.ctx);
    installXparser(this.ctx);
    this.sockets = new SocketLib(this.ctx);
    this.sockets.install(vm.L);
    installBytearray(this.ctx);
    installJson(this.ctx);
    const cryptoLib = installCrypto(this.ctx);
    installCryptoPk(this.ctx);
    installCryptoSym(this.ctx).callHash = (L) => cryptoLib.hash(L);
    installUbjson(this.ctx);
    installCryptoX509(this.ctx);
    installDateTime(this.ctx);
    installMisc(this.ctx);
    const ioLib = installIo(this.ctx);
    this.io = ioLib;
    installIoHelpers(this.ctx, ioLib);
    installLuaIoObjects(this.ctx, ioLib);
    // Each app's environment gets an IO rooted at the app directory (as in Mako).
    this.appHooks.push((app, L) => {
      const io = app.zipIo ?? new IoDef(app.path, 'disk', false, !this.ctx.config.ioSymlinks);
      app.dir.io = io;
      ioLib.pushIo(L, io);
      vm.pushValue(L, -1);
      app.dir.ioRef = vm.ref(L);
      vm.setField(L, -2, 'io');
    });
    this.dirs = new DirLib(this.ctx, ioLib, { root: this.rootDir });
    this.dirs.install(vm.L);
    installDav(this.ctx, this.dirs, ioLib);
    installThread(this.ctx);
    installTimer(this.ctx);
    installUdp(this.ctx, this.sockets);
    installPipe(this.ctx, this.sockets);
    this.tls = installTls(this.ctx, this.sockets, ioLib);
    ioLib.sharkAt = (L, i) => this.tls.contextAt(L, i);
    this.websocket = installWebSocket(this.ctx, this.sockets);
    installHttpc(this.ctx, this.sockets, this.websocket);
  }

  static async create(opts: RuntimeOptions = {}): Promise<Runtime> {
    const vm = await LuaVM.create();
    // Lua's generational collector: a server's garbage is mostly young (the strings of each
    // message, a page's environment) and its live heap old; the incremental collector marked
    // the whole live heap again for every heap's worth of messages (a 16 KiB echo spent a fifth
    // of its CPU there). A script may switch back with collectgarbage("incremental").
    vm.exec('collectgarbage("generational")', '=gcmode');
    const log = opts.log ?? consoleLog;
    const config = { ...defaultConfig, ...opts.config };
    if (config.binaryChunks) vm.binaryChunks = true;
    const sched = new Scheduler(vm, log, { cpuBudgetMs: config.cpuBudgetMs });
    return new Runtime(vm, sched, log, config, opts.onExit ?? ((code) => process.exit(code)));
  }

  get config(): RuntimeConfig {
    return this.ctx.config;
  }

  /**
   * Loads `source` and runs it as a task of `kind` (optionally with the table at registry ref
   * `envRef` as its _ENV). Resolves when the task ends; rejects with the LuaError when loading
   * fails. Runtime errors are traced (as BAS does) and resolve with the error.
   */
  run(
    source: Uint8Array | string,
    chunkname: string,
    kind: TaskKind = 'script',
    envRef = 0,
    pushArgs?: (L: LState) => number,
    /** The task's own CPU budget (an app's); undefined = inherit / global. */
    budgetMs?: number,
  ): Promise<LuaError | null> {
    const { vm, sched } = this;
    return new Promise((resolve, reject) => {
      const task = sched.create(kind, {
        onEnd: () => resolve(null),
        onError: (t, err) => {
          sched.traceError(t.kind, err);
          resolve(err);
        },
      });
      if (budgetMs !== undefined) task.budgetMs = budgetMs;
      const lerr = vm.load(task.co, source, chunkname);
      if (lerr) {
        reject(lerr);
        return;
      }
      if (envRef) this.setEnv(task.co, envRef);
      sched.resume(task, pushArgs ? pushArgs(task.co) : 0);
    });
  }

  /** Sets the first upvalue (_ENV) of the function on top of L to the table at `envRef`. */
  setEnv(L: LState, envRef: number): void {
    this.vm.pushRef(L, envRef);
    if (!this.vm.setUpvalue(L, -2, 1)) this.vm.pop(L, 1);
  }

  /** Runs a Lua file as a one-shot script. */
  runFile(path: string, kind: TaskKind = 'script'): Promise<LuaError | null> {
    const src = readFileSync(path);
    return this.run(src, '@' + path, kind);
  }

  /** Stops all activity at once: no onunload, nothing resumed (tests, embedding). */
  dispose(): void {
    this.sched.abortAll();
    for (const h of this.ctx.shutdownHooks) h();
    this.sockets.closeAll();
  }

  /**
   * Graceful shutdown: onunload of each unit (most recent first), then every
   * waiting cosocket gets nil,"sysshutdown", then exit with `code`.
   */
  /** Has a shutdown started (`mako.exit`, `os.exit`, a signal)? */
  get exiting(): boolean {
    return this.shuttingDown !== null;
  }

  shutdown(code = 0): Promise<void> {
    if (this.shuttingDown) return this.shuttingDown;
    let exited = false;
    let unloading = '';
    const exit = (): void => {
      if (exited) return;
      exited = true;
      clearTimeout(grace);
      this.onExit(code);
    };
    // The whole shutdown is bounded (issue 14): an onunload that waits (ba.sleep(600000))
    // must not keep the process alive.
    const graceMs = this.ctx.config.shutdownGraceMs ?? 5000;
    const grace = setTimeout(() => {
      this.log.write(`remora: shutdown did not finish within ${graceMs} ms${unloading ? ` (onunload of ${unloading} still running)` : ''}; exiting\n`);
      try {
        for (const h of this.ctx.shutdownHooks) h();
      } finally {
        exit();
      }
    }, graceMs);
    grace.unref();
    this.shuttingDown = (async () => {
      // Let the caller's Lua code unwind first (os.exit is called from inside Lua).
      await new Promise((r) => setImmediate(r));
      for (const u of [...this.unloadables].reverse()) {
        if (exited) return;
        unloading = u.name === '' ? 'the root app' : `app "${u.name}"`;
        try {
          await u.unload();
        } catch (e) {
          this.log.write(`-------- Lua error: ${e instanceof LuaError ? e.describe() : String(e)}\n`);
        }
      }
      unloading = '';
      if (exited) return;
      for (const h of this.ctx.shutdownHooks) h();
      this.sched.shutdownWaiters(() => this.sockets.closeAll(true));
      exit();
    })();
    return this.shuttingDown;
  }
}
