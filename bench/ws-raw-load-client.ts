// A lean WebSocket load client: the upgrade by hand, then pre-built masked binary frames and a
// byte-level count of the echoed frames, so the server, not the client, is what is measured.
// Arguments: port conns size warmMs measureMs depth path. Each connection keeps `depth`
// messages of `size` bytes in flight. (The mask is fixed per connection: the servers cannot
// tell, and a load generator needs no unpredictability.)
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { drive, loadArgs } from './load-driver.js';

const a = loadArgs();
const path = a.rest[0] ?? '/';

function maskedFrame(size: number): Buffer {
  const lenBytes = size < 126 ? 0 : size < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + lenBytes + 4);
  head[0] = 0x82; // FIN + binary
  if (lenBytes === 0) head[1] = 0x80 | size;
  else if (lenBytes === 2) {
    head[1] = 0x80 | 126;
    head.writeUInt16BE(size, 2);
  } else {
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(size), 2);
  }
  const mask = randomBytes(4);
  mask.copy(head, 2 + lenBytes);
  const payload = Buffer.alloc(size, 0x61);
  for (let i = 0; i < size; i++) payload[i]! ^= mask[i & 3]!;
  return Buffer.concat([head, payload]);
}

// A server frame of `size` bytes: 2, 4 or 10 header bytes, unmasked.
const echoLen = a.size + (a.size < 126 ? 2 : a.size < 65536 ? 4 : 10);

drive(a, (counter) => {
  const frame = maskedFrame(a.size);
  const s = net.connect(a.port, '127.0.0.1');
  s.setNoDelay(true);
  let upgraded = false;
  let head = '';
  let pending = 0;
  s.on('connect', () => {
    s.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
  const onBytes = (n: number): void => {
    pending += n;
    let k = 0;
    while (pending >= echoLen) {
      pending -= echoLen;
      k++;
    }
    if (k) {
      counter.add(k);
      for (let i = 0; i < k; i++) s.write(frame);
    }
  };
  s.on('data', (d: Buffer) => {
    if (upgraded) return onBytes(d.length);
    head += d.toString('latin1');
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    if (!head.startsWith('HTTP/1.1 101')) {
      counter.errors++;
      s.destroy();
      return;
    }
    upgraded = true;
    for (let i = 0; i < a.depth; i++) s.write(frame);
    onBytes(head.length - end - 4);
  });
  s.on('error', () => counter.errors++);
  return { open: () => upgraded && !s.destroyed, close: () => s.destroy() };
});
