// WebSocket echo load client (a `ws` client process): `conns` connections, each keeping `depth`
// binary messages of `size` bytes in flight; a message counts when its echo arrives. Prints
// "warm" after the warm-up, then a JSON result line. Bounded by time; stops by itself.
import { WebSocket } from 'ws';

const [port, conns, size, warmMs, measureMs, depth] = process.argv.slice(2).map(Number) as [number, number, number, number, number, number];
const path = process.argv[8] ?? '/';
const msg = Buffer.alloc(size, 0x61);
let counting = false;
let msgs = 0;
let errors = 0;
let bad = 0;
const sockets: WebSocket[] = [];

function open(): void {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  ws.on('open', () => {
    for (let i = 0; i < depth; i++) ws.send(msg);
  });
  ws.on('message', (d: Buffer) => {
    if (d.length !== size) bad++;
    if (counting) msgs++;
    ws.send(msg);
  });
  ws.on('error', () => errors++);
  sockets.push(ws);
}

for (let i = 0; i < conns; i++) open();
setTimeout(() => {
  counting = true;
  const t0 = performance.now();
  process.stdout.write('warm\n');
  setTimeout(() => {
    counting = false;
    const ms = performance.now() - t0;
    const open = sockets.filter((s) => s.readyState === WebSocket.OPEN).length;
    process.stdout.write(JSON.stringify({ msgs, ms, bytes: msgs * size, errors, bad, open }) + '\n');
    for (const s of sockets) s.terminate();
    process.exit(0);
  }, measureMs);
}, warmMs);
