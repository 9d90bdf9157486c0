/**
 * `sock:write` on stream sockets with BAS's queue rules: a cosocket writer continues while
 * little is queued and waits for the queue to drain otherwise; a non-cosocket writer gets
 * nil and the queue length when the queue is over `queuelen`; a blocking socket's write
 * returns once every byte is with the kernel.
 */
import { LuaRaise } from '../vm/lua-error.js';
import { T_BOOLEAN, T_NIL, T_NONE, T_NUMBER, T_STRING, type LState } from '../vm/lua-vm.js';
import type { SocketCore } from './socket-core.js';
import type { LSock } from './sock.js';

/** Above this many queued bytes a cosocket writer waits for the queue to empty. */
const COSOCKET_WRITE_THRESHOLD = 1400;

/**
 * When a batch of "s"-mode writes goes to the kernel. A cosocket's writes leave together when
 * it waits (or at 64 KiB); a page, job or timer writing to a cosocket hands a batch over every
 * 1400 bytes, so once the kernel stops taking bytes the queue -- and the count `write`
 * returns -- grows with each write until `queuelen`, as in BAS, without a syscall per small
 * write.
 */
export function flushAt(lib: SocketCore): number | undefined {
  return lib.current?.kind === 'cosocket' ? undefined : COSOCKET_WRITE_THRESHOLD;
}

/** Reads the data argument and the i/j range (as string.sub takes them). Returns null for an empty selection. */
export function writeData(lib: SocketCore, L: LState, fname: string): { data: Uint8Array; isText: boolean } | null {
  const { vm, args } = lib.ctx;
  let data = lib.ctx.dataBytes(L, 2);
  if (!data) {
    if (vm.top(L) < 2) args.typeError(L, 2, fname, 'string');
    // tostring(value), left on the stack so the view stays valid during this call.
    vm.pushToString(L, 2);
    data = vm.viewBytes(L, -1)!;
  }
  let isText = false;
  let i = 1;
  let j = -1;
  if (vm.type(L, 3) === T_BOOLEAN) isText = vm.toBoolean(L, 3);
  else {
    if (vm.type(L, 3) === T_NUMBER) i = args.checkInteger(L, 3, fname);
    if (vm.type(L, 4) === T_NUMBER) j = args.checkInteger(L, 4, fname);
    if (vm.type(L, 5) === T_BOOLEAN) isText = vm.toBoolean(L, 5);
    else if (vm.type(L, 4) === T_BOOLEAN) isText = vm.toBoolean(L, 4);
  }
  const len = data.length;
  if (i !== 1 || j !== -1) {
    if (i < 0) i = Math.max(len + i + 1, 1);
    else if (i === 0) i = 1;
    if (j < 0) j = len + j + 1;
    else if (j > len) j = len;
    if (i > j) return { data: data.subarray(0, 0), isText };
    data = data.subarray(i - 1, j);
  }
  return { data, isText };
}

export function write(lib: SocketCore, L: LState): number {
  const { vm } = lib.ctx;
  const a = vm.args;
  const asked = a.read(L);
  if (asked) {
    // remora's VM: the common case's questions answered in one call (a string, maybe isText).
    const s = lib.sockAtBlock(a.udata);
    if (s !== null && s.kind !== 'listen' && a.str !== 0 && a.top <= 3) {
      const t3 = a.type(3);
      if (t3 === T_NONE || t3 === T_NIL || t3 === T_BOOLEAN) {
        const n = lib.transportOf(s).writeString(s, L, t3 === T_BOOLEAN && a.bool3, a.top, a.str, a.strLen);
        if (n >= 0) return n;
      }
    }
  }
  const s = lib.checkSock(L, 1, 'write');
  if (s.kind === 'listen') throw new LuaRaise('Invalid op:  on listen socket');
  const t = lib.transportOf(s);
  // One string (and maybe isText): the transport's fast path, when it can complete at once
  // (already tried above when the VM answered `args`).
  const top = asked ? -1 : vm.top(L);
  if (top >= 0 && top <= 3 && vm.type(L, 2) === T_STRING) {
    const t3 = top < 3 ? T_NONE : vm.type(L, 3);
    if (t3 === T_NONE || t3 === T_NIL || t3 === T_BOOLEAN) {
      const n = t.writeString(s, L, t3 === T_BOOLEAN && vm.toBoolean(L, 3), -1, -1, -1);
      if (n >= 0) return n;
    }
  }
  const wd = writeData(lib, L, 'write');
  if (!wd) return 0;
  return t.write(s, L, wd.data, wd.isText);
}

/**
 * Sends bytes on a stream socket with BAS's queue rules. `data` may be a view into WASM
 * memory; it is copied before Node keeps it. A `frame` hook sends `data` its own way (as a
 * WebSocket frame) and must copy whatever it keeps past the call.
 */
export function writeBytes(lib: SocketCore, L: LState, s: LSock, data: Uint8Array, frame?: (b: Uint8Array, batch: boolean) => void): number {
  const { vm } = lib.ctx;
  const conn = s.conn;
  if (s.closed || !conn || !conn.writable || conn.ended) {
    if (!s.closed && conn) lib.closeSock(s);
    return lib.nilErr(L, 'socketwritefailed');
  }
  const send = (batch = false): void => {
    // A frame hook (WebSocket) gets the bytes as they are and copies what it keeps.
    if (frame) return frame(data, batch);
    if (batch) return conn.writeBatched(data, flushAt(lib));
    conn.write(Buffer.from(data));
  };
  const cur = lib.current;
  if (s.sMode) {
    const before = conn.queued;
    if (before === 0) {
      send(true);
      vm.pushBoolean(L, true);
      vm.pushInteger(L, conn.queued);
      return 2;
    }
    if (cur && cur.kind === 'cosocket') {
      send();
      const q = conn.queued;
      if (q <= COSOCKET_WRITE_THRESHOLD) {
        vm.pushBoolean(L, true);
        vm.pushInteger(L, q);
        return 2;
      }
      return waitDrain(lib, L, s, 'write');
    }
    if (before >= s.queueLimit) {
      vm.pushNil(L);
      vm.pushInteger(L, before);
      return 2;
    }
    send();
    vm.pushBoolean(L, true);
    vm.pushInteger(L, conn.queued);
    return 2;
  }
  // Synchronous write: true once every byte is with the kernel; otherwise the writer
  // waits for the queue to drain. (Not batched: a close right after must not find the
  // bytes still queued.)
  send();
  if (conn.queued === 0) {
    vm.pushBoolean(L, true);
    return 1;
  }
  return waitDrain(lib, L, s, 'write', true);
}

/** Suspends the caller until s's write queue is empty. */
export function waitDrain(lib: SocketCore, L: LState, s: LSock, state: string, sync = false): number {
  const conn = s.conn!;
  const w = lib.newWait(state, null, 'write');
  const cb = (ok: boolean): void => {
    w.complete((L) => {
      if (ok) {
        lib.ctx.vm.pushBoolean(L, true);
        return 1;
      }
      if (sync && !s.closed) lib.closeSock(s);
      return lib.nilErr(L, sync ? 'socketwritefailed' : 'socketclosed');
    });
  };
  w.onAbort = () => conn.removeDrainWaiter(cb);
  conn.whenDrained(cb);
  return lib.ctx.sched.suspend(L, w, 'write');
}
