/**
 * `ba.socket`: the functions and methods Lua sees of every socket object. Behaviour, return
 * values and error strings are BAS's. What differs between TCP, UDP and WebSocket sockets is
 * reached through the socket's transport (transport.ts; `transports[s.kind]`), and the TLS
 * module fills in the TLS hooks of SocketCore.
 *
 * Every method either completes at once or registers a waiter and suspends the calling
 * coroutine. Reads and writes that can complete at once never yield.
 */
import { LuaRaise } from '../vm/lua-error.js';
import type { LState } from '../vm/lua-vm.js';
import type { Task } from '../sched/scheduler.js';
import type { NetSocket } from '../net/tcp-dial.js';
import { sockCount, type LSock } from './sock.js';
import { SocketCore } from './socket-core.js';
import { TcpTransport } from './socket-tcp.js';
import { SOCK_KINDS } from './transport.js';
import type { BaContext } from './context.js';
import { accept, bind, connect, convertible, readOpts, toip, type SockOpts } from './socket-connect.js';
import { attachConn, deadRead, onReadable, read, readNow } from './socket-read.js';
import { write, writeBytes } from './socket-write.js';
import { disable, enable, eventFn, eventMethod, moveNet, startCosocket } from './cosocket.js';
import { numberFunctions } from './socket-numbers.js';

export { LSock, SockWait, type SockKind } from './sock.js';
export { SocketCore } from './socket-core.js';

export class SocketLib extends SocketCore {
  constructor(ctx: BaContext) {
    super(ctx);
    // Every kind starts with TCP's transport; installUdp and installWebSocket put theirs.
    const tcp = new TcpTransport(this);
    for (const kind of SOCK_KINDS) this.transports[kind] = tcp;
  }

  // ---- install --------------------------------------------------------------------------------

  install(L: LState): void {
    const { vm } = this.ctx;
    // Weak id -> userdata table.
    vm.newTable(L);
    vm.newTable(L);
    vm.pushString(L, 'v');
    vm.setField(L, -2, '__mode');
    vm.setMetatable(L, -2);
    this.weakRef = vm.ref(L);

    // One metatable that holds every method and is its own __index, named "_BASOCK", as in
    // BAS: `pairs(getmetatable(sock))` lists the methods, and scripts may add their own.
    vm.newMetatable(L, '_BASOCK');
    const m = this.methods();
    for (const [name, fn] of Object.entries(m)) vm.setHost(L, -1, name, fn);
    vm.pushValue(L, -1);
    this.methodsRef = vm.ref(L);
    vm.pushValue(L, -1);
    vm.setField(L, -2, '__index');
    vm.setHost(L, -1, '__gc', (L) => this.gc(L));
    vm.setHost(L, -1, '__close', (L) => {
      const s = this.toSock(L, 1);
      if (s) this.closeSock(s);
      return 0;
    });
    vm.setHost(L, -1, '__tostring', (L) => this.tostring(L));
    vm.pushValue(L, -1);
    this.socks.mtRef = vm.ref(L);
    vm.pop(L, 1);

    // ba.socket
    this.ctx.pushBa(L);
    vm.newTable(L);
    for (const [name, fn] of Object.entries(this.functions())) vm.setHost(L, -1, name, fn);
    vm.setField(L, -2, 'socket');
    vm.pop(L, 1);
  }

  /** Adds methods to the shared socket method table (UDP/TLS/WebSocket modules). */
  addMethod(L: LState, name: string, fn: (L: LState) => number): void {
    const vm = this.ctx.vm;
    vm.pushRef(L, this.methodsRef);
    vm.setHost(L, -1, name, fn);
    vm.pop(L, 1);
  }

  /** Adds a function to ba.socket. */
  addFunction(L: LState, name: string, fn: (L: LState) => number): void {
    const vm = this.ctx.vm;
    this.ctx.pushBa(L);
    vm.getField(L, -1, 'socket');
    vm.setHost(L, -1, name, fn);
    vm.pop(L, 2);
  }

  private gc(L: LState): number {
    const s = this.toSock(L, 1);
    if (s) {
      // A cosocket with a live connection is referenced by its coroutine and never gets here.
      this.closeSock(s);
      this.release(s);
    }
    return 0;
  }

  private tostring(L: LState): number {
    const s = this.checkSock(L, 1, 'tostring');
    // BAS: "[Sock <hex> S:<state> {local -> peer}]", the address block only while the socket
    // has a local address (not for a bare cosocket, a closed or a disabled socket).
    const local = this.addr(s, false);
    const p = (this.ctx.vm.toUserdata(L, 1) || s.id).toString(16);
    let block = '';
    if (local) {
      const [pip, pport] = this.addr(s, true) ?? ['(null)', 0];
      block = ` {${local[0]}:${local[1]} -> ${pip}:${pport}}`;
    }
    this.ctx.vm.pushString(L, `[${s.label} ${p} S:${this.stateOf(s)}${block}]`);
    return 1;
  }

  // ---- module functions ------------------------------------------------------------------

  private functions(): Record<string, (L: LState) => number> {
    const { vm } = this.ctx;
    return {
      connect: (L) => connect(this, L),
      bind: (L) => bind(this, L),
      event: (L) => eventFn(this, L),
      getsock: (L) => {
        const t = this.current;
        const s = t && t.kind === 'cosocket' ? (t.owner as LSock | null) : null;
        if (s) this.pushSock(L, s);
        else vm.pushNil(L);
        return 1;
      },
      toip: (L) => toip(this, L),
      stat: (L) => {
        vm.pushInteger(L, sockCount.total);
        vm.pushInteger(L, sockCount.active);
        return 2;
      },
      ...numberFunctions(this.ctx),
    };
  }

  // ---- entry points of the socket-*.ts files, for UDP/TLS/WebSocket/HTTP modules ---------------

  readOpts(L: LState, idx: number, fname = '?'): SockOpts {
    return readOpts(this, L, idx, fname);
  }

  /** See socket-connect.ts convertible(). */
  convertible(): LSock | null | undefined {
    return convertible(this);
  }

  attachConn(s: LSock, so: NetSocket): void {
    attachConn(this, s, so);
  }

  onReadable(s: LSock): void {
    onReadable(this, s);
  }

  readNow(s: LSock, L: LState, recvfrom = false): number {
    return readNow(this, s, L, recvfrom);
  }

  deadRead(L: LState, s: LSock): number {
    return deadRead(this, L, s);
  }

  writeBytes(L: LState, s: LSock, data: Uint8Array, frame?: (b: Uint8Array, batch: boolean) => void): number {
    return writeBytes(this, L, s, data, frame);
  }

  startCosocket(L: LState, s: LSock, fnIdx: number, nextra: number, sMode: boolean, extraIdx = fnIdx + 1): Task {
    return startCosocket(this, L, s, fnIdx, nextra, sMode, extraIdx);
  }

  moveNet(from: LSock, to: LSock): void {
    moveNet(this, from, to);
  }

  // ---- methods ---------------------------------------------------------------------------

  private methods(): Record<string, (L: LState) => number> {
    const { vm, args } = this.ctx;
    return {
      read: (L) => read(this, L),
      write: (L) => write(this, L),
      accept: (L) => accept(this, L),
      close: (L) => {
        const s = this.checkSock(L, 1, 'close');
        vm.pushBoolean(L, this.closeSock(s, true));
        return 1;
      },
      event: (L) => eventMethod(this, L),
      disable: (L) => disable(this, L),
      enable: (L) => enable(this, L),
      queuelen: (L) => {
        const s = this.checkSock(L, 1, 'queuelen');
        const prev = s.queueLimit;
        if (!args.isNoneOrNil(L, 2)) s.queueLimit = Math.max(0, args.checkInteger(L, 2, 'queuelen'));
        vm.pushInteger(L, prev);
        return 1;
      },
      maxsize: (L) => {
        const s = this.checkSock(L, 1, 'maxsize');
        // Without a size Mako answers false, as for a size out of range.
        const n = args.isNoneOrNil(L, 2) ? 0 : args.checkInteger(L, 2, 'maxsize');
        const ok = n > 256 && n <= 8192;
        if (ok) s.maxSize = n;
        vm.pushBoolean(L, ok);
        return 1;
      },
      owner: (L) => {
        const s = this.checkSock(L, 1, 'owner');
        vm.pushBoolean(L, s.owner !== null && s.owner === this.current);
        return 1;
      },
      state: (L) => {
        const s = this.checkSock(L, 1, 'state');
        vm.pushString(L, this.stateOf(s));
        vm.pushBoolean(L, s.hasNet);
        return 2;
      },
      peername: (L) => this.name(L, true),
      sockname: (L) => this.name(L, false),
      setoption: (L) => this.setoption(L),
      websocket: (L) => {
        const s = this.checkSock(L, 1, 'websocket');
        vm.pushBoolean(L, s.kind === 'ws');
        return 1;
      },
      ping: (L) => {
        this.checkSock(L, 1, 'ping');
        throw new LuaRaise('Not WS');
      },
      sendto: (L) => {
        const s = this.checkSock(L, 1, 'sendto');
        return this.transportOf(s).sendto(s, L);
      },
      // upgrade, trusted, certificate, cipher, isresumed, relsession: tls.ts (every socket).
    };
  }

  private name(L: LState, peer: boolean): number {
    const vm = this.ctx.vm;
    const s = this.checkSock(L, 1, peer ? 'peername' : 'sockname');
    const a = this.addr(s, peer);
    if (!a) return this.nilErr(L, 'failed');
    vm.pushString(L, a[0]);
    vm.pushInteger(L, a[1]);
    vm.pushBoolean(L, a[2]);
    return 3;
  }

  private setoption(L: LState): number {
    const { vm, args } = this.ctx;
    const s = this.checkSock(L, 1, 'setoption');
    const name = args.checkString(L, 2, 'setoption');
    return this.transportOf(s).setoption(s, L, name, vm.toBoolean(L, 3));
  }
}
