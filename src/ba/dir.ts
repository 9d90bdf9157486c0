/**
 * Resource directories as BAS has them (`ba.create.dir`, `ba.create.resrdr`,
 * `ba.create.redirector`, `ba.create.domainresrdr`): a tree of directories under the server's
 * root. This file holds the tree and the Lua objects; src/server/mounts.ts walks the tree for
 * every request.
 *
 * How BAS walks it (checked on Mako with curl):
 *  - A directory with a name is reached through "name/" (the request "/name" does not match it);
 *    among children of one name the higher priority comes first, then the one inserted first.
 *  - A directory without a name is a sibling of its parent: it gets the parent's relative path
 *    when the parent did not handle the request, children without a name in priority order.
 *  - A directory function (`dir:setfunc`) replaces the directory's own search: named children
 *    are not searched; it handles the request unless it returns `false` (nil counts as handled).
 *  - A resource reader (an app's `dir`) looks for the file first, then in its named children.
 */
import { T_FUNCTION, T_NIL, T_NUMBER, T_STRING, T_TABLE, T_USERDATA, type LState } from '../vm/lua-vm.js';
import { HandleTable, HandleTag } from '../vm/handles.js';
import type { BaContext } from './context.js';
import type { IoLib } from './io.js';
import type { IoSource } from '../fs/io-source.js';
import { pushSubTable } from '../vm/lua-values.js';
import type { DavService } from '../http/dav-handler.js';
import { isHeaderName, isHeaderValue } from '../http/response-head.js';

const SERVICE_LUA = `
local getfunc = ...
local type, tostring, select, error, setmetatable, G = type, tostring, select, error, setmetatable, _G
local function argerr(n, what, v)
  error(("bad argument #%d to '?' (%s expected, got %s)"):format(n, what, v == nil and "no value" or type(v)), 3)
end
return function(d, req, rel)
  if type(req) ~= "userdata" or not req.write then argerr(2, "HTTPCMD", req) end
  if type(rel) ~= "string" and type(rel) ~= "number" then argerr(3, "string", rel) end
  local f = getfunc(d)
  if not f then return false end
  local function emit(...) for i = 1, select("#", ...) do req:write(tostring((select(i, ...)))) end end
  local env = setmetatable({request = req, response = req, _emit = emit, print = emit}, {__index = G})
  return f(env, tostring(rel)) ~= false
end
`;

/** A header field of a directory's responses (Dir.headerFields). */
export interface DirHeaderField {
  readonly name: string;
  readonly value: string;
  /** The name lower-cased. */
  readonly key: string;
  /** A valid name and value: set without checking them again. */
  readonly valid: boolean;
}

export type DirKind = 'dir' | 'resrdr' | 'redirector' | 'domainresrdr' | 'dav';

let insertSeq = 0;

export class Dir {
  parent: Dir | null = null;
  children: Dir[] = [];
  /** Order of insertion into the current parent (equal priorities: first inserted first). */
  seq = 0;
  /** Registry ref of the directory function (setfunc); 0 = none. */
  funcRef = 0;
  /** Registry refs of the authenticator and authorizer (setauth); 0 = none. */
  authRef = 0;
  authorizerRef = 0;
  /** dir:p403(url): the page sent when the authorizer denies access. */
  p403: string | null = null;
  /** dir:redirect2tls(): plain-HTTP requests are redirected to HTTPS. */
  redirect2tls = false;
  // ---- resource readers ----
  /** The IO whose files are served (any kind: disk, zip, net, Lua-implemented). */
  io: IoSource | null = null;
  /**
   * Registry ref of the Lua object of `io` (the one given to ba.create.resrdr, an app's `io`):
   * dir:io() and the reader's pages get that very object, as in Mako; 0 = none yet.
   */
  ioRef = 0;
  /**
   * Directory on disk whose files are served (an app's directory, a disk IO's root): such
   * files take the server's disk path; null for the other kinds of IO, served through `io`.
   */
  root: string | null = null;
  /** Registry ref of the table given to lspfilter (the pages' `app`, getapp); 0 = none. */
  lspEnvRef = 0;
  /** .lsp files run as pages (lspfilter, or an app's directory); else they are plain files. */
  lsp = false;
  /** Header fields of every file response (dir:header); change them with setHeader(). */
  readonly headers = new Map<string, string>();
  /** `headers` as a list with each name lower-cased and checked, made on first use after a change. */
  private fields: DirHeaderField[] | null = null;

  /** Sets one of the header fields of every file response. */
  setHeader(name: string, value: string): void {
    this.headers.set(name, value);
    this.fields = null;
  }

  /** The header fields, each with its lower-cased name and whether it may be sent as is. */
  get headerFields(): readonly DirHeaderField[] {
    if (this.fields) return this.fields;
    const out: DirHeaderField[] = [];
    for (const [name, value] of this.headers) out.push({ name, value, key: name.toLowerCase(), valid: isHeaderName(name) && isHeaderValue(value) });
    return (this.fields = out);
  }
  /** dir:maxage(seconds): Cache-Control max-age of static files; null = the default. */
  maxage: number | null = null;
  /** Directories run before this one (insertprolog). */
  prologs: Dir[] = [];
  /** ba.create.redirector: the backend its requests are passed on to (a reverse proxy). */
  proxy: { host: string; port: number } | null = null;
  /** ba.create.domainresrdr: the host name whose requests it serves. */
  domain: string | null = null;
  /** The app this directory belongs to (an app's `dir`), for the server. */
  owner: unknown = null;
  /** A WebDAV directory (ba.create.dav): its protocol engine. */
  dav: DavService | null = null;

  constructor(
    readonly kind: DirKind,
    readonly name: string | null,
    readonly prio: number,
  ) {}

  /** Inserts `child` (moved from a previous parent) among the children in search order. */
  insert(child: Dir): void {
    if (child.parent) child.unlink();
    child.parent = this;
    child.seq = ++insertSeq;
    this.children.push(child);
    this.children.sort((a, b) => b.prio - a.prio || a.seq - b.seq);
    this.unnamed = null;
  }

  /** Removes the directory from its parent; false when it had none. */
  unlink(): boolean {
    const p = this.parent;
    if (!p) return false;
    p.children = p.children.filter((c) => c !== this);
    p.unnamed = null;
    this.parent = null;
    return true;
  }

  /** The URL of the directory ("/a/b/"); directories without a name share their parent's. */
  baseuri(): string {
    const names: string[] = [];
    // A directory that is not inserted anywhere is at "/" (Mako).
    for (let d: Dir | null = this; d?.parent; d = d.parent) if (d.name) names.push(d.name);
    return '/' + names.reverse().map((n) => n + '/').join('');
  }

  /** Children with this name, in search order. */
  named(name: string): Dir[] {
    return this.children.filter((c) => c.name === name);
  }

  /** Children without a name (siblings), in search order. Read only: kept until the children change. */
  get siblings(): readonly Dir[] {
    return (this.unnamed ??= this.children.filter((c) => !c.name));
  }

  /** siblings, remembered: every request walks them. */
  private unnamed: Dir[] | null = null;
}

/** The server's part: the root directory (dir:insert() with no argument inserts there). */
export interface DirHost {
  readonly root: Dir;
}

/** The Lua side: ba.create.dir/resrdr/redirector/domainresrdr and the methods of their objects. */
export class DirLib {
  readonly handles: HandleTable<Dir>;
  private dirMtRef = 0;
  private resMtRef = 0;
  /** Metatable of WebDAV directories (src/ba/dav.ts sets it; its __index leads to DIR's). */
  davMtRef = 0;

  constructor(
    private readonly ctx: BaContext,
    private readonly ioLib: IoLib,
    private readonly host: DirHost,
  ) {
    this.handles = new HandleTable<Dir>(ctx.vm, HandleTag.appDir);
  }

  /** Pushes a new Lua object for `d` (a resource reader gets the resrdr methods). */
  push(L: LState, d: Dir): void {
    const id = this.handles.add(d);
    this.handles.push(L, id, d.kind === 'dir' ? this.dirMtRef : d.kind === 'dav' ? this.davMtRef : this.resMtRef);
  }

  /** The directory at stack index i, or null. */
  /**
   * The directory at stack index i: a directory object, or (as BAS accepts) a table whose
   * `dir` field is one (the web file manager's object from `ba.create.wfs` is such a table).
   */
  at(L: LState, i: number): Dir | null {
    const vm = this.ctx.vm;
    if (vm.type(L, i) === T_TABLE) {
      vm.getField(L, i, 'dir');
      const d = this.handles.at(L, -1);
      vm.pop(L, 1);
      return d;
    }
    return this.handles.at(L, i);
  }

  private check(L: LState, i: number): Dir {
    const d = this.at(L, i);
    // A table without a directory in "dir": BAS has emptied the stack by then ("no value").
    if (!d && this.ctx.vm.type(L, i) === T_TABLE) this.ctx.args.argError(i, '?', 'DIR expected, got no value');
    if (!d) this.ctx.args.typeError(L, i, '?', 'DIR');
    return d;
  }

  private checkRes(L: LState, i: number): Dir {
    const d = this.check(L, i);
    if (d.kind === 'dir' || d.kind === 'dav') this.ctx.args.typeError(L, i, '?', 'RESRDR');
    return d;
  }

  install(L: LState): void {
    const { vm, args } = this.ctx;
    const ok = (L: LState): number => {
      vm.pushBoolean(L, true);
      return 1;
    };
    const dirMethods: Record<string, (L: LState) => number> = {
      name: (L) => {
        vm.pushString(L, this.check(L, 1).name ?? '');
        return 1;
      },
      baseuri: (L) => {
        vm.pushString(L, this.check(L, 1).baseuri());
        return 1;
      },
      // dir:insert() inserts into the server's root; dir:insert(sub [, true]) inserts sub.
      // BAS keeps an inserted directory only while Lua references it unless `true` is given;
      // here an inserted directory stays until unlinked (docs/compat.md).
      insert: (L) => {
        const d = this.check(L, 1);
        if (args.isNoneOrNil(L, 2)) this.host.root.insert(d);
        else d.insert(this.check(L, 2));
        return ok(L);
      },
      unlink: (L) => {
        vm.pushBoolean(L, this.check(L, 1).unlink());
        return 1;
      },
      setfunc: (L) => {
        const d = this.check(L, 1);
        if (!args.isNoneOrNil(L, 2) && vm.type(L, 2) !== T_FUNCTION) args.typeError(L, 2, '?', 'function');
        if (d.funcRef) vm.unref(d.funcRef);
        d.funcRef = 0;
        if (!args.isNoneOrNil(L, 2)) {
          vm.pushValue(L, 2);
          d.funcRef = vm.ref(L);
        }
        return ok(L);
      },
      // dir:setauth([authenticator [, authorizer]]): the server runs them (src/server/dir-auth.ts)
      // before the directory's prologs and service.
      setauth: (L) => {
        const d = this.check(L, 1);
        if (d.authRef) vm.unref(d.authRef);
        if (d.authorizerRef) vm.unref(d.authorizerRef);
        d.authRef = d.authorizerRef = 0;
        // Authenticators and authorizers are userdata objects (ba.create.authenticator/authorizer).
        if (!args.isNoneOrNil(L, 2) && vm.type(L, 2) !== T_USERDATA) args.typeError(L, 2, '?', 'AUTHENTICATORINTF');
        if (!args.isNoneOrNil(L, 3) && vm.type(L, 3) !== T_USERDATA) args.typeError(L, 3, '?', 'AUTHORIZERINTF');
        if (!args.isNoneOrNil(L, 2)) {
          vm.pushValue(L, 2);
          d.authRef = vm.ref(L);
        }
        if (!args.isNoneOrNil(L, 3)) {
          vm.pushValue(L, 3);
          d.authorizerRef = vm.ref(L);
        }
        return 0;
      },
      p403: (L) => {
        this.check(L, 1).p403 = args.checkString(L, 2, '?');
        return 0;
      },
      redirect2tls: (L) => {
        const d = this.check(L, 1);
        d.redirect2tls = args.isNoneOrNil(L, 2) ? true : vm.toBoolean(L, 2);
        return ok(L);
      },
    };
    const resMethods: Record<string, (L: LState) => number> = {
      io: (L) => {
        const d = this.checkRes(L, 1);
        if (!d.io) return 0;
        if (d.ioRef) vm.pushRef(L, d.ioRef);
        else this.ioLib.pushIo(L, d.io);
        return 1;
      },
      getapp: (L) => {
        const d = this.checkRes(L, 1);
        if (d.lspEnvRef) vm.pushRef(L, d.lspEnvRef);
        else vm.pushNil(L);
        return 1;
      },
      // lspfilter([app]): .lsp files run as pages, with `app` as their `app` (nil when not
      // given); true the first time, false when pages were already on.
      lspfilter: (L) => {
        const d = this.checkRes(L, 1);
        if (!args.isNoneOrNil(L, 2) && vm.type(L, 2) !== T_TABLE) args.typeError(L, 2, '?', 'table');
        const first = !d.lsp;
        d.lsp = true;
        if (d.lspEnvRef) vm.unref(d.lspEnvRef);
        d.lspEnvRef = 0;
        if (vm.type(L, 2) === T_TABLE) {
          vm.pushValue(L, 2);
          d.lspEnvRef = vm.ref(L);
        }
        vm.pushBoolean(L, first);
        return 1;
      },
      header: (L) => {
        const d = this.checkRes(L, 1);
        if (vm.type(L, 2) !== T_TABLE) args.typeError(L, 2, '?', 'table');
        vm.pushNil(L);
        while (vm.next(L, 2)) {
          const k = vm.toStr(L, -2);
          const v = vm.toStr(L, -1);
          if (k !== null && v !== null && !/[\r\n]/.test(k + v)) d.setHeader(k, v);
          vm.pop(L, 1);
        }
        return ok(L);
      },
      maxage: (L) => {
        const d = this.checkRes(L, 1);
        d.maxage = Math.max(0, args.checkInteger(L, 2, '?'));
        return ok(L);
      },
      // insertprolog(dir [, true]): `dir` runs before this directory (and its authenticator).
      insertprolog: (L) => {
        const d = this.checkRes(L, 1);
        const p = this.check(L, 2);
        if (!d.prologs.includes(p)) d.prologs.push(p);
        return ok(L);
      },
    };
    // Each metatable is its own __index (as in Mako); a resource reader's finds the directory
    // methods through its metatable. Named DIR and RESRDR (Mako's have no __name).
    const makeMt = (methods: Record<string, (L: LState) => number>, name: string): number => {
      vm.newMetatable(L, name);
      for (const [k, f] of Object.entries(methods)) vm.setHost(L, -1, k, f);
      // The Lua object goes; the directory stays in the tree (or is dropped with its last use).
      vm.setHost(L, -1, '__gc', (L) => {
        const id = this.handles.idAt(L, 1);
        if (id >= 0) this.handles.release(id);
        return 0;
      });
      vm.pushValue(L, -1);
      vm.setField(L, -2, '__index');
      return vm.ref(L);
    };
    this.dirMtRef = makeMt(dirMethods, 'DIR');
    this.installService(L);
    this.resMtRef = makeMt(resMethods, 'RESRDR');
    vm.pushRef(L, this.resMtRef);
    vm.newTable(L);
    vm.pushRef(L, this.dirMtRef);
    vm.setField(L, -2, '__index');
    vm.setMetatable(L, -2);
    vm.pop(L, 1);
    this.handles.mtRef = this.dirMtRef;

    this.ctx.pushBa(L);
    pushSubTable(vm, L, 'create');
    // ba.create.dir([name] [, priority]): a number first is the priority of a directory
    // without a name.
    vm.setHost(L, -1, 'dir', (L) => {
      const [name, prio] = this.nameAndPrio(L, 1, 'dir');
      this.push(L, new Dir('dir', name, prio));
      return 1;
    });
    // ba.create.resrdr([name] [, priority], io): serves the files of `io` (LSP after lspfilter).
    vm.setHost(L, -1, 'resrdr', (L) => this.createRes(L, 'resrdr'));
    // ba.create.domainresrdr(domain [, priority], io): a resource reader without a name that
    // serves only requests whose Host, without its port and lower-cased, is `domain` (compared
    // as given: a domain with capitals matches nothing, as in Mako).
    vm.setHost(L, -1, 'domainresrdr', (L) => {
      const domain = args.checkString(L, 1, '?');
      const n = this.createRes(L, 'domainresrdr');
      this.handles.at(L, -1)!.domain = domain;
      return n;
    });
    // ba.create.redirector([name], host, port): a reverse proxy directory: requests below it
    // go to host:port (src/server/reverse-proxy.ts). Arguments checked in Mako's order.
    vm.setHost(L, -1, 'redirector', (L) => {
      // Only a name (Mako: the same check, then a directory of that name without a backend).
      if (vm.top(L) <= 1) {
        this.push(L, new Dir('dir', args.checkString(L, 1, '?'), 0));
        return 1;
      }
      const host = args.checkString(L, 2, '?');
      const port = args.checkInteger(L, 3, '?');
      const name = args.isNoneOrNil(L, 1) ? null : args.checkString(L, 1, '?') || null;
      const d = new Dir('redirector', name, 0);
      d.proxy = { host, port };
      this.push(L, d);
      return 1;
    });
    vm.pop(L, 2);
  }

  /**
   * dir:service(request, relpath): runs the directory function for the calling page's request,
   * in the page's own coroutine; true unless it returned false. A directory without a
   * function (files of a resource reader) answers false here.
   */
  private installService(L: LState): void {
    const { vm } = this.ctx;
    const err = vm.load(L, SERVICE_LUA, '=dir.service');
    if (err) throw err;
    vm.pushHost(L, 'getfunc', (L) => {
      const d = this.check(L, 1);
      if (!d.funcRef) return 0;
      vm.pushRef(L, d.funcRef);
      return 1;
    });
    const perr = vm.pcall(L, 1, 1);
    if (perr) throw perr;
    vm.pushRef(L, this.dirMtRef);
    vm.rotate(L, -2, 1);
    vm.setField(L, -2, 'service');
    vm.pop(L, 1);
  }

  /** The metatable of plain directories (for src/ba/dav.ts to chain to). */
  get dirMetatableRef(): number {
    return this.dirMtRef;
  }

  private nameAndPrio(L: LState, i: number, fname: string): [string | null, number] {
    const { vm, args } = this.ctx;
    if (vm.type(L, i) === T_NUMBER) return [null, args.checkInteger(L, i, fname)];
    const name = vm.type(L, i) === T_STRING ? vm.toStr(L, i)! : null;
    if (name === null && !args.isNoneOrNil(L, i)) args.typeError(L, i, fname, 'string');
    const prio = args.isNoneOrNil(L, i + 1) ? 0 : args.checkInteger(L, i + 1, fname);
    return [name === '' ? null : name, prio];
  }

  private createRes(L: LState, kind: DirKind): number {
    const { vm, args } = this.ctx;
    // ([name] [, prio], io): the IO is the last argument.
    const top = vm.top(L);
    let ioAt = 0;
    for (let i = 1; i <= top; i++) if (this.ioLib.toSource(L, i)) ioAt = i;
    if (!ioAt) args.typeError(L, Math.max(top + 1, kind === 'domainresrdr' ? 2 : 1), '?', 'IOINTF');
    const io = this.ioLib.toSource(L, ioAt)!;
    // A Lua-implemented IO stays alive while the reader serves from it.
    if ('pin' in io) io.pin(L, ioAt);
    let name: string | null = null;
    let prio = 0;
    if (ioAt > 1) {
      if (vm.type(L, 1) === T_NUMBER) prio = args.checkInteger(L, 1, '?');
      else if (vm.type(L, 1) === T_STRING) name = kind === 'domainresrdr' ? null : vm.toStr(L, 1) || null;
      else if (vm.type(L, 1) !== T_NIL) args.typeError(L, 1, '?', 'string');
      if (ioAt > 2 && !args.isNoneOrNil(L, 2)) prio = args.checkInteger(L, 2, '?');
    }
    const d = new Dir(kind, name, prio);
    d.io = io;
    vm.pushValue(L, ioAt);
    d.ioRef = vm.ref(L);
    d.root = io.diskRoot;
    this.push(L, d);
    return 1;
  }
}
