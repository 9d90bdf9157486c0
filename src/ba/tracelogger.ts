/**
 * `ba.create.tracelogger([name])`: BAS's TraceLogger service, the server's trace output
 * (everything `trace`, `print` outside pages, `tracep` and the runtime's error traces write)
 * streamed to one WebSocket client. One per server: a second call returns the same object.
 *
 * The service answers at `/rtl/<name>/` (name "tracelogger.service"), where Mako's
 * `tracelogger` option mounts it:
 *  - a GET with `x-requested-with`: header `tracelogger: 1.0` and 204 while no client is
 *    connected, 503 while one is (a client asks before it opens the WebSocket);
 *  - a WebSocket upgrade: the client gets binary messages, `[1, request, requestheaders,
 *    responseheaders, http11state, responsebody, level]` first, then `[2] .. text` for each
 *    trace write. A second client takes over: the first gets `[3]` and a close (1000).
 *    Client messages are `[cmd, value]`: 1-5 set those flags, 7 the trace level
 *    (`ba.tracelevel`, which `tracep` obeys); anything else closes with 1003;
 *  - anything else: 405.
 * The browser page is the `vm` IO's `tracelogger/index.html`, served at `/rtl/tracelogger/` by
 * `mako.rtldir` as in Mako.
 *
 * Methods: `tl:configure([t])` returns the settings table (`request`, `requestheaders`,
 * `responseheaders`, `http11state`, `responsebody` booleans and `priority`) and, given a table,
 * applies it; `tl:onclient(fn)` calls `fn(conns)` in a coroutine when a client connects (1) or
 * leaves (0); `tl:close()` ends the service. The HTTP flags are kept and reported; remora
 * traces no HTTP exchanges, so they change nothing.
 */
import { T_BOOLEAN, T_FUNCTION, T_NIL, T_NONE, T_NUMBER, type LState } from '../vm/lua-vm.js';
import { HandleTable, HandleTag } from '../vm/handles.js';
import { Receiver } from '../ws/receiver.js';
import { Sender } from '../ws/sender.js';
import { serverHandshakeResponse } from '../ws/handshake.js';
import type { HttpExchange } from '../http/http-connection.js';
import type { BaContext } from './context.js';
import type { TraceLog } from '../sched/trace-log.js';
import { pushSubTable } from '../vm/lua-values.js';

const TR_SET = 1;
const TR_DATA = 2;
const TR_ACQUIRED = 3;
/** Trace bytes that may wait for a slow client; more are dropped (BAS: 30 KiB). */
const QUEUE_LIMIT = 30 * 1024;
const FLAGS = ['http11state', 'request', 'requestheaders', 'responseheaders', 'responsebody'] as const;
type Flag = (typeof FLAGS)[number];
/** Client command numbers of the flags (BAS's TS_*). */
const FLAG_CMD: Record<number, Flag> = { 1: 'http11state', 2: 'request', 3: 'requestheaders', 4: 'responseheaders', 5: 'responsebody' };
const CMD_LEVEL = 7;

type Socket = HttpExchange['socket'];

const tapped = new WeakMap<TraceLog, TraceLoggerLib>();

/** The one WebSocket client of the service. */
class TraceClient {
  private readonly sender = new Sender({ isServer: true });
  private readonly receiver = new Receiver({ isServer: true, maxMessageSize: 1024 });
  closed = false;

  constructor(
    readonly socket: Socket,
    private readonly onMessage: (data: Buffer) => void,
    private readonly onGone: () => void,
  ) {
    socket.on('data', (b: Buffer) => this.receive(b));
    socket.on('close', () => this.gone());
    socket.on('error', () => this.gone());
    socket.resume();
  }

  receive(b: Buffer): void {
    if (this.closed) return;
    this.receiver.push(b);
    for (let e = this.receiver.next(); e; e = this.receiver.next()) {
      if (e.type === 'data') this.onMessage(e.data);
      else if (e.type === 'ping') this.write(this.sender.pong(e.data));
      else if (e.type === 'close') return this.close(1000);
      else if (e.type === 'error') return this.close(e.code);
    }
  }

  private write(frames: Buffer[]): void {
    if (this.closed || this.socket.destroyed) return;
    for (const f of frames) this.socket.write(f);
  }

  /** Sends one binary message; false when it was dropped (the client reads too slowly). */
  send(payload: Buffer): boolean {
    if (this.closed || this.socket.writableLength > QUEUE_LIMIT) return false;
    this.write(this.sender.message(payload, false));
    return true;
  }

  close(code: number): void {
    if (this.closed) return;
    this.write(this.sender.close(code));
    this.socket.end();
    this.gone();
  }

  private gone(): void {
    if (this.closed && this.socket.destroyed) return;
    const first = !this.closed;
    this.closed = true;
    if (!this.socket.destroyed) this.socket.destroySoon();
    if (first) this.onGone();
  }
}

interface TraceLogger {
  /** Directory name: the service answers at /rtl/<name>/. */
  name: string | null;
  flags: Record<Flag, boolean>;
  /** Registry ref of the onclient function, or 0. */
  onclientRef: number;
  client: TraceClient | null;
  closed: boolean;
}

export class TraceLoggerLib {
  private readonly objs: HandleTable<TraceLogger>;
  private tl: TraceLogger | null = null;
  /** Registry ref of the singleton userdata. */
  private tlRef = 0;

  constructor(readonly ctx: BaContext) {
    this.objs = new HandleTable(ctx.vm, HandleTag.traceLogger);
    ctx.shutdownHooks.push(() => {
      const c = this.tl?.client;
      if (this.tl) this.tl.client = null;
      c?.close(1001);
    });
    // Every trace write also goes to the connected client. The log object is shared by the
    // runtime's parts (and the console log by every runtime of the process): it is wrapped
    // once, and the wrapper feeds the TraceLogger of the runtime made last.
    const log = ctx.log;
    if (!tapped.has(log)) {
      const write = log.write.bind(log);
      log.write = (text: string | Uint8Array): void => {
        write(text);
        tapped.get(log)?.tap(text);
      };
    }
    tapped.set(log, this);
  }

  private tap(text: string | Uint8Array): void {
    const c = this.tl?.client;
    if (!c || c.closed) return;
    const b = typeof text === 'string' ? Buffer.from(text, 'latin1') : Buffer.from(text);
    if (b.length > 0) c.send(Buffer.concat([Buffer.of(TR_DATA), b]));
  }

  install(L: LState): void {
    const { vm } = this.ctx;
    vm.newMetatable(L, 'BaTraceLogger');
    vm.newTable(L);
    for (const [name, fn] of Object.entries(this.methods())) vm.setHost(L, -1, name, fn);
    vm.setField(L, -2, '__index');
    this.objs.mtRef = vm.ref(L);
    this.ctx.pushBa(L);
    pushSubTable(vm, L, 'create');
    vm.setHost(L, -1, 'tracelogger', (L) => this.create(L));
    vm.pop(L, 2);
  }

  /** ba.create.tracelogger([name]): the singleton, made on the first call. */
  private create(L: LState): number {
    const { vm, args } = this.ctx;
    if (this.tl && this.tlRef) {
      vm.pushRef(L, this.tlRef);
      return 1;
    }
    const t = vm.type(L, 1);
    return this.make(L, t === T_NIL ? null : t === T_NONE ? 'tracelogger.service' : args.checkString(L, 1, 'tracelogger'));
  }

  private make(L: LState, name: string | null): number {
    const { vm } = this.ctx;
    if (this.tl && this.tlRef) {
      vm.pushRef(L, this.tlRef);
      return 1;
    }
    const tl: TraceLogger = {
      name,
      flags: { http11state: false, request: false, requestheaders: false, responseheaders: false, responsebody: false },
      onclientRef: 0,
      client: null,
      closed: false,
    };
    this.tl = tl;
    this.objs.push(L, this.objs.add(tl));
    vm.pushValue(L, -1);
    this.tlRef = vm.ref(L);
    return 1;
  }

  /** Creates the service at start-up (the configuration's `tracelogger` key). */
  enable(configure: Record<string, unknown> | null): void {
    const { vm } = this.ctx;
    const L = vm.L;
    this.make(L, 'tracelogger.service');
    vm.pop(L, 1);
    if (configure && this.tl) this.apply(this.tl, configure);
  }

  private level(): number {
    const { vm } = this.ctx;
    const L = vm.L;
    this.ctx.pushBa(L);
    const t = vm.getField(L, -1, 'tracelevel');
    const n = t === T_NUMBER ? (vm.toInteger(L, -1) ?? 5) : 5;
    vm.pop(L, 2);
    return n;
  }

  private setLevel(n: number): void {
    const { vm } = this.ctx;
    const L = vm.L;
    this.ctx.pushBa(L);
    vm.pushInteger(L, n);
    vm.setField(L, -2, 'tracelevel');
    vm.pop(L, 1);
  }

  private apply(tl: TraceLogger, t: Record<string, unknown>): void {
    for (const f of FLAGS) if (typeof t[f] === 'boolean') tl.flags[f] = t[f] as boolean;
    if (typeof t.priority === 'number') this.setLevel(Math.trunc(t.priority));
    this.sendSet(tl);
  }

  private sendSet(tl: TraceLogger): void {
    const f = tl.flags;
    const b = (v: boolean): number => (v ? 1 : 0);
    tl.client?.send(Buffer.of(TR_SET, b(f.request), b(f.requestheaders), b(f.responseheaders), b(f.http11state), b(f.responsebody), this.level() & 0xff));
  }

  private check(L: LState): TraceLogger {
    const tl = this.objs.at(L, 1);
    if (!tl) this.ctx.args.typeError(L, 1, '?', 'TRACELOGGER');
    return tl;
  }

  private methods(): Record<string, (L: LState) => number> {
    const { vm, args } = this.ctx;
    return {
      configure: (L) => {
        const tl = this.check(L);
        if (tl.closed) return 0;
        const given = vm.top(L) > 1;
        if (given) {
          vm.settop(L, 2);
          args.checkTable(L, 2, 'configure');
        } else {
          vm.settop(L, 1);
          vm.newTable(L);
        }
        // Fields the table lacks are filled in with the current settings.
        for (const f of FLAGS) {
          if (vm.getField(L, 2, f) !== T_BOOLEAN) {
            vm.pushBoolean(L, tl.flags[f]);
            vm.setField(L, 2, f);
          }
          vm.pop(L, 1);
        }
        if (vm.getField(L, 2, 'priority') !== T_NUMBER) {
          vm.pushInteger(L, this.level());
          vm.setField(L, 2, 'priority');
        }
        vm.pop(L, 1);
        if (given) {
          const t: Record<string, unknown> = {};
          for (const f of FLAGS) {
            vm.getField(L, 2, f);
            t[f] = vm.toBoolean(L, -1);
            vm.pop(L, 1);
          }
          vm.getField(L, 2, 'priority');
          t.priority = vm.toInteger(L, -1);
          vm.pop(L, 1);
          this.apply(tl, t);
        }
        vm.settop(L, 2);
        return 1;
      },
      onclient: (L) => {
        const tl = this.check(L);
        vm.settop(L, 2);
        // BAS checks the top of the stack: its message says argument #-1.
        if (vm.type(L, -1) !== T_FUNCTION) args.typeError(L, -1, '?', 'function');
        if (tl.onclientRef) vm.unref(tl.onclientRef);
        tl.onclientRef = vm.ref(L);
        vm.pushBoolean(L, true);
        return 1;
      },
      close: (L) => {
        const tl = this.check(L);
        if (tl !== this.tl) return 0;
        // BAS drops the onclient function before the client goes: it is not called here.
        const c = tl.client;
        tl.client = null;
        c?.close(1001);
        tl.closed = true;
        if (tl.onclientRef) vm.unref(tl.onclientRef);
        tl.onclientRef = 0;
        this.tl = null;
        vm.unref(this.tlRef);
        this.tlRef = 0;
        return 0;
      },
    };
  }

  /** onclient(conns) in a coroutine of its own. */
  private notify(tl: TraceLogger, conns: number): void {
    if (!tl.onclientRef) return;
    const { vm, sched } = this.ctx;
    const task = sched.create('job');
    vm.pushRef(task.co, tl.onclientRef);
    vm.pushInteger(task.co, conns);
    sched.post(() => sched.resume(task, 1));
  }

  // ---- HTTP ---------------------------------------------------------------------------------------

  /** Answers a request for the service or its page; false when the path is neither. */
  handle(exchange: HttpExchange, path: string | null): boolean {
    if (!path || !path.startsWith('/rtl/')) return false;
    const tl = this.tl;
    if (tl?.name && (path === `/rtl/${tl.name}/` || path === `/rtl/${tl.name}`)) {
      this.service(tl, exchange);
      return true;
    }
    return false;
  }

  private service(tl: TraceLogger, exchange: HttpExchange): void {
    const h = exchange.head.headers;
    const res = exchange.response;
    if (h.get('x-requested-with') !== undefined) {
      res.setHeader('tracelogger', '1.0');
      if (tl.client) res.sendError(503);
      else {
        res.setStatus(204);
        res.end();
      }
      return;
    }
    const key = h.get('sec-websocket-key');
    if (key === undefined) {
      res.sendError(405);
      return;
    }
    // A second client takes over; the first is told so.
    if (tl.client) {
      const old = tl.client;
      tl.client = null;
      old.send(Buffer.of(TR_ACQUIRED));
      old.close(1000);
    }
    const taken = exchange.takeOver();
    if (!taken) return;
    const { socket, pending } = taken;
    socket.write(serverHandshakeResponse({ key, server: 'remora (Posix)' }));
    const client = new TraceClient(
      socket,
      (data) => this.command(tl, client, data),
      () => {
        if (tl.client === client) {
          tl.client = null;
          this.notify(tl, 0);
        }
      },
    );
    tl.client = client;
    this.notify(tl, 1);
    this.sendSet(tl);
    if (pending.length > 0) client.receive(pending);
  }

  /** A client message: [cmd, value]. */
  private command(tl: TraceLogger, client: TraceClient, data: Buffer): void {
    const cmd = data[0] ?? 0;
    const on = (data[1] ?? 0) !== 0;
    const flag = FLAG_CMD[cmd];
    if (flag) tl.flags[flag] = on;
    else if (cmd === CMD_LEVEL) this.setLevel(data[1] ?? 0);
    else client.close(1003);
  }
}
