/**
 * `ba.create.upload(io [, maxuploads])`: BAS's upload service. It returns a function
 *
 *     uploader(request, name, startfunc, completefunc, errorfunc [, env [, keep]])
 *
 * that takes over a PUT request (the body is the file `name` in `io`) or a multipart/form-data
 * POST (every file part is saved as `name .. <its file name>`; form fields are ignored). The
 * body is streamed to the file piece by piece as it arrives, never held whole. The callbacks
 * run with (env, upload): `startfunc` before each file of a multipart POST, `completefunc`
 * once everything is saved, `errorfunc` (env, upload, code, message) when something failed
 * (codes as the IO gives them: "enoent", "noaccess", "nospace", "ioerror", ...).
 *
 * The response belongs to the callbacks: `upload:response()` returns a deferred response
 * (async-response.ts) that may be completed later, from any coroutine. A callback that takes
 * none gets the client a 500 "No response in Lua callbacks"; one that raises, a 500 with its
 * error. The upload object answers url(), name(), multipart(), session() and response() until
 * the last callback returns; afterwards its methods raise "expired".
 *
 * As in BAS the call does not return: the page ends there (with `keep` true it returns and the
 * page goes on without its response). A request that is neither PUT nor multipart POST raises
 * "Invalid PUT or multipart POST"; above `maxuploads` concurrent uploads the client gets 503.
 */
import { LuaError, LuaRaise } from '../vm/lua-error.js';
import { LUA_REGISTRYINDEX, T_TABLE, type LState } from '../vm/lua-vm.js';
import { HandleTable, HandleTag } from '../vm/handles.js';
import { MultipartParser, multipartBoundary, type MultipartEvent } from '../http/multipart-parser.js';
import { ioErrorOf } from '../fs/fs-op.js';
import type { HttpExchange } from '../http/http-connection.js';
import type { BaContext } from './context.js';
import type { IoLib } from './io.js';
import type { IoSource, IoWriter } from '../fs/io-source.js';
import type { LRequest, RequestLib } from './request.js';
import { AsyncResponse, type AsyncResponseLib } from './async-response.js';
import { pushSubTable } from '../vm/lua-values.js';

const UPVALUE_1 = LUA_REGISTRYINDEX - 1;
/** Largest body piece written at once. */
const PIECE = 64 * 1024;

/** An upload failure handed to errorfunc as (code, message). */
class UploadError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** One `ba.create.upload` service. */
interface Service {
  /** Any IO (disk, or a Lua-implemented one: its open(name, "w") and write functions). */
  io: IoSource;
  /** Uploads that may still start (BAS's maxuploads). */
  left: number;
}

/** One upload in progress. */
class UploadNode {
  /** Name as given (PUT: path and file; multipart: the path the file names are added to). */
  readonly path: string;
  /** Path and name of the current file of a multipart upload. */
  name: string | null = null;
  file: IoWriter | null = null;
  response: AsyncResponse | null = null;
  expired = false;
  /** Registry ref of { startfunc, completefunc, errorfunc, env, upload userdata, session }. */
  ref = 0;
  /** Position in a body received whole. */
  pos = 0;
  /** Resolves the hold on the HTTP exchange (the connection goes on). */
  release: () => void = () => {};

  constructor(
    readonly id: number,
    readonly service: Service,
    readonly exchange: HttpExchange,
    path: string,
    readonly multipart: boolean,
    readonly url: string,
  ) {
    this.path = path;
  }

  get currentName(): string {
    return this.name ?? this.path;
  }
}

/** An IO failure as errorfunc's (code, message). */
function ioFailure(e: unknown): UploadError {
  if (e instanceof UploadError) return e;
  const { code, message } = ioErrorOf(e);
  return new UploadError(code, message);
}

export class UploadLib {
  private readonly services: HandleTable<Service>;
  private readonly nodes: HandleTable<UploadNode>;
  private uploaderFp = 0;
  /** Registry ref of the metatable `{__index = _G}` given to callback environments. */
  private envMtRef = 0;

  constructor(
    readonly ctx: BaContext,
    private readonly requests: RequestLib,
    private readonly io: IoLib,
    private readonly responses: AsyncResponseLib,
  ) {
    this.services = new HandleTable(ctx.vm, HandleTag.upload);
    this.nodes = new HandleTable(ctx.vm, HandleTag.upload, { reuseIds: false });
  }

  install(L: LState): void {
    const { vm } = this.ctx;
    vm.newTable(L);
    vm.pushGlobals(L);
    vm.setField(L, -2, '__index');
    this.envMtRef = vm.ref(L);

    // The service object is kept alive by the uploader closure (its upvalue).
    vm.newMetatable(L, 'BaUploadService');
    vm.setHost(L, -1, '__gc', (L) => {
      this.services.release(this.services.idAt(L, 1));
      return 0;
    });
    this.services.mtRef = vm.ref(L);

    vm.newMetatable(L, 'BaUpload');
    vm.newTable(L);
    for (const [name, fn] of Object.entries(this.nodeMethods())) vm.setHost(L, -1, name, fn);
    vm.setField(L, -2, '__index');
    this.nodes.mtRef = vm.ref(L);

    this.uploaderFp = vm.hostFunction('upload', (L) => this.service(L));

    this.ctx.pushBa(L);
    pushSubTable(vm, L, 'create');
    vm.setHost(L, -1, 'upload', (L) => {
      // Mako names the function '?' in its argument errors.
      const io = this.io.toSource(L, 1);
      if (!io) this.ctx.args.typeError(L, 1, '?', 'IOINTF');
      const max = this.ctx.args.optInteger(L, 2, '?', 0xffff);
      this.services.push(L, this.services.add({ io, left: max }));
      vm.pushFunction(L, this.uploaderFp, 1);
      return 1;
    });
    vm.pop(L, 2);
  }

  // ---- the uploader -----------------------------------------------------------------------------

  private service(L: LState): number {
    const { vm, args } = this.ctx;
    const svc = this.services.at(L, UPVALUE_1);
    if (!svc) throw new LuaRaise('upload: service gone');
    const r = this.requests.checkRequest(L, 1, '?');
    const path = args.checkString(L, 2, '?');
    for (const i of [3, 4, 5]) args.checkFunction(L, i, '?');
    const hasEnv = vm.top(L) > 5;
    if (hasEnv) args.checkTable(L, 6, '?');
    const keep = vm.toBoolean(L, 7);
    if (r.taken || !r.live) throw new LuaRaise('upload: the request has ended');
    const ex = r.exchange;
    const method = ex.head.method;
    let multipart = false;
    if (method === 'POST' && /^multipart\/form-data/i.test(ex.head.headers.get('content-type') ?? '')) multipart = true;
    else if (method !== 'PUT') throw new LuaRaise('Invalid PUT or multipart POST');
    if (svc.left <= 0) {
      ex.response.sendError(503, 'The maximum number of concurrent uploads reached');
      return this.stopPage(L, r, keep);
    }
    svc.left--;

    // The callbacks' environment: the given table (or a new one) reading globals from _G.
    if (!hasEnv) {
      vm.settop(L, 5);
      vm.newTable(L);
    } else vm.settop(L, 6);
    vm.pushRef(L, this.envMtRef);
    vm.setMetatable(L, 6);

    const node = this.nodes.create((id) => new UploadNode(id, svc, ex, path, multipart, r.url()));
    // Registry table: 1-3 the callbacks, 4 env, 5 the upload object, 6 the session (or false).
    vm.newTable(L);
    for (let i = 3; i <= 6; i++) {
      vm.pushValue(L, i);
      vm.rawSetI(L, -2, i - 2);
    }
    this.nodes.push(L, node.id);
    vm.rawSetI(L, -2, 5);
    this.pushSession(L, 1);
    vm.rawSetI(L, -2, 6);
    node.ref = vm.ref(L);

    // The upload owns the exchange now: the page's end leaves it alone, and the HTTP
    // connection waits for the hold before going on to the next request.
    r.taken = true;
    r.hold = new Promise<void>((resolve) => (node.release = resolve));
    // The upload's response starts bare, as BAS's: no page defaults.
    ex.response.headers.delete('Content-Type');
    ex.response.headers.delete('Cache-Control');
    ex.response.streamOnEnd = true;
    void this.run(node);
    return this.stopPage(L, r, keep);
  }

  /** The request's session object (request:session()), or false. */
  private pushSession(L: LState, reqIdx: number): void {
    const { vm } = this.ctx;
    vm.getField(L, reqIdx, 'session');
    vm.pushValue(L, reqIdx);
    if (vm.pcall(L, 1, 1) !== null || vm.type(L, -1) !== T_TABLE) {
      vm.pop(L, 1);
      vm.pushBoolean(L, false);
    }
  }

  /** BAS stops the page at the uploader's call unless `keep`. */
  private stopPage(L: LState, r: LRequest, keep: boolean): number {
    if (keep || !r.onStop) return 0;
    const stop = r.onStop;
    r.onStop = null;
    stop.stop();
    return this.ctx.sched.suspend(L, { state: 'stopped', abort() {} }, 'upload');
  }

  // ---- the transfer -------------------------------------------------------------------------------

  /** The next piece of the body; null at its end; UploadError when the client went away. */
  private next(node: UploadNode): Promise<Buffer | null> {
    const ex = node.exchange;
    const stream = ex.bodyStream;
    if (!stream) {
      const body = ex.body;
      if (node.pos >= body.length) return Promise.resolve(null);
      const piece = body.subarray(node.pos, node.pos + PIECE);
      node.pos += piece.length;
      return Promise.resolve(piece);
    }
    return new Promise((resolve, reject) => {
      const take = (): void => {
        const v = ex.closed ? new Error('closed') : stream.read(PIECE);
        if (v === undefined) stream.onReadable(take);
        else if (v instanceof Error) reject(new UploadError('unknown', 'Sock err'));
        else resolve(v);
      };
      take();
    });
  }

  private async open(node: UploadNode, name: string): Promise<void> {
    const io = node.service.io;
    try {
      node.file = await io.create(name);
    } catch (e) {
      throw ioFailure(e);
    }
  }

  private async closeFile(node: UploadNode): Promise<void> {
    const f = node.file;
    if (!f) return;
    node.file = null;
    try {
      await f.close();
    } catch (e) {
      throw ioFailure(e);
    }
  }

  private async write(node: UploadNode, data: Buffer): Promise<void> {
    if (!node.file || data.length === 0) return;
    try {
      await node.file.write(data);
    } catch (e) {
      throw ioFailure(e);
    }
  }

  private async run(node: UploadNode): Promise<void> {
    let err: string | null = null;
    try {
      if (node.multipart) await this.runMultipart(node);
      else {
        // PUT: the file is the body.
        await this.open(node, node.path);
        for (;;) {
          const piece = await this.next(node);
          if (piece === null) break;
          await this.write(node, piece);
        }
        await this.closeFile(node);
      }
      if (!node.response) err = await this.callback(node, 2);
    } catch (e) {
      const f = e instanceof UploadError ? e : new UploadError('ioerror', (e as Error).message);
      if (node.file) {
        const file = node.file;
        node.file = null;
        file.close().catch(() => {});
      }
      err = await this.callback(node, 3, f);
    } finally {
      this.finish(node, err);
    }
  }

  private async runMultipart(node: UploadNode): Promise<void> {
    const boundary = multipartBoundary(node.exchange.head.headers.get('content-type'));
    if (!boundary) throw new UploadError('ioerror', 'not multipart');
    const parser = new MultipartParser(boundary);
    for (;;) {
      const piece = await this.next(node);
      let events: MultipartEvent[];
      if (piece === null) {
        const e = parser.finish();
        if (e) throw new UploadError('ioerror', e);
        return;
      }
      events = parser.feed(piece);
      if (parser.error) throw new UploadError('ioerror', parser.error);
      for (const e of events) {
        switch (e.kind) {
          case 'file': {
            // The name of the part's file without its client-side folders, trailing blanks cut.
            const base = e.filename.slice(Math.max(e.filename.lastIndexOf('/'), e.filename.lastIndexOf('\\')) + 1);
            if (e.filename === '') throw new UploadError('invalidname', 'No file name specified.');
            node.name = (node.path + base).replace(/\s+$/, '');
            const err = await this.callback(node, 1);
            if (err !== null) throw new UploadError('ioerror', err);
            if (node.response) return; // the start callback answered: nothing more is saved
            await this.open(node, node.name);
            break;
          }
          case 'data':
            await this.write(node, e.data);
            break;
          case 'fileend':
            await this.closeFile(node);
            break;
          case 'end':
            return;
          default:
            break;
        }
      }
      events = [];
    }
  }

  /**
   * Runs callback `which` (1 start, 2 complete, 3 error) with (env, upload [, code, message]).
   * Resolves with null, or with the error text when the callback raised.
   */
  private callback(node: UploadNode, which: 1 | 2 | 3, failure?: UploadError): Promise<string | null> {
    const { vm, sched } = this.ctx;
    return new Promise((resolve) => {
      const task = sched.create('job', {
        onEnd: () => resolve(null),
        onError: (t, err: LuaError) => {
          sched.traceError('job', err);
          resolve(failure ? `${failure.code}: ${err.describe()}` : err.describe());
        },
      });
      const co = task.co;
      vm.pushRef(co, node.ref);
      vm.rawGetI(co, -1, which);
      vm.rawGetI(co, -2, 4);
      vm.rawGetI(co, -3, 5);
      vm.remove(co, 1);
      let n = 2;
      if (failure) {
        vm.pushString(co, failure.code);
        vm.pushString(co, failure.message);
        n = 4;
      }
      sched.resume(task, n);
    });
  }

  /** After the last callback: expire the object, free the slot, answer if nobody did. */
  private finish(node: UploadNode, err: string | null): void {
    node.expired = true;
    node.service.left++;
    this.nodes.release(node.id, node);
    this.ctx.vm.unref(node.ref);
    const complete = (): void => node.release();
    if (node.response) {
      // The deferred response releases the exchange when closed, or when collected: a
      // callback that wrote to it and dropped it (BAS's examples do) is answered at the next
      // collection, which an idle server may not run for a long time; so one runs now.
      if (!node.response.closed) this.collectSoon();
      return;
    }
    const why = err ?? 'No response in Lua callbacks';
    this.ctx.log.write(`Err Lua upload: ${why}\n`);
    const res = node.exchange.response;
    if (!node.exchange.closed && !res.finished) {
      if (!res.headersSent) {
        res.discard();
        res.setStatus(500);
        res.setHeader('Content-Length', String(Buffer.byteLength(why)));
      }
      res.end(why);
    }
    complete();
  }

  private collecting = false;

  private collectSoon(): void {
    if (this.collecting) return;
    this.collecting = true;
    setImmediate(() => {
      this.collecting = false;
      const { vm } = this.ctx;
      if (!vm.load(vm.L, 'collectgarbage()', '=upload')) vm.pcall(vm.L, 0, 0);
    });
  }

  // ---- the upload object ------------------------------------------------------------------------

  private node(L: LState): UploadNode {
    const n = this.nodes.at(L, 1);
    if (n && !n.expired) return n;
    if (this.nodes.is(L, 1)) throw new LuaRaise('expired');
    this.ctx.args.typeError(L, 1, '?', 'UPLOAD');
  }

  private nodeMethods(): Record<string, (L: LState) => number> {
    const { vm } = this.ctx;
    return {
      url: (L) => {
        vm.pushString(L, this.node(L).url);
        return 1;
      },
      name: (L) => {
        vm.pushBytes(L, Buffer.from(this.node(L).currentName, 'utf8'));
        return 1;
      },
      multipart: (L) => {
        vm.pushBoolean(L, this.node(L).multipart);
        return 1;
      },
      session: (L) => {
        const n = this.node(L);
        vm.pushRef(L, n.ref);
        vm.rawGetI(L, -1, 6);
        return 1;
      },
      response: (L) => {
        const n = this.node(L);
        if (n.response) throw new LuaRaise('Already in upload mode');
        const ex = n.exchange;
        n.response = new AsyncResponse(ex, () => n.release());
        // The body is not read to its end (an early answer): the connection cannot go on.
        if (ex.bodyStream && !ex.bodyStream.complete) ex.response.setHeader('Connection', 'close');
        this.responses.push(L, n.response);
        return 1;
      },
    };
  }
}
