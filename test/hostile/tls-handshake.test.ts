// Issue 14 item 2: half-finished, failed and stalled TLS handshakes are closed, on the HTTPS
// listener and on ba.socket.bind(port, {shark=...}) listeners, and the server keeps serving.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { sleep, startServer, until, whileProbing } from './harness.js';

/** Connects, sends `first` (if any) and closes (FIN), 50 at a time. */
async function connectThenClose(port: number, n: number, first?: Buffer): Promise<void> {
  for (let i = 0; i < n; i += 50) {
    await Promise.all(
      Array.from(
        { length: Math.min(50, n - i) },
        () =>
          new Promise<void>((resolve) => {
            const s = net.connect(port, '127.0.0.1', () => (first ? s.end(first) : s.end()));
            s.resume();
            // The client does not wait for the server's close: it forgets the socket.
            s.on('end', () => s.destroy());
            s.on('close', () => resolve());
            s.on('error', () => resolve());
            setTimeout(() => {
              s.destroy();
              resolve();
            }, 300);
          }),
      ),
    );
  }
}

/** Opens `n` connections that never send anything; returns them. */
async function stalled(port: number, n: number): Promise<net.Socket[]> {
  const out: net.Socket[] = [];
  await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<void>((resolve) => {
          const s = net.connect(port, '127.0.0.1', () => resolve());
          s.on('error', () => resolve());
          out.push(s);
        }),
    ),
  );
  return out;
}

async function attack(port: number, fds: () => number, base: number): Promise<void> {
  const hold = await stalled(port, 40);
  await connectThenClose(port, 300);
  // A ClientHello cut short, and plain garbage.
  await connectThenClose(port, 50, Buffer.from('16030100c8010000c40303', 'hex'));
  await connectThenClose(port, 50, Buffer.from('GET / HTTP/1.0\r\n\r\n'));
  // The stalled ones are closed by the handshake deadline (1 s here), the others at once.
  const closed = await until(() => fds() <= base + 4, 15_000);
  for (const s of hold) s.destroy();
  assert.ok(closed, `file descriptors: ${fds()} (before the attack: ${base})`);
}

test('HTTPS listener: connect-then-close, cut-short, garbage and stalled handshakes leave no descriptors behind', async () => {
  const srv = await startServer({}, 'handshaketimeout = 1000');
  try {
    await sleep(200);
    const base = srv.fds();
    await whileProbing(srv.port, () => attack(srv.sslport, srv.fds, base));
  } finally {
    await srv.stop();
  }
});

const SHARK_PRELOAD = `
local cert = ba.create.sharkcert(ba.openio"vm", ".certificate/MakoServer.pem", ".certificate/MakoServer.key", "sharkssl")
local ctx = ba.create.sharkssl(nil, {server = true})
ctx:addcert(cert)
local l = assert(ba.socket.bind(0, {intf = "127.0.0.1", shark = ctx}))
local _, port = l:sockname()
print("SHARKPORT " .. port)
l:event(function(l)
  while true do
    local s = l:accept()
    if not s then break end
    s:event(function(s)
      local d = s:read()
      if d then s:write(d) end
      s:close()
    end)
  end
end)
`;

test('ba.socket.bind with shark: connect-then-close, cut-short, garbage and stalled handshakes leave no descriptors behind', async () => {
  const srv = await startServer({ '.preload': SHARK_PRELOAD }, 'handshaketimeout = 1000');
  try {
    assert.ok(await until(() => /SHARKPORT \d+/.test(srv.out()), 10_000), srv.out());
    const port = Number(/SHARKPORT (\d+)/.exec(srv.out())![1]);
    await sleep(200);
    const base = srv.fds();
    await whileProbing(srv.port, () => attack(port, srv.fds, base));
    assert.doesNotMatch(srv.out(), /Lua error/);
  } finally {
    await srv.stop();
  }
});
