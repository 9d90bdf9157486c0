// WebSocket echo load client (a `ws` client process): `conns` connections, each keeping `depth`
// binary messages of `size` bytes in flight; a message counts when its echo arrives. The 7th
// argument is the request path.
import { WebSocket } from 'ws';
import { drive, loadArgs } from './load-driver.js';

const a = loadArgs();
const path = a.rest[0] ?? '/';
const msg = Buffer.alloc(a.size, 0x61);

drive(a, (counter) => {
  const ws = new WebSocket(`ws://127.0.0.1:${a.port}${path}`, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  ws.on('open', () => {
    for (let i = 0; i < a.depth; i++) ws.send(msg);
  });
  ws.on('message', (d: Buffer) => {
    if (d.length !== a.size) counter.bad++;
    counter.add(1);
    ws.send(msg);
  });
  ws.on('error', () => counter.errors++);
  return { open: () => ws.readyState === WebSocket.OPEN, close: () => ws.terminate() };
});
