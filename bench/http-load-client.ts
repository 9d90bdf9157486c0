// HTTP load client for bench:lsp: `conns` keep-alive connections, one request in flight on
// each, for a fixed time; prints "warm", then a JSON line with the count. Stops by itself.
import net from 'node:net';

const [port, conns, warmMs, measureMs] = process.argv.slice(2, 6).map(Number) as [number, number, number, number];
const path = process.argv[6] ?? '/';
const req = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
let counting = false;
let responses = 0;
let errors = 0;
const sockets: net.Socket[] = [];

function open(): void {
  const s = net.connect(port, '127.0.0.1');
  s.setNoDelay(true);
  let buf = '';
  s.on('connect', () => s.write(req));
  s.on('data', (d) => {
    buf += d.toString('latin1');
    // Responses are small and have a Content-Length: count complete ones.
    for (;;) {
      const h = buf.indexOf('\r\n\r\n');
      if (h < 0) break;
      const m = /content-length: *(\d+)/i.exec(buf.slice(0, h));
      const len = m ? Number(m[1]) : 0;
      if (buf.length < h + 4 + len) break;
      if (!buf.startsWith('HTTP/1.1 200')) errors++;
      buf = buf.slice(h + 4 + len);
      if (counting) responses++;
      s.write(req);
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
    process.stdout.write(JSON.stringify({ responses, ms, errors }) + '\n');
    for (const s of sockets) s.destroy();
    process.exit(0);
  }, measureMs);
}, warmMs);
