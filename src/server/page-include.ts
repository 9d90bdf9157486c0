/**
 * `response:include(path)` and `response:forward(path)` as Mako has them. A relative path is
 * resolved against the directory of the running page, an absolute one against the root of the
 * page's app (hidden files such as "/.login/form.lsp" are reachable: only requests from
 * clients are refused those). An LSP page runs in a fresh environment with the same
 * request/response (and `print` writing into the response); any other file is sent as it is.
 *
 * include returns true; a missing resource raises "Error pagenotfound: <path>" (traced as
 * Mako does). forward drops the response's buffered body (its header fields stay), runs the
 * resource, and ends the calling page, which never gets control back.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, posix, resolve, sep } from 'node:path';
import { readWhole, type IoSource } from '../fs/io-source.js';
import { LuaRaise } from '../vm/lua-error.js';
import type { LState } from '../vm/lua-vm.js';
import { Wait } from '../sched/waiter.js';
import type { Runtime } from '../app/runtime.js';
import type { LRequest, RequestLib } from '../ba/request.js';
import { guardPlaces, type PagePlace } from './page-place.js';

export type { PagePlace } from './page-place.js';

/** What a page file turns into for include: its compiled chunk (a registry ref) or its bytes. */
export type IncludeSource = { fnRef: number; pathname: string; pageRef: number; dir: string } | { bytes: Buffer } | null;

const INCLUDE_LUA = `
local methods, find, printfn, emitfn, appio, forwarding, cmdenv, setdir = ...
local setmetatable, type, G = setmetatable, type, _G
-- Closed when the included page returns or raises: relative paths resolve against the
-- including page's directory again.
local restore = { __close = function(t) setdir(t[1], t[2]) end }
-- Pages are called through id(fn)(...): a call with no name, as Mako's (trace prints " 3: x",
-- not "fn 3: x").
local function id(f) return f end
local function run(req, path)
  local fn, pathname, pagetab, dir = find(req, path)
  if fn == nil then error(pathname, 0) end
  if type(fn) == "function" then
    -- The command environment: the calling page's _ENV, shared by every page of the request
    -- (globals one page sets are seen by the next). pathname, io, page and app are the
    -- included page's own locals, as in Mako: its name, its persistent page table, and the
    -- app's io and app (not whatever the calling page did with its locals).
    local env = cmdenv(req) or setmetatable({ request = req, response = req, print = printfn(req),
      _emit = emitfn(req) }, { __index = G })
    local app, io = appio(req)
    -- While it runs, the included page's own relative includes resolve against its directory.
    local _ <close> = setmetatable({ req, setdir(req, dir) }, restore)
    id(fn)(env, pathname, io, pagetab, app)
  elseif fn then
    req:write(fn)
  end
  return true
end
function methods:include(path) return run(self, path) end
function methods:forward(path)
  forwarding(self)
  run(self, path)
  self:abort()
end
`;

export class PageInclude {
  /**
   * Where a request without a page file (a directory function, a protected directory's login
   * response) resolves paths: the root application's directory (set by the server).
   */
  fallback: (() => PagePlace | null) | null = null;

  constructor(
    private readonly rt: Runtime,
    private readonly requests: RequestLib,
    /**
     * Compiles (or finds compiled) an LSP file for `owner` (the app or resource reader of the
     * including page; with `io`: a name in it; else a file under `root`, the owner's directory,
     * which names the chunk): registry refs of the chunk and of the page's persistent `page`
     * table, or null.
     */
    private readonly compile: (path: string, owner: object, io?: IoSource, root?: string) => Promise<{ fnRef: number; pageRef: number } | null>,
  ) {}

  install(L: LState): void {
    const { vm } = this.rt;
    const err = vm.load(L, INCLUDE_LUA, '=include');
    if (err) throw err;
    this.requests.pushMethods(L);
    vm.pushHost(L, 'include', (L) => this.find(L));
    vm.pushHost(L, 'include', (L) => {
      this.requests.checkRequest(L, 1, 'include');
      this.requests.pushPrint(L, 1);
      return 1;
    });
    vm.pushHost(L, 'include', (L) => {
      this.requests.checkRequest(L, 1, 'include');
      this.requests.pushEmit(L, 1);
      return 1;
    });
    vm.pushHost(L, 'include', (L) => {
      // The app and io of the request's page: an app's table and its io, or a resource
      // reader's lspfilter table (nil without one) and its IO.
      const r = this.requests.checkRequest(L, 1, 'include');
      const place = this.placeOf(r);
      if (place?.envRef) vm.pushRef(L, place.envRef);
      else vm.pushNil(L);
      if (place?.ioRef) vm.pushRef(L, place.ioRef);
      else if (place?.envRef) {
        vm.pushString(L, 'io');
        vm.rawGet(L, -2);
      } else vm.pushNil(L);
      return 2;
    });
    vm.pushHost(L, 'forward', (L) => {
      const r = this.requests.checkRequest(L, 1, 'forward');
      if (r.live && !r.taken) r.exchange.response.discard();
      return 0;
    });
    vm.pushHost(L, 'include', (L) => {
      const r = this.requests.checkRequest(L, 1, 'include');
      if (!r.cmdEnvRef) return 0;
      vm.pushRef(L, r.cmdEnvRef);
      return 1;
    });
    vm.pushHost(L, 'include', (L) => {
      // setdir(request, dir): relative include paths resolve against `dir` now; returns the previous one.
      const r = this.requests.checkRequest(L, 1, 'include');
      const place = this.placeOf(r);
      if (!place) return 0;
      const dir = vm.toStr(L, 2);
      if (dir !== null) r.place = { ...place, dir };
      vm.pushString(L, place.dir);
      return 1;
    });
    const perr = vm.pcall(L, 8, 0);
    if (perr) throw perr;
  }

  /** Places without an owner (none known) own their pages by their root directory. */
  private readonly rootOwners = new Map<string, object>();

  private ownerOf(root: string): object {
    let o = this.rootOwners.get(root);
    if (!o) this.rootOwners.set(root, (o = { root }));
    return o;
  }

  /** Where a request's include and forward paths resolve, and whose `app` and `io` included pages get. */
  private placeOf(r: LRequest): PagePlace | undefined {
    return r.place ?? guardPlaces.get(r.exchange) ?? this.fallback?.() ?? undefined;
  }

  /** find(request, path): the page function and its pathname, or the file's bytes; waits for the disk. */
  private find(L: LState): number {
    const { vm, sched } = this.rt;
    const r = this.requests.checkRequest(L, 1, 'include');
    const path = this.rt.ctx.args.checkString(L, 2, 'include');
    const place = this.placeOf(r);
    if (!place) throw new LuaRaise(`Error pagenotfound: ${path}`);
    const task = sched.current;
    if (!task) throw new LuaRaise(`Error pagenotfound: ${path}`);
    let found: Promise<IncludeSource>;
    const rel = path.split('?')[0]!;
    if (place.io) {
      // A page of a zip, net or Lua-implemented IO: a relative name is in that IO (never above
      // its root); an absolute one is a URL path (Mako), found when it leads into the same IO.
      let name: string | null;
      if (rel.startsWith('/')) {
        const url = posix.normalize(rel);
        name = url.startsWith(place.root) ? url.slice(place.root.length) : null;
      } else name = posix.normalize(posix.join('/', place.dir, rel)).slice(1);
      found = name === null ? Promise.resolve(null) : this.loadIo(place.io, name, place.owner ?? place.io);
    } else {
      const base = path.startsWith('/') ? place.root : place.dir;
      const file = resolve(join(base, rel));
      const root = resolve(place.root);
      if (file !== root && !file.startsWith(root + sep)) throw new LuaRaise(`Error pagenotfound: ${path}`);
      found = this.load(file, root, place.owner ?? root);
    }
    const w = new Wait('include', task);
    found.then(
      (src) =>
        w.complete((L) => {
          if (!src) {
            this.rt.log.write(`Include file ${path} not found\n`);
            vm.pushNil(L);
            vm.pushString(L, `Error pagenotfound: ${path}`);
            return 2;
          }
          if ('bytes' in src) {
            vm.pushBytes(L, src.bytes);
            return 1;
          }
          vm.pushRef(L, src.fnRef);
          vm.pushString(L, src.pathname);
          vm.pushRef(L, src.pageRef);
          vm.pushString(L, src.dir);
          return 4;
        }),
      () => w.complete((L) => (vm.pushNil(L), 1)),
    );
    return sched.suspend(L, w, 'include');
  }

  private async loadIo(io: IoSource, name: string, owner: object): Promise<IncludeSource> {
    const st = await io.stat(name).catch(() => null);
    if (!st || st.isdir) return null;
    if (name.endsWith('.lsp')) {
      const c = await this.compile(name, owner, io);
      return c ? { fnRef: c.fnRef, pathname: name, pageRef: c.pageRef, dir: posix.dirname('/' + name).slice(1) } : null;
    }
    return { bytes: await readWhole(io, name) };
  }

  private async load(file: string, root: string, owner: object | string): Promise<IncludeSource> {
    try {
      const st = await stat(file);
      if (!st.isFile()) return null;
    } catch {
      return null;
    }
    const pathname = file.slice(root.length + 1).split(sep).join('/');
    if (file.endsWith('.lsp')) {
      const c = await this.compile(file, typeof owner === 'string' ? this.ownerOf(owner) : owner, undefined, root);
      return c ? { fnRef: c.fnRef, pathname, pageRef: c.pageRef, dir: dirname(file) } : null;
    }
    return { bytes: await readFile(file) };
  }
}

