/**
 * ba.create.dav: a WebDAV directory over a disk IO, as BAS has it. The object is a directory
 * (name, baseuri, insert, unlink, setauth, ... from DIR) with `io()`, `lockmgr()` and, with an
 * HTTP server, `service(request, rel)`; the protocol engine is src/http/dav-handler.ts, reached
 * from the directory tree walk (src/server/mounts.ts) or from `service`.
 *
 * ba.create.dav([name] [, priority], io [, lockdir] [, maxuploads, maxlocks]): locking (DAV
 * class 2) is on when a lock directory is given and exists or can be made in the IO (as BAS
 * does); each lock's owner is a file there (src/http/dav-locks.ts).
 */
import { T_NIL, T_NUMBER, T_STRING, type LState } from '../vm/lua-vm.js';
import { Wait } from '../sched/waiter.js';
import { LuaRaise } from '../vm/lua-error.js';
import { pushSubTable } from '../vm/lua-values.js';
import { DavService } from '../http/dav-handler.js';
import { mkdirSync, statSync } from 'node:fs';
import type { BaContext } from './context.js';
import { Dir, type DirLib } from './dir.js';
import type { IoLib } from './io.js';
import { IoDef } from './io-def.js';
import { originOf, type RequestLib } from './request.js';

/** BAS's default limits: 5 concurrent uploads, 20 locks. */
const DEFAULT_MAX_UPLOADS = 5;
const DEFAULT_MAX_LOCKS = 20;

const LOCKMGR_LUA = `
local lockmgr = ...
local type, select, error = type, select, error
return function(d, name, ...)
  local n = select("#", ...)
  if n == 0 then return lockmgr(d, name, 0) end
  if n >= 2 then
    local req, t = ...
    if type(req) ~= "userdata" or not req.write then
      error(("bad argument #3 to '?' (HTTPCMD expected, got %s)"):format(req == nil and "no value" or type(req)), 2)
    end
    local user = req.user and req:user()
    return lockmgr(d, name, 1, user and ("WFM: " .. user) or "WFM", t)
  end
  return lockmgr(d, name, (...) and 3 or 2)
end
`;

const LOCK_ERRORS: Record<number, string> = { [-1]: 'lockdisabled', [-2]: 'alreadylocked', [-3]: 'locknotfound' };


export function installDav(ctx: BaContext, dirs: DirLib, ioLib: IoLib): void {
  const { vm, args } = ctx;
  const L = vm.L;
  const check = (L: LState): Dir => {
    const d = dirs.at(L, 1);
    if (!d || !d.dav) return args.typeError(L, 1, '?', 'DAV');
    return d;
  };
  const lockErr = (L: LState, r: number): number => {
    vm.pushNil(L);
    vm.pushString(L, LOCK_ERRORS[r] ?? 'failed');
    return 2;
  };

  // The IO object given to ba.create.dav (dav:io() returns that same object, as in BAS).
  const ioRefs = new WeakMap<Dir, number>();
  vm.newMetatable(L, 'DAV');
  vm.setHost(L, -1, 'io', (L) => {
    const d = check(L);
    const ref = ioRefs.get(d);
    if (ref) vm.pushRef(L, ref);
    else ioLib.pushIo(L, d.io!);
    return 1;
  });
  // lockmgr(d, name, action, owner, seconds): 0 is-locked, 1 lock, 2 unlock, 3 owner.
  vm.pushHost(L, 'lockmgr', (L) => {
    const d = check(L);
    const name = args.checkString(L, 2, 'lockmgr');
    const action = args.checkInteger(L, 3, 'lockmgr');
    const locks = d.dav!.locks;
    if (action === 0) {
      vm.pushBoolean(L, locks.isLocked(name));
      return 1;
    }
    if (action === 1) {
      const owner = args.checkString(L, 4, 'lockmgr');
      const secs = args.checkNumber(L, 5, 'lockmgr');
      // BAS's owner file for a lock from Lua; the name is escaped here (BAS writes it as it is).
      const xmlOwner = `<n1:owner xmlns:n1="DAV:"><n1:href>${owner.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'))}</n1:href></n1:owner>`;
      const r = locks.lock(name, xmlOwner, Math.max(0, Math.floor(secs)));
      if (typeof r === 'number') return lockErr(L, r);
      vm.pushBoolean(L, true);
      return 1;
    }
    if (action === 2) {
      const r = locks.unlock(name);
      if (r !== 0) return lockErr(L, r);
      vm.pushBoolean(L, true);
      return 1;
    }
    if (!locks.enabled) return lockErr(L, -1);
    const l = locks.get(name);
    if (!l) return lockErr(L, -3);
    vm.pushString(L, locks.owner(l));
    vm.pushInteger(L, Math.floor(l.expires / 1000));
    return 2;
  });
  const err = vm.load(L, LOCKMGR_LUA, '=dav.lockmgr');
  if (err) throw err;
  vm.rotate(L, -2, 1);
  const perr = vm.pcall(L, 1, 1);
  if (perr) throw perr;
  vm.setField(L, -2, 'lockmgr');
  vm.setHost(L, -1, '__gc', (L) => {
    const id = dirs.handles.idAt(L, 1);
    const d = dirs.at(L, 1);
    const ref = d ? ioRefs.get(d) : undefined;
    if (d && ref) {
      ioRefs.delete(d);
      vm.unref(ref);
    }
    if (id >= 0) dirs.handles.release(id);
    return 0;
  });
  vm.pushValue(L, -1);
  vm.setField(L, -2, '__index');
  // Methods a DAV object does not have itself are the directory's.
  vm.newTable(L);
  vm.pushRef(L, dirs.dirMetatableRef);
  vm.setField(L, -2, '__index');
  vm.setMetatable(L, -2);
  dirs.davMtRef = vm.ref(L);

  ctx.pushBa(L);
  pushSubTable(vm, L, 'create');
  vm.setHost(L, -1, 'dav', (L) => {
    let i = 1;
    let name: string | null = null;
    let prio = 0;
    if (vm.type(L, 1) === T_STRING || vm.type(L, 1) === T_NIL) {
      name = vm.toStr(L, 1) || null;
      i++;
    }
    if (vm.type(L, i) === T_NUMBER) prio = args.checkInteger(L, i++, '?');
    const src = ioLib.toSource(L, i);
    if (!src) return args.typeError(L, i, '?', 'IOINTF');
    const ioAt = i++;
    let lockDir: string | null = null;
    if (vm.type(L, i) === T_STRING || vm.type(L, i) === T_NIL) {
      lockDir = vm.type(L, i) === T_STRING ? vm.toStr(L, i) : null;
      i++;
    }
    let maxLocks = DEFAULT_MAX_LOCKS;
    let maxUploads = DEFAULT_MAX_UPLOADS;
    if (vm.type(L, i) === T_NUMBER) {
      maxUploads = args.checkInteger(L, i, 'dav');
      maxLocks = args.checkInteger(L, i + 1, 'dav');
    }
    // An IO that is not a plain disk tree (a zip file, the net IO, a Lua-implemented IO) is
    // served read-only through the IO interface, without locks.
    const io = src instanceof IoDef && src.diskRoot !== null ? src : null;
    if (!io) {
      const d = new Dir('dav', name, prio);
      d.io = src;
      d.dav = new DavService('', { readOnly: true, lockDir: null, maxLocks, maxUploads: Math.max(1, maxUploads), source: src });
      vm.pushValue(L, ioAt);
      ioRefs.set(d, vm.ref(L));
      dirs.push(L, d);
      return 1;
    }
    // The lock directory: used when it exists or can be made (BAS: else no locking); none on a
    // read-only IO, and none for a limit of 0 locks.
    let lockPath: string | null = null;
    if (lockDir !== null && !io.readOnly && maxLocks > 0) {
      try {
        const p = io.resolve(lockDir);
        try {
          statSync(p);
        } catch {
          mkdirSync(p, { mode: 0o750 });
        }
        lockPath = p;
      } catch {
        lockPath = null;
      }
    }
    const d = new Dir('dav', name, prio);
    d.io = io;
    d.root = io.root;
    d.dav = new DavService(io.root, { readOnly: io.readOnly, lockDir: lockPath, maxLocks, maxUploads: Math.max(1, maxUploads) });
    vm.pushValue(L, ioAt);
    ioRefs.set(d, vm.ref(L));
    dirs.push(L, d);
    return 1;
  });
  vm.pop(L, 2);
}

/**
 * dav:service(request, rel): WebDAV for the calling page's (or directory function's) request,
 * `rel` being the path below the WebDAV directory (BAS's web file manager hands its requests
 * over this way). The hrefs it writes start at the request's path without `rel`. The page waits
 * until the answer is sent; the result is true, or false for GET and HEAD of a directory (then
 * nothing was sent), as in BAS. Installed by the HTTP server (requests exist only there).
 */
export function installDavService(ctx: BaContext, dirs: DirLib, requests: RequestLib, L: LState): void {
  const { vm, args, sched } = ctx;
  vm.pushRef(L, dirs.davMtRef);
  vm.setHost(L, -1, 'service', (L) => {
    const d = dirs.at(L, 1);
    if (!d || !d.dav) return args.typeError(L, 1, '?', 'DAV');
    const r = requests.checkRequest(L, 2, '?');
    const rel = args.checkString(L, 3, '?');
    const ex = r.exchange;
    if (!r.live || r.taken || ex.response.headersSent) {
      vm.pushBoolean(L, false);
      return 1;
    }
    const slash = rel.endsWith('/');
    const segs = rel.split('/').filter((s) => s !== '');
    const pathOf = ex.head.path;
    const raw = pathOf.split('/');
    if (raw.length > 1 && raw[raw.length - 1] === '') raw.pop();
    let decodedTail = '';
    try {
      decodedTail = decodeURIComponent(raw.slice(raw.length - segs.length).join('/'));
    } catch {
      decodedTail = '';
    }
    // The directory's URL: the request path without `rel` when it ends so (BAS: the path up to
    // where `rel` is found), else the whole path.
    let basePath = segs.length && decodedTail === segs.join('/') ? raw.slice(0, raw.length - segs.length).join('/') : raw.join('/');
    if (!basePath.endsWith('/')) basePath += '/';
    const task = sched.current;
    if (!task) throw new LuaRaise('dav:service must run in a page or directory function');
    const w = new Wait('dav', task);
    const done = (handled: boolean): void =>
      w.complete((co) => {
        vm.pushBoolean(co, handled);
        return 1;
      });
    if (segs.some((s) => s === '.' || s === '..' || /[\x00-\x1f\x7f\\]/.test(s))) {
      ex.response.setStatus(404);
      ex.response.setHeader('Content-Length', '0');
      ex.response.end();
      vm.pushBoolean(L, true);
      return 1;
    }
    d.dav.handle({ exchange: ex, segs, slash, base: originOf(ex) + basePath, basePath }).then(done, () => done(true));
    return sched.suspend(L, w, 'dav:service');
  });
  vm.pop(L, 1);
}
