// The transport table of ba.socket (src/ba/transport.ts): one Transport per socket kind, and
// the socket methods reach a socket's implementation through it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Runtime } from '../../../src/app/runtime.js';
import { TcpTransport } from '../../../src/ba/socket-tcp.js';
import { UdpLib } from '../../../src/ba/udp.js';
import { WebSocketLib } from '../../../src/ba/websocket.js';
import { SOCK_KINDS, type Transport } from '../../../src/ba/transport.js';
import type { LSock } from '../../../src/ba/sock.js';
import type { LState } from '../../../src/vm/lua-vm.js';
import { MemoryLog } from '../../../src/sched/trace-log.js';

test('transport table: every socket kind has an entry; TCP serves tcp, listen and event sockets', async () => {
  const rt = await Runtime.create({ log: new MemoryLog(), onExit: () => {} });
  try {
    const t = rt.sockets.transports;
    assert.deepEqual(Object.keys(t).sort(), [...SOCK_KINDS].sort());
    assert.ok(t.tcp instanceof TcpTransport);
    assert.equal(t.listen, t.tcp);
    assert.equal(t.event, t.tcp);
    assert.ok(t.udp instanceof UdpLib);
    assert.ok(t.ws instanceof WebSocketLib);
    assert.equal(t.ws, rt.websocket);
  } finally {
    rt.dispose();
  }
});

test('transport table: a socket uses its kind\'s entry while it has transport state, TCP\'s without', async () => {
  const rt = await Runtime.create({ log: new MemoryLog(), onExit: () => {} });
  try {
    const lib = rt.sockets;
    for (const kind of SOCK_KINDS) {
      const s = lib.newSock(kind);
      assert.equal(lib.transportOf(s), lib.transports.tcp, kind);
      s.transportState = {};
      assert.equal(lib.transportOf(s), lib.transports[kind], kind);
      s.transportState = null;
      lib.closeSock(s);
    }
  } finally {
    rt.dispose();
  }
});

/** A transport that records each call and answers with fixed values. */
class RecordingTransport implements Transport {
  readonly calls: string[] = [];
  constructor(private readonly rt: Runtime) {}
  private push(L: LState, v: string): number {
    this.rt.vm.pushString(L, v);
    return 1;
  }
  read(_s: LSock, L: LState, recvfrom: boolean): number {
    this.calls.push(`read ${recvfrom}`);
    return this.push(L, 'datagram');
  }
  hasData(): boolean {
    this.calls.push('hasData');
    return false;
  }
  write(_s: LSock, L: LState, data: Uint8Array, isText: boolean): number {
    this.calls.push(`write ${Buffer.from(data).toString()} ${isText}`);
    return this.push(L, 'written');
  }
  writeString(_s: LSock, _L: LState, isText: boolean): number {
    this.calls.push(`writeString ${isText}`);
    return -1;
  }
  sendto(_s: LSock, L: LState): number {
    this.calls.push('sendto');
    return this.push(L, 'sent');
  }
  setoption(_s: LSock, L: LState, name: string, on: boolean): number {
    this.calls.push(`setoption ${name} ${on}`);
    return this.push(L, 'set');
  }
  addr(_s: LSock, peer: boolean): [string, number, boolean] | null {
    this.calls.push(`addr ${peer}`);
    return ['192.0.2.1', peer ? 2 : 1, false];
  }
  close(): void {
    this.calls.push('close');
  }
  rebind(): void {
    this.calls.push('rebind');
  }
}

test('transport table: sock:read, write, sendto, setoption, peername and close reach the entry of the socket\'s kind', async () => {
  const log = new MemoryLog();
  const rt = await Runtime.create({ log, onExit: () => {} });
  try {
    const lib = rt.sockets;
    const rec = new RecordingTransport(rt);
    lib.transports.udp = rec;
    const s = lib.newSock('udp');
    s.transportState = {};
    const err = await rt.run(
      `local s = ...
      print(s:read(), s:read(true), s:write("ab"), s:write("abc", 2, 3, true), s:sendto("x", "127.0.0.1", 9),
        s:setoption("broadcast", true))
      print(s:peername())
      print(s:close())`,
      '=transport',
      'script',
      0,
      (L) => {
        lib.pushSock(L, s);
        return 1;
      },
    );
    assert.equal(err, null);
    assert.equal(log.text(), 'datagram\tdatagram\twritten\twritten\tsent\tset\n192.0.2.1\t2\tfalse\ntrue\n');
    assert.deepEqual(rec.calls, [
      'read false',
      'read true',
      'writeString false',
      'write ab false',
      'write bc true',
      'sendto',
      'setoption broadcast true',
      'addr true',
      'close',
    ]);
  } finally {
    rt.dispose();
  }
});
