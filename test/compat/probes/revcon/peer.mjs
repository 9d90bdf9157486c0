// The broker of the revcon probe. GET /deny: 403 with X-Reason. GET /rc: 202, then one request
// (node:http over that connection) for the first two connections; the third is held. GET /report
// (a plain client): what the broker saw, one line each, once the third connection was accepted
// and both answers were in (the server opens its next connection before the broker has read
// the answer: under load a fixed wait after the third connection missed them), and 300 ms
// more, in which anything unexpected (a fourth connection) would still be reported.
import net from 'node:net';
import http from 'node:http';

const lines = [];
let rcCount = 0;
let done = false;
let answers = 0;
let held = false;
function maybeFinish() {
  if (held && answers === 2) setTimeout(finish, 300);
}
const reports = [];
function finish() {
  done = true;
  for (const s of reports.splice(0)) s.end(`HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(lines.join('\n'))}\r\nConnection: close\r\n\r\n${lines.join('\n')}`);
}
const srv = net.createServer((s) => {
  let buf = '';
  s.on('error', () => {});
  const onData = (d) => {
    buf += d.toString('latin1');
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    s.removeListener('data', onData);
    const head = buf.slice(0, end).split('\r\n');
    const [method, path] = head[0].split(' ');
    if (path === '/report') {
      if (done) {
        reports.push(s);
        finish();
      } else reports.push(s);
      return;
    }
    const fields = head.slice(1).map((l) => l.replace(/^([^:]+):\s*/, (m, k) => k.toLowerCase() + ': ')).sort();
    lines.push(`broker got ${method} ${path} | ${fields.join(' | ')}`);
    if (path === '/deny') {
      s.end('HTTP/1.1 403 Forbidden\r\nX-Reason: no way\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const n = ++rcCount;
    s.write('HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n');
    if (n >= 3) {
      held = true;
      maybeFinish();
      return;
    }
    const req = http.request({ createConnection: () => s, path: `/hello.lsp?x=${n}`, headers: { Host: 'broker' } }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        lines.push(`request ${n}: ${res.statusCode} ${res.headers['content-type']} ${JSON.stringify(body)}`);
        answers++;
        maybeFinish();
      });
    });
    req.on('error', (e) => {
      lines.push(`request ${n}: error ${e.message}`);
      answers++;
      maybeFinish();
    });
    req.end();
  };
  s.on('data', onData);
});
srv.listen(0, '127.0.0.1', () => console.log(`PORT ${srv.address().port}`));
