/**
 * Reading a request body in pieces: `request:rawrdr`'s reader over a streamed body and
 * `request:multipart`'s callbacks. Each answers at once when the next piece is buffered and
 * otherwise waits (sched/waiter.ts) until the body stream has more.
 */
import { LuaRaise } from '../vm/lua-error.js';
import { T_NIL, type LState } from '../vm/lua-vm.js';
import { Wait } from '../sched/waiter.js';
import type { BodyStream } from '../http/body-stream.js';
import { MultipartParser, multipartBoundary, type MultipartEvent } from '../http/multipart-parser.js';
import type { BaContext } from './context.js';
import type { LRequest } from './request-object.js';

/** request:multipart's checks (Mako's messages) and set-up; `r` is the request at index 1. */
export function mpStart(ctx: BaContext, L: LState, r: LRequest): number {
  const { vm, args, log } = ctx;
  args.checkTable(L, 2, 'multipart');
  const size = args.optInteger(L, 3, 'multipart', 8192);
  vm.getField(L, 2, 'beginfile');
  vm.getField(L, 2, 'filedata');
  const hasBegin = vm.type(L, -2) !== T_NIL;
  const hasData = vm.type(L, -1) !== T_NIL;
  vm.pop(L, 2);
  if (hasBegin !== hasData) throw new LuaRaise('beginfile and filedata mismatch', 0);
  const boundary = multipartBoundary(r.exchange.head.headers.get('content-type'));
  if (!boundary) {
    // Mako writes this line and drops the connection without an answer; so does remora.
    log.write('MultipartUpload::start not multipart\n');
    if (r.onAbort) {
      const stop = r.onAbort;
      r.onAbort = null;
      stop.abort(true);
    }
    return ctx.sched.suspend(L, { state: 'abort', abort() {} }, 'multipart');
  }
  r.multipart = { parser: new MultipartParser(boundary), events: [], pos: 0, size: Math.max(1, size) };
  return 0;
}

/** The next multipart event as (kind, a, b, c), reading more of the body when none is queued. */
export function mpNext(ctx: BaContext, L: LState, r: LRequest): number {
  const { vm } = ctx;
  const mp = r.multipart;
  if (!mp) throw new LuaRaise('multipart: not started');
  const pushEvent = (co: LState, e: MultipartEvent | { kind: 'error'; msg: string }): number => {
    vm.pushString(co, e.kind);
    switch (e.kind) {
      case 'field':
        vm.pushBytes(co, Buffer.from(e.name, 'utf8'));
        vm.pushBytes(co, e.value);
        return 3;
      case 'file':
        vm.pushBytes(co, Buffer.from(e.name, 'utf8'));
        vm.pushBytes(co, Buffer.from(e.filename, 'utf8'));
        if (e.contentType === null) vm.pushNil(co);
        else vm.pushString(co, e.contentType);
        return 4;
      case 'data':
        vm.pushBytes(co, e.data);
        return 2;
      case 'error':
        vm.pushString(co, e.msg);
        return 2;
      default:
        return 1;
    }
  };
  // Feeds body bytes until an event is queued; 'wait' when a streamed body has none yet.
  const advance = (): MultipartEvent | { kind: 'error'; msg: string } | 'wait' => {
    for (;;) {
      const e = mp.events.shift();
      if (e) return e;
      if (mp.parser.error) return { kind: 'error', msg: mp.parser.error };
      if (mp.parser.done) return { kind: 'error', msg: 'multipart body already read' };
      const stream = r.exchange.bodyStream;
      let piece: Buffer | null | Error | undefined;
      if (stream) piece = r.live && !r.taken ? stream.read(Math.max(mp.size, 65536)) : new Error('socketclosed');
      else {
        const body = r.exchange.body;
        piece = mp.pos < body.length ? body.subarray(mp.pos, mp.pos + 65536) : null;
        if (piece) mp.pos += piece.length;
      }
      if (piece === undefined) return 'wait';
      if (piece instanceof Error) return { kind: 'error', msg: piece.message };
      if (piece === null) {
        const err = mp.parser.finish();
        return { kind: 'error', msg: err ?? 'multipart body ended' };
      }
      mp.events.push(...mp.parser.feed(piece));
    }
  };
  const now = advance();
  if (now !== 'wait') return pushEvent(L, now);
  return suspendUntil(ctx, L, r.exchange.bodyStream!, 'multipart', () => {
    const v = advance();
    return v === 'wait' ? PENDING : v;
  }, pushEvent);
}

const PENDING = Symbol('pending');

/**
 * Suspends the calling coroutine until take() has a value (PENDING: not yet), trying again at
 * each readable event of the stream; the value is pushed by push when the coroutine resumes.
 */
function suspendUntil<V>(ctx: BaContext, L: LState, stream: BodyStream, what: string, take: () => V | typeof PENDING, push: (co: LState, v: V) => number): number {
  const { sched } = ctx;
  const task = sched.current;
  if (!task) throw new LuaRaise(`${what} must run in a coroutine of the runtime`);
  const w = new Wait('read', task);
  const wait = (): void =>
    stream.onReadable(() => {
      if (w.done || !w.live) return;
      const deliver = (): void => {
        if (w.done || !w.live) return;
        const v = take();
        if (v === PENDING) wait();
        else w.complete((co) => push(co, v));
      };
      // Never resume in the middle of running Lua.
      if (sched.current) sched.post(deliver);
      else deliver();
    });
  wait();
  return sched.suspend(L, w, what);
}

/** Bytes of a streamed body kept so that a new reader starts at the beginning (see readStream). */
const REPLAY_MAX = 64 * 1024;

/**
 * A reader's call on a streamed body (large or chunked), as Mako's reader: exactly `size`
 * bytes, waiting until they have arrived, fewer only at the end of the body; nil at the end;
 * nil, err once the body cannot be read to its end ("socketreadfailed": the client went away
 * or broke the chunked framing; what arrived before is returned first).
 *
 * Each reader has its own position while the body read so far fits in 64 KiB (those bytes
 * are kept: a second reader reads them again, as in Mako where a body still in the request
 * buffer is read from its start by each reader); beyond that all readers share the stream.
 */
export function readStream(ctx: BaContext, L: LState, r: LRequest, stream: BodyStream, size: number, id: number): number {
  const { vm } = ctx;
  const push = (co: LState, v: Buffer | null | Error): number => {
    if (v instanceof Error) {
      vm.pushNil(co);
      vm.pushString(co, v.message);
      return 2;
    }
    if (v === null) vm.pushNil(co);
    else vm.pushBytes(co, v);
    return 1;
  };
  const take = (): Buffer | null | Error | typeof PENDING => {
    if (!r.live || r.taken) return null;
    const kept = r.kept;
    let pos = r.readers[id] ?? 0;
    if (pos < r.seen && kept === null) pos = r.seen; // the kept bytes are gone: shared position
    const replay = pos < r.seen ? Math.min(size, r.seen - pos) : 0;
    let fresh: Buffer | null | Error | undefined = null;
    if (replay < size) {
      fresh = stream.readFill(size - replay);
      if (fresh === undefined) return PENDING;
    }
    let out: Buffer | null | Error = fresh;
    if (fresh instanceof Buffer) {
      if (r.kept !== null && r.seen + fresh.length <= REPLAY_MAX) {
        r.kept ??= Buffer.allocUnsafe(REPLAY_MAX);
        fresh.copy(r.kept, r.seen);
      } else r.kept = null;
      r.seen += fresh.length;
    }
    if (replay > 0) {
      const old = kept!.subarray(pos, pos + replay);
      out = fresh instanceof Buffer ? Buffer.concat([old, fresh]) : Buffer.from(old);
    }
    r.readers[id] = out instanceof Buffer ? (fresh instanceof Buffer ? r.seen : pos + replay) : r.seen;
    return out;
  };
  const now = take();
  if (now !== PENDING) return push(L, now);
  return suspendUntil(ctx, L, stream, 'rawrdr', take, push);
}
