/**
 * Running Lua Server Pages: each page is compiled once (src/http's
 * compiler) and recompiled when its file changes; each request runs the page as its own
 * coroutine ('page' task) in a fresh environment, at most `commandcnt` at once (the thread
 * pool's FIFO slot queue, sched/thread-pool.ts). A Lua error is traced and answered with 500 if
 * nothing was sent yet; the server keeps serving.
 */
import { readFile } from 'node:fs/promises';
import { readWhole, type IoSource } from '../fs/io-source.js';
import { asStats } from './io-files.js';
import { relative, isAbsolute, dirname, posix } from 'node:path';
import { stat } from 'node:fs/promises';
import { PageInclude } from './page-include.js';
import { compileLsp, LspSyntaxError } from '../http/lsp-compiler.js';
import { ThreadPool } from '../sched/thread-pool.js';
import type { LRequest, PageStopper, RequestLib } from '../ba/request.js';
import { T_BOOLEAN } from '../vm/lua-vm.js';
import { LuaError } from '../vm/lua-error.js';
import type { Scheduler, Task, TaskHooks } from '../sched/scheduler.js';
import type { Runtime } from '../app/runtime.js';
import type { PageOwner, RequestContext, RoutedFile, Stage } from './stages.js';

/** Forwards of one request before it is answered 500 (a page forwarding to itself). */
const MAX_FORWARDS = 10;

interface CompiledPage {
  mtimeMs: number;
  size: number;
  /** Registry ref of the loaded chunk: `local _ENV = ...` followed by the compiled page. */
  fnRef: number;
  /** Directory of the page file. */
  dir: string;
  /** Registry ref of the page's persistent `page` table (kept across recompiles). */
  pageRef: number;
  /**
   * Who serves the page: its app, or the resource reader (a page included from a page has
   * the including page's). As in Mako each has its own compiled page and `page` table for a
   * file: a file served both by its app and by a resource reader rooted below the app is
   * named for each ("@rrdir/p.lsp", "@p.lsp").
   */
  owner: object;
  /** The same file compiled for another owner. */
  alt?: CompiledPage;
  /** The last `pathname` a request ran the page under, as a Lua string (registry ref; 0 = none). */
  pathname?: string;
  pathnameRef?: number;
}

/**
 * Makes a page's environment and the chunk's other arguments in one call instead of a value
 * at a time from the host. The environment holds only the request object (also `response`),
 * `_emit` and `print`, with unknown globals looked up in _G; `pathname`, `io`, `page` and `app`
 * are the chunk's locals, as Mako's (see ENV_PREFIX). For an app's page `io` is the app's
 * (app.io); a resource reader's page gets its reader's IO.
 */
const MKENV_LUA = `
local setmetatable, rawget, type, mt = setmetatable, rawget, type, ...
return function(r, emit, print, page, pathname, app, io, appio)
  if appio and type(app) == "table" then io = rawget(app, "io") end
  return setmetatable({ request = r, response = r, _emit = emit, print = print }, mt), pathname, io, page, app
end`;

/**
 * Prepended to the compiled page on its first line (line numbers stay the page's): Mako's page
 * prologue (ba.parselsp's header). The chunk is loaded once and gets a fresh environment per
 * request as its first argument, so concurrent requests of one page never share globals; the
 * page's `pathname`, `io`, `page` and `app` are locals, not fields of the environment.
 */
const ENV_PREFIX = Buffer.from('local _ENV,pathname,io,page,app=...; ');

/** Arguments of a page chunk: _ENV, pathname, io, page, app. */
const PAGE_ARGS = 5;

/** A page's `pathname` as Mako gives it: relative to its app or directory ("sub/q.lsp"). */
function pagePathname(p: string): string {
  return p.charCodeAt(0) === 47 ? p.slice(1) : p;
}

export class LspPages {
  readonly pool: ThreadPool;
  /** Walks the directory tree again for a forwarded request (set by the server). */
  forwarder: ((rc: RequestContext, path: string) => void | Promise<void>) | null = null;
  private readonly compiled = new Map<string, CompiledPage>();
  /** Metatable of page environments: unknown globals come from _G, not the app. */
  private readonly envMtRef: number;
  /** Registry ref of MKENV_LUA's function. */
  private readonly mkEnvRef: number;
  readonly include: PageInclude;

  /** @internal (PageRun) */
  get sched(): Scheduler {
    return this.rt.sched;
  }

  constructor(
    private readonly rt: Runtime,
    private readonly requests: RequestLib,
    commandcnt: number,
    /** Development setting `showerrors`: 500 pages show the Lua error and traceback. */
    private readonly showErrors = false,
  ) {
    this.pool = new ThreadPool(-1, Math.max(1, commandcnt), (fn) => rt.sched.post(fn));
    rt.ctx.shutdownHooks.push(() => this.pool.stop());
    const { vm } = rt;
    const L = vm.L;
    vm.newTable(L);
    vm.pushGlobals(L); // LUA_RIDX_GLOBALS
    vm.setField(L, -2, '__index');
    this.envMtRef = vm.ref(L);
    const err = vm.load(L, MKENV_LUA, '=pageenv');
    if (err) throw err;
    vm.pushRef(L, this.envMtRef);
    const perr = vm.pcall(L, 1, 1);
    if (perr) throw perr;
    this.mkEnvRef = vm.ref(L);
    this.include = new PageInclude(rt, requests, (path, owner, io, root) => this.compileFile(path, owner, io, root));
    this.include.install(L);
  }

  /**
   * response:include/forward: the compiled page of an LSP file (registry refs of its chunk and
   * its persistent `page` table), or null. A file's chunk is named relative to `root` (its
   * app's directory: "@sub/inc.lsp", as Mako).
   */
  private async compileFile(path: string, owner: object, io?: IoSource, root?: string): Promise<CompiledPage | null> {
    if (io) {
      const ist = await io.stat(path).catch(() => null);
      if (!ist) return null;
      const c = await this.load({ app: { path: '', envRef: 0 }, path, stat: asStats(ist), isLsp: true, pathname: path, io }, owner);
      return c && !(c instanceof LuaError) ? c : null;
    }
    const place: PageOwner = { path: root ?? dirname(path), envRef: 0 };
    const st = await stat(path);
    const c = await this.load({ app: place, path, stat: st, isLsp: true, pathname: path }, owner);
    return c && !(c instanceof LuaError) ? c : null;
  }

  /** The stage that runs pages. */
  stage(): Stage {
    return (rc, next) => {
      const f = rc.file;
      if (!f || !f.isLsp) return next();
      return this.run(rc, f);
    };
  }

  /** Pages are named relative to their app, as in BAS: "index.lsp", "dir/page.lsp". */
  private chunkName(file: RoutedFile): string {
    if (file.io) return '@' + file.path;
    const rel = relative(file.app.path, file.path);
    return '@' + (rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file.path);
  }

  /** The compiled page for `file` when it is compiled and unchanged, else undefined. */
  private current(file: RoutedFile, owner: object): CompiledPage | undefined {
    let have = this.compiled.get(file.io ? file.io.uid + file.path : file.path);
    while (have && have.owner !== owner) have = have.alt;
    return have && have.mtimeMs === file.stat.mtimeMs && have.size === file.stat.size ? have : undefined;
  }

  /** Answers 500; with `showerrors` the page shows the error (escaped) and its traceback. */
  private send500(exchange: RequestContext['exchange'], err: Error | null): boolean {
    if (!this.showErrors || !err) return exchange.response.sendError(500);
    const text = err instanceof LuaError ? err.describe() : err.message;
    return exchange.response.sendError(500, undefined, [], text);
  }

  /** The compiled page for `file`, compiling when new or changed; a traced error when it does not compile. */
  private async load(file: RoutedFile, owner: object): Promise<CompiledPage | LuaError | null> {
    const { mtimeMs, size } = file.stat;
    const have = this.current(file, owner);
    if (have) return have;
    // A page of a zip, net or Lua-implemented IO is kept under the IO's uid and its name.
    const key = file.io ? file.io.uid + file.path : file.path;
    let src: Buffer;
    try {
      src = file.io ? await readWhole(file.io, file.path) : await readFile(file.path);
    } catch {
      return null;
    }
    const first = this.compiled.get(key);
    let again = first;
    while (again && again.owner !== owner) again = again.alt;
    if (again && again.mtimeMs === mtimeMs && again.size === size) return again;
    const { vm } = this.rt;
    let chunk: Buffer;
    try {
      chunk = Buffer.concat([ENV_PREFIX, compileLsp(src)]);
    } catch (e) {
      // An LSP syntax error carries its line: traced as chunk:line: message, as Lua's are.
      const line = e instanceof LspSyntaxError ? e.line : 0;
      const msg = e instanceof LspSyntaxError ? e.reason : (e as Error).message;
      const err = new LuaError(`${this.chunkName(file).slice(1)}:${line ? `${line}:` : ''} ${msg}`);
      this.rt.sched.traceError('page', err);
      return err;
    }
    const err = vm.load(vm.L, chunk, this.chunkName(file));
    if (err) {
      this.rt.sched.traceError('page', err);
      return err;
    }
    const fnRef = vm.ref(vm.L);
    if (again) {
      // The file changed: this owner's compiled page takes the new chunk (and keeps its page table).
      vm.unref(again.fnRef);
      if (again.pathnameRef) vm.unref(again.pathnameRef);
      again.pathnameRef = 0;
      again.pathname = undefined;
      again.mtimeMs = mtimeMs;
      again.size = size;
      again.fnRef = fnRef;
      return again;
    }
    const dir = file.io ? posix.dirname('/' + file.path).slice(1) : dirname(file.path);
    vm.newTable(vm.L);
    const pageRef = vm.ref(vm.L);
    const page: CompiledPage = { mtimeMs, size, fnRef, dir, pageRef, owner, alt: first };
    this.compiled.set(key, page);
    return page;
  }

  /**
   * Runs the page for one request. Returns a promise that resolves when the page has ended,
   * or nothing when it ended at once: a compiled page that gets a slot without queueing and
   * never waits costs one resume and no promise.
   */
  run(rc: RequestContext, file: RoutedFile): void | Promise<void> {
    const owner = file.dir ?? file.app;
    const compiled = this.current(file, owner);
    if (!compiled) return this.load(file, owner).then((c) => this.runCompiled(rc, file, c));
    return this.runCompiled(rc, file, compiled);
  }

  private runCompiled(rc: RequestContext, file: RoutedFile, compiled: CompiledPage | LuaError | null): void | Promise<void> {
    if (!compiled || compiled instanceof LuaError) {
      this.send500(rc.exchange, compiled);
      return;
    }
    return this.inSlot(new PageRun(this, rc, true, file.app.cpuBudgetMs, file, compiled, null, null));
  }

  /**
   * Runs a directory function (dir:setfunc) as `f(env, relpath)` with the page's request
   * objects; true unless it returned false (Mako: nil counts as handled), or it raised (500).
   */
  runDirFunction(rc: RequestContext, funcRef: number, rel: string): boolean | Promise<boolean> {
    const { vm } = this.rt;
    let handled = true;
    const run = new PageRun(
      this,
      rc,
      false, // no page defaults (Mako: a directory function's response has only what it sets)
      undefined,
      null,
      null,
      (co, req) => {
        req.inDirFunction = true;
        vm.pushRef(co, funcRef); // 1: the function
        vm.newTable(co, 0, 4); // 2: env
        this.requests.push(co, req);
        vm.pushValue(co, -1);
        vm.setField(co, 2, 'request');
        vm.pushValue(co, -1);
        vm.setField(co, 2, 'response');
        this.requests.pushEmit(co, -1);
        vm.setField(co, 2, '_emit');
        this.requests.pushPrint(co, -1);
        vm.setField(co, 2, 'print');
        vm.pop(co, 1);
        vm.pushRef(co, this.envMtRef);
        vm.setMetatable(co, 2);
        // The env is the request's command environment (request:env(), included pages'), as in Mako.
        vm.pushValue(co, 2);
        req.cmdEnvRef = vm.ref(co);
        vm.pushString(co, rel);
        return 2;
      },
      (co, nres) => {
        handled = !(nres > 0 && vm.type(co, -nres) === T_BOOLEAN && !vm.toBoolean(co, -nres));
      },
    );
    const r = this.inSlot(run);
    return r === undefined ? handled : r.then(() => handled);
  }

  /** Starts `run` in a page slot now, or when one is free (FIFO); 503 when the pool drops it. */
  private inSlot(run: PageRun): void | Promise<void> {
    const { exchange } = run.rc;
    const pool = this.pool;
    if (!pool.stopped && pool.queue.length === 0 && pool.running.size < pool.size) {
      if (exchange.closed) return;
      // A free slot and nobody waiting for one: starting now keeps the FIFO order. (Never
      // inside a resume: HTTP handlers run from their own microtask.)
      run.start(pool);
      if (run.resolved) return;
      return new Promise<void>((resolve) => (run.wake = resolve));
    }
    return new Promise<void>((resolve) => {
      run.wake = resolve;
      this.pool.enqueue({
        start: (pool) => {
          // The client went away while the page waited for a slot.
          if (exchange.closed) {
            resolve();
            return;
          }
          run.start(pool);
        },
        drop: () => {
          exchange.response.sendError(503);
          resolve();
        },
      });
    });
  }

  /** @internal (PageRun) The request object for a page run, with Mako's page defaults when asked. */
  prepare(rc: RequestContext, pageDefaults: boolean): LRequest {
    const res = rc.exchange.response;
    if (pageDefaults) {
      // Mako's defaults for a page: HTML in UTF-8 unless the page sets a type, never cached,
      // and sent chunked unless the page sets a Content-Length.
      const h = res.headers;
      if (!h.hasKey('content-type')) h.addTrusted('Content-Type', 'text/html; charset=utf-8', 'content-type');
      if (!h.hasKey('cache-control')) h.addTrusted('Cache-Control', 'no-store, no-cache, must-revalidate, max-age=0', 'cache-control');
    }
    res.streamOnEnd = true;
    const req = this.requests.create(rc.exchange, rc.auth);
    req.forwards = rc.forwards ?? 0;
    return req;
  }

  /** @internal (PageRun) After a page: a forward takes the command environment along, the request object ends. */
  settle(run: PageRun, err: LuaError | null, aborted: 'end' | 'close' | null): void {
    const { req, rc } = run;
    const { exchange } = rc;
    // A forward takes the command environment along (request:env()).
    if (req.forwardTo !== null && !err && !aborted && req.cmdEnvRef) {
      if (rc.cmdEnvRef) this.rt.vm.unref(rc.cmdEnvRef);
      rc.cmdEnvRef = req.cmdEnvRef;
      req.cmdEnvRef = 0;
    }
    this.requests.release(req);
    if (!req.taken) {
      if (aborted === 'end') {
        // request:abort (and response:forward, which ends with it): the page stops, and
        // what it (or the forwarded resource) wrote is the response, as in Mako.
        exchange.response.end();
      } else if (aborted === 'close') {
        exchange.response.detach();
        exchange.socket.destroy();
      } else if (err && !this.send500(exchange, err)) {
        // Part of the response is out: closing is the only way to tell the client.
        exchange.socket.destroy();
      } else if (!err && req.forwardTo !== null) {
        const p = this.forward(rc, req.forwardTo, req.forwardIsRedirect);
        if (p) {
          const done = (): void => run.resolve();
          void p.then(done, done);
          return;
        }
      }
    }
    // An upload or a deferred response owns the exchange: the connection waits for it.
    if (req.hold) {
      const done = (): void => run.resolve();
      req.hold.then(done, done);
    } else run.resolve();
  }

  /** @internal (PageRun) Pushes a page's function and its arguments; returns the argument count. */
  setupPage(co: number, req: LRequest, file: RoutedFile, compiled: CompiledPage, rc: RequestContext): number {
    this.pushPageEnv(co, req, file, compiled, rc);
    return PAGE_ARGS;
  }

  /**
   * response:forward(path) after the page ended: the output it buffered is dropped (its header
   * fields stay) and the request walks the tree again at `path`, relative to the URL it was
   * served at; hidden names may be reached. Returns a promise while the target runs.
   */
  private forward(rc: RequestContext, to: string, redirect = false): void | Promise<void> {
    const { exchange } = rc;
    const res = exchange.response;
    if (res.headersSent || exchange.closed || !this.forwarder) return;
    const n = (rc.forwards ?? 0) + 1;
    if (n + (rc.redirects ?? 0) > MAX_FORWARDS) {
      this.send500(exchange, new LuaError(`forward: more than ${MAX_FORWARDS} forwards`));
      return;
    }
    let target: string;
    try {
      target = new URL(to, 'http://x' + (rc.forwardPath ?? exchange.head.path)).pathname;
    } catch {
      this.send500(exchange, new LuaError(`forward: bad path '${to}'`));
      return;
    }
    res.discard();
    if (redirect) rc.redirects = (rc.redirects ?? 0) + 1;
    else rc.forwards = n;
    rc.forwardPath = target;
    rc.file = null;
    // The command environment goes back to the registry when no page took it.
    const drop = (): void => {
      if (rc.cmdEnvRef) this.rt.vm.unref(rc.cmdEnvRef);
      rc.cmdEnvRef = 0;
    };
    const p = this.forwarder(rc, target);
    if (p instanceof Promise) return p.finally(drop);
    drop();
  }

  /**
   * The page function and its arguments, as Mako's page prologue takes them: a fresh
   * environment (request, response, _emit, print), pathname, io, page, app.
   */
  private pushPageEnv(co: number, req: LRequest, file: RoutedFile, compiled: CompiledPage, rc?: RequestContext): void {
    const { vm } = this.rt;
    const rdr = file.dir;
    req.place = {
      root: file.io ? file.ioBase ?? '/' : file.app.path,
      dir: compiled.dir,
      envRef: rdr ? rdr.lspEnvRef : file.app.envRef,
      ioRef: rdr ? rdr.ioRef : 0,
      io: file.io,
      owner: rdr ?? file.app,
    };
    vm.pushRef(co, compiled.fnRef); // the page function
    if (rc?.cmdEnvRef) {
      // A forwarded request: the page gets the command environment of the one that forwarded.
      vm.pushRef(co, rc.cmdEnvRef);
      req.cmdEnvRef = rc.cmdEnvRef;
      rc.cmdEnvRef = 0;
      this.fillEnv(co, req, file, compiled);
      return;
    }
    vm.pushRef(co, this.mkEnvRef);
    this.requests.push(co, req); // the request object
    const reqIdx = vm.top(co);
    this.requests.pushEmit(co, reqIdx);
    this.requests.pushPrint(co, reqIdx);
    vm.pushRef(co, compiled.pageRef);
    this.pushPathname(co, file, compiled);
    if (rdr) {
      // A resource reader's page: `app` is its lspfilter table (nil without one), `io` its IO.
      if (rdr.lspEnvRef) vm.pushRef(co, rdr.lspEnvRef);
      else vm.pushNil(co);
      this.pushRdrIo(co, rdr);
      vm.call(co, 7, PAGE_ARGS);
    } else {
      pushAppEnv(this.rt, co, file.app);
      vm.pushNil(co);
      vm.pushBoolean(co, true);
      vm.call(co, 8, PAGE_ARGS);
    }
    vm.pushValue(co, -PAGE_ARGS);
    req.cmdEnvRef = vm.ref(co);
  }

  /** A resource reader's IO object: the one it was made with. */
  private pushRdrIo(co: number, rdr: NonNullable<RoutedFile['dir']>): void {
    if (rdr.ioRef) this.rt.vm.pushRef(co, rdr.ioRef);
    else if (rdr.io) this.rt.io.pushIo(co, rdr.io);
    else this.rt.vm.pushNil(co);
  }

  /** Pushes the page's `pathname`: the Lua string kept from the page's last request when it is the same. */
  private pushPathname(co: number, file: RoutedFile, compiled: CompiledPage): void {
    const { vm } = this.rt;
    if (compiled.pathname === file.pathname && compiled.pathnameRef) {
      vm.pushRef(co, compiled.pathnameRef);
      return;
    }
    vm.pushString(co, pagePathname(file.pathname));
    if (compiled.pathnameRef) vm.unref(compiled.pathnameRef);
    vm.pushValue(co, -1);
    compiled.pathnameRef = vm.ref(co);
    compiled.pathname = file.pathname;
  }

  /**
   * Sets a forwarded request's command environment (on top) up for the next page and pushes
   * the page's other arguments (pathname, io, page, app).
   */
  private fillEnv(co: number, req: LRequest, file: RoutedFile, compiled: CompiledPage): void {
    const { vm } = this.rt;
    const env = vm.top(co);
    this.requests.push(co, req); // the request object
    const reqIdx = env + 1;
    vm.pushValue(co, reqIdx);
    vm.setField(co, env, 'request');
    vm.pushValue(co, reqIdx);
    vm.setField(co, env, 'response');
    this.requests.pushEmit(co, reqIdx);
    vm.setField(co, env, '_emit');
    this.requests.pushPrint(co, reqIdx);
    vm.setField(co, env, 'print');
    vm.pop(co, 1);
    vm.pushRef(co, this.envMtRef);
    vm.setMetatable(co, env);
    vm.pushString(co, pagePathname(file.pathname));
    const rdr = file.dir;
    if (rdr) {
      this.pushRdrIo(co, rdr);
      vm.pushRef(co, compiled.pageRef);
      if (rdr.lspEnvRef) vm.pushRef(co, rdr.lspEnvRef);
      else vm.pushNil(co);
    } else {
      pushAppEnv(this.rt, co, file.app);
      vm.pushString(co, 'io');
      vm.rawGet(co, -2);
      vm.pushRef(co, compiled.pageRef);
      vm.rotate(co, -3, -1); // app, io, page -> io, page, app
    }
  }
}

function pushAppEnv(rt: Runtime, L: number, app: PageOwner): void {
  if (app.envRef) rt.vm.pushRef(L, app.envRef);
  else rt.vm.newTable(L);
}

/**
 * One page (or directory function) run for one request: the page task's hooks, and what
 * request:abort() and an upload call to stop the page, in one object instead of a closure
 * for each (a "hello" page allocated ~1 KB of them per request).
 */
class PageRun implements TaskHooks, PageStopper {
  req!: LRequest;
  private task!: Task;
  private pool!: ThreadPool;
  private ended = false;
  /** The run is over: the connection may go on with its next request. */
  resolved = false;
  /** Called once the run is over (set by whoever waits for it). */
  wake: (() => void) | null = null;

  constructor(
    private readonly pages: LspPages,
    readonly rc: RequestContext,
    private readonly pageDefaults: boolean,
    /** The app's own CPU budget (config `apps` entry `cpubudget`), if it has one. */
    private readonly budgetMs: number | undefined,
    /** A page: its file and compiled chunk. */
    private readonly file: RoutedFile | null,
    private readonly compiled: CompiledPage | null,
    /** Else: pushes the function and its arguments on the task's coroutine (returns their count). */
    private readonly setup: ((co: number, req: LRequest) => number) | null,
    /** Sees the results when the function returns. */
    private readonly onResult: ((co: number, nres: number) => void) | null,
  ) {}

  /** Creates the request object and the page task in `pool`'s slot, and runs it. */
  start(pool: ThreadPool): void {
    const { sched } = this.pages;
    this.pool = pool;
    const req = (this.req = this.pages.prepare(this.rc, this.pageDefaults));
    const task = (this.task = sched.create('page', this));
    task.owner = req;
    if (this.budgetMs !== undefined) task.budgetMs = this.budgetMs;
    req.task = task;
    req.onAbort = this;
    req.onStop = this;
    pool.admit(task);
    const nargs = this.setup ? this.setup(task.co, req) : this.pages.setupPage(task.co, req, this.file!, this.compiled!, this.rc);
    sched.resume(task, nargs);
  }

  onEnd(task: Task, nres: number): void {
    this.onResult?.(task.co, nres);
    this.end(null, null);
  }

  onError(_task: Task, err: LuaError): void {
    // forward and a refused allow end the page by raising nil.
    if (this.req.exited) {
      this.end(null, null);
      return;
    }
    // ba.seterrh's handler gets the page's command environment (request:env()) too, as in Mako.
    this.pages.sched.traceError('page', err, this.req.cmdEnvRef);
    this.end(err, null);
  }

  /** request:abort(): the page stops; `close` drops the connection unanswered. */
  abort(close?: boolean): void {
    const { sched } = this.pages;
    sched.post(() => {
      sched.discard(this.task);
      this.end(null, close ? 'close' : 'end');
    });
  }

  /** An upload took the request: the page stops, the response is left alone. */
  stop(): void {
    const { sched } = this.pages;
    sched.post(() => {
      sched.discard(this.task);
      this.end(null, null);
    });
  }

  private end(err: LuaError | null, aborted: 'end' | 'close' | null): void {
    if (this.ended) return;
    this.ended = true;
    this.pool.finished(this.task);
    this.pages.settle(this, err, aborted);
  }

  resolve(): void {
    this.resolved = true;
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
