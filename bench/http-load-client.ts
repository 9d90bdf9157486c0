// HTTP load client for bench:lsp: `conns` keep-alive connections, each keeping `depth` GET
// requests in flight (pipelined); a request counts when its whole response has arrived; a
// status other than 200 counts as a bad echo. The 7th argument is the request path.
import net from 'node:net';
import { drive, loadArgs } from './load-driver.js';

const a = loadArgs();
const path = a.rest[0] ?? '/';
const req = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);

drive(a, (counter) => {
  const s = net.connect(a.port, '127.0.0.1');
  s.setNoDelay(true);
  let buf = '';
  s.on('connect', () => {
    for (let i = 0; i < a.depth; i++) s.write(req);
  });
  s.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    // Responses are small and have a Content-Length: count complete ones.
    for (;;) {
      const h = buf.indexOf('\r\n\r\n');
      if (h < 0) break;
      const m = /content-length: *(\d+)/i.exec(buf.slice(0, h));
      const len = m ? Number(m[1]) : 0;
      if (buf.length < h + 4 + len) break;
      if (!buf.startsWith('HTTP/1.1 200')) counter.bad++;
      buf = buf.slice(h + 4 + len);
      counter.add(1);
      s.write(req);
    }
  });
  s.on('error', () => counter.errors++);
  return { open: () => !s.destroyed, close: () => s.destroy() };
});
