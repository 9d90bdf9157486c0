// TLS echo load client (bench/tls-echo.ts): the same load as load-client.ts over node:tls.
// `conns` connections, each keeping `depth` messages of `size` bytes in flight; a message
// counts when its echo has fully arrived. Prints "warm" after the warm-up, then a JSON result
// line. The servers use the demo certificate, so the certificate is not verified.
import tls from 'node:tls';

const [port, conns, size, warmMs, measureMs, depth] = process.argv.slice(2).map(Number) as [number, number, number, number, number, number];
const msg = Buffer.alloc(size, 0x61);
let counting = false;
let msgs = 0;
let errors = 0;
const sockets: tls.TLSSocket[] = [];

function open(): void {
  const s = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', rejectUnauthorized: false });
  s.setNoDelay(true);
  let pending = 0;
  s.on('secureConnect', () => {
    for (let i = 0; i < depth; i++) s.write(msg);
  });
  s.on('data', (d: Buffer) => {
    pending += d.length;
    let n = 0;
    while (pending >= size) {
      pending -= size;
      n++;
    }
    if (n) {
      if (counting) msgs += n;
      for (let i = 0; i < n; i++) s.write(msg);
    }
  });
  s.on('error', () => errors++);
  sockets.push(s);
}

for (let i = 0; i < conns; i++) open();
setTimeout(() => {
  counting = true;
  const t0 = performance.now();
  process.stdout.write('warm\n');
  setTimeout(() => {
    counting = false;
    const ms = performance.now() - t0;
    process.stdout.write(JSON.stringify({ msgs, ms, bytes: msgs * size, errors }) + '\n');
    for (const s of sockets) s.destroy();
    process.exit(0);
  }, measureMs);
}, warmMs);
