// Load client of bench:ws's compressed table: `ws` package clients with permessage-deflate on
// (every message compressed), sending JSON-like text, since compression is for such data.
// Arguments: port conns size warmMs measureMs depth path. Each connection keeps `depth` messages
// of `size` bytes in flight; a message counts when its echo arrives (and matches).
import { WebSocket } from 'ws';
import { drive, loadArgs } from './load-driver.js';

const a = loadArgs();
const path = a.rest[0] ?? '/';

/** `size` bytes of sensor-style JSON records. */
function jsonLike(size: number): string {
  let s = '';
  for (let i = 0; s.length < size; i++) s += `{"id":${i},"temp":${(20 + (i % 7) * 0.3).toFixed(1)},"ok":true},`;
  return s.slice(0, size);
}
const msg = jsonLike(a.size);

drive(a, (counter) => {
  const ws = new WebSocket(`ws://127.0.0.1:${a.port}${path}`, { perMessageDeflate: { threshold: 0 }, maxPayload: 64 * 1024 * 1024 });
  ws.on('open', () => {
    for (let i = 0; i < a.depth; i++) ws.send(msg);
  });
  ws.on('message', (d: Buffer, isBinary: boolean) => {
    if (isBinary || d.length !== a.size) counter.bad++;
    counter.add(1);
    ws.send(msg);
  });
  ws.on('error', () => counter.errors++);
  return { open: () => ws.readyState === WebSocket.OPEN, close: () => ws.terminate() };
});
