/**
 * Test-only stand-in for ba.socket.req2sock (issue 5 builds the real one): turns a TCP
 * connection into a server WebSocket through the same entry point req2sock uses,
 * `wsServerSocket(ctx, sockets, socket, pending, key)`.
 *
 * Lua globals it adds:
 *  - `WS_ACCEPT(sock)`: `sock` is a connected TCP socket (e.g. from `accept`); reads the
 *    upgrade request head from it, answers 101 and returns a blocking-mode WebSocket, or
 *    `nil, "nokey"` (and closes the connection) when the request has no Sec-WebSocket-Key.
 *    Suspends only the caller while the head arrives.
 *  - `WSSERVER()`: binds a listener on an ephemeral port, calls `PEER(port)` (the block
 *    harness's connecting peer) and returns `WS_ACCEPT` of the accepted connection.
 */
import type { Runtime } from '../../src/app/runtime.js';
import { SockWait } from '../../src/ba/socket.js';
import { wsServerSocket } from '../../src/ba/websocket.js';
import { LuaRaise } from '../../src/vm/lua-error.js';

const HEAD_END = Buffer.from('\r\n\r\n');

const LUA_HELPERS = `
function WSSERVER()
  local l = assert(ba.socket.bind(0, {intf = "127.0.0.1"}))
  local _, port = l:sockname()
  local s
  l:event(function(l) s = l:accept() end)
  PEER(port)
  while not s do ba.sleep(1) end
  return WS_ACCEPT(s)
end
`;

export function installWsBridge(rt: Runtime): void {
  const { vm, sched } = rt;
  const { sockets, ctx } = rt;
  const L = vm.L;
  vm.pushHost(L, 'WS_ACCEPT', (L) => {
    const s = sockets.checkSock(L, 1, 'WS_ACCEPT');
    const conn = s.conn;
    if (!conn || s.closed || s.kind !== 'tcp') throw new LuaRaise('WS_ACCEPT: not a connected TCP socket');
    const so = conn.sock;
    // As req2sock's HTTP side does: the connection changes hands with the bytes read so far.
    let buf = conn.detach();
    // The TCP object gives its connection away (as req2sock's request does).
    s.conn = null;
    sockets.closeSock(s);
    const task = sched.current;
    if (!task) throw new LuaRaise('WS_ACCEPT: no coroutine');
    const w = new SockWait('read', task, null);
    let finished = false;
    const headDone = (): ((L: number) => number) | null => {
      const end = buf.indexOf(HEAD_END);
      if (end < 0) return null;
      finished = true;
      so.off('data', onData);
      so.off('end', onEnd);
      so.pause();
      const head = buf.subarray(0, end).toString('latin1');
      const m = /\r\nSec-WebSocket-Key:[ \t]*([^\r\n]*?)[ \t]*(\r\n|$)/i.exec(head);
      if (!m) {
        so.destroy();
        return (L) => sockets.nilSysErr(L, 'nokey');
      }
      const ws = wsServerSocket(ctx, sockets, so, Buffer.from(buf.subarray(end + 4)), m[1]!);
      return (L) => {
        sockets.pushSock(L, ws);
        return 1;
      };
    };
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      const push = headDone();
      if (push) sockets.complete(w, push);
    };
    const onEnd = (): void => {
      if (finished) return;
      finished = true;
      so.destroy();
      sockets.complete(w, (L) => sockets.nilErr(L, 'socketreadfailed'));
    };
    const now = headDone();
    if (now) return now(L);
    so.on('data', onData);
    so.on('end', onEnd);
    so.resume();
    return sched.suspend(L, w, 'WS_ACCEPT');
  });
  vm.setGlobal(L, 'WS_ACCEPT');
  const e = vm.load(L, LUA_HELPERS, '=ws-bridge');
  if (e) throw e;
  const perr = vm.pcall(L, 0, 0);
  if (perr) throw perr;
}
