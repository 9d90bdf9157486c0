/**
 * BAS's asynchronous ("deferred") response object: the response of a request that outlives
 * the code that received it. `upload:response()` (ba.create.upload's callbacks) and
 * `response:deferred()` return one; Lua writes to it from any coroutine (a timer, a thread
 * job) and `close()` completes the HTTP response.
 *
 * Methods as in BAS: valid, close([conclose]), abort, setstatus(code [, msg]),
 * setheader(name, value), setcontentlength(n), send(data, size), write(...). A call that does
 * not fit the response's state (a status after the head went out) answers
 * nil, "Invalid call in selected response state"; any method but valid/close after close
 * raises "expired".
 */
import { LuaRaise } from '../vm/lua-error.js';
import { T_NIL, type LState } from '../vm/lua-vm.js';
import { HandleTable, HandleTag } from '../vm/handles.js';
import type { HttpExchange } from '../http/http-connection.js';
import type { BaContext } from './context.js';
import type { BaError } from './errors.js';

/** One deferred response. */
export class AsyncResponse {
  closed = false;

  constructor(
    readonly exchange: HttpExchange,
    /** Called once when the response is complete (the HTTP connection may go on). */
    private readonly onClose: () => void,
  ) {}

  get valid(): boolean {
    return !this.closed && !this.exchange.closed && !this.exchange.response.finished;
  }

  close(conClose: boolean): void {
    if (this.closed) return;
    this.closed = true;
    const res = this.exchange.response;
    try {
      if (conClose && !res.headersSent) res.setHeader('Connection', 'close');
      res.end();
    } finally {
      this.onClose();
    }
  }
}

const INVALID_STATE = 'Invalid call in selected response state';

export class AsyncResponseLib {
  private readonly live: HandleTable<AsyncResponse>;

  constructor(readonly ctx: BaContext) {
    this.live = new HandleTable(ctx.vm, HandleTag.asyncResponse);
    const { vm } = ctx;
    const L = vm.L;
    vm.newMetatable(L, 'BaAsyncResponse');
    vm.newTable(L);
    for (const [name, fn] of Object.entries(this.methods())) vm.setHost(L, -1, name, fn);
    vm.setField(L, -2, '__index');
    // BAS's prints as a plain userdata.
    vm.setHost(L, -1, '__tostring', (L) => {
      vm.pushString(L, `userdata: ${vm.toUserdata(L, 1).toString(16)}`);
      return 1;
    });
    // Collected while open: the response is completed, as BAS does.
    vm.setHost(L, -1, '__gc', (L) => {
      const id = this.live.idAt(L, 1);
      const r = this.live.get(id);
      if (r && !r.closed) r.close(false);
      this.live.release(id);
      return 0;
    });
    this.live.mtRef = vm.ref(L);
  }

  /** Pushes a new deferred response for `exchange`. */
  push(L: LState, r: AsyncResponse): void {
    this.live.push(L, this.live.add(r));
  }

  private state(L: LState): AsyncResponse {
    const r = this.live.at(L, 1);
    if (!r) this.ctx.args.typeError(L, 1, '?', 'ASYNCRESP');
    return r;
  }

  private open(L: LState): AsyncResponse {
    const r = this.state(L);
    if (r.closed) throw new LuaRaise('expired');
    return r;
  }

  private invalid(L: LState): number {
    this.ctx.vm.pushNil(L);
    this.ctx.vm.pushString(L, INVALID_STATE);
    return 2;
  }

  private methods(): Record<string, (L: LState) => number> {
    const { vm, args } = this.ctx;
    const close = (L: LState): number => {
      const r = this.open(L);
      r.close(vm.toBoolean(L, 2));
      return 0;
    };
    return {
      valid: (L) => {
        vm.pushBoolean(L, this.state(L).valid);
        return 1;
      },
      close,
      abort: close,
      setstatus: (L) => {
        const r = this.open(L);
        const code = args.checkInteger(L, 2, 'setstatus');
        const msg = args.isNoneOrNil(L, 3) ? undefined : args.checkString(L, 3, 'setstatus');
        const res = r.exchange.response;
        if (res.headersSent) return this.invalid(L);
        if (code < 100 || code > 999) args.argError(2, 'setstatus', 'invalid status code');
        vm.pushBoolean(L, res.setStatus(code, msg));
        return 1;
      },
      setheader: (L) => {
        const r = this.open(L);
        const name = args.checkBytes(L, 2, 'setheader').toString('latin1');
        const value = args.checkBytes(L, 3, 'setheader').toString('latin1');
        const res = r.exchange.response;
        if (res.headersSent) return this.invalid(L);
        try {
          vm.pushBoolean(L, res.setHeader(name, value));
        } catch (e) {
          throw new LuaRaise(`invalid header: ${(e as Error).message}`);
        }
        return 1;
      },
      setcontentlength: (L) => {
        const r = this.open(L);
        const n = args.checkInteger(L, 2, 'setcontentlength');
        const res = r.exchange.response;
        if (res.headersSent) return this.invalid(L);
        if (n < 0) args.argError(2, 'setcontentlength', 'negative length');
        res.setHeader('Content-Length', String(n));
        return 0;
      },
      // send(data, size): the first call declares the body size (Content-Length), later
      // calls send the next piece.
      send: (L) => {
        const r = this.open(L);
        const data = vm.type(L, 2) === T_NIL ? Buffer.alloc(0) : args.checkBytes(L, 2, 'send');
        const res = r.exchange.response;
        if (!res.headersSent) {
          const size = args.checkInteger(L, 3, 'send');
          if (size < 0 || size < data.length) args.argError(3, 'send', 'Packet size must be >= chunk size');
          res.setHeader('Content-Length', String(size));
          res.flush();
        }
        if (!r.valid) {
          vm.pushBoolean(L, false);
          return 1;
        }
        vm.pushBoolean(L, res.write(data));
        res.flush();
        return 1;
      },
      write: (L) => {
        const r = this.open(L);
        const n = vm.top(L);
        const parts: Buffer[] = [];
        for (let i = 2; i <= n; i++) parts.push(args.checkBytes(L, i, 'write'));
        if (!r.valid) {
          if (!r.exchange.closed) return this.invalid(L);
          const failed: BaError = 'socketwritefailed';
          vm.pushNil(L);
          vm.pushString(L, failed);
          return 2;
        }
        const res = r.exchange.response;
        for (const p of parts) res.write(p);
        // As BAS's response writer: the first write sends the head (the status is fixed).
        if (!res.headersSent) res.flush();
        vm.pushBoolean(L, true);
        return 1;
      },
    };
  }
}
