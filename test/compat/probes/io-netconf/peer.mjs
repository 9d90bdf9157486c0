// Peer of the io-netconf probe: one port that is a file server for the net IO, an HTTP CONNECT
// proxy and a SOCKS5 proxy, told apart by the first bytes of a connection (0x05: SOCKS5,
// "CONNECT ": HTTP proxy, 0x16: TLS, else HTTP). A proxy tunnels back into this same port, so
// a file's body says how the request arrived: "direct", "connect", "socks", with "+tls" when
// it came over TLS. That shows the traffic really went through the proxy.
// The file server answers as BAS's web file manager does for Mako's net IO: a HttpResMgr
// field, HEAD with Content-Length, ranges as 206.
// CONNECT: without Proxy-Authorization it tunnels; with one it must be pu:pp (else 407).
// SOCKS5: username/password (RFC 1929) required, su:sp.
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { Duplex } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'io-netconf-peer-'));
const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '2', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
if (r.status !== 0) throw new Error('openssl failed');
const key = readFileSync(join(dir, 'k.pem'));
const cert = readFileSync(join(dir, 'c.pem'));
rmSync(dir, { recursive: true, force: true });

const files = http.createServer((req, res) => {
  const body = Buffer.from(`${req.socket.via ?? 'direct'}\n`);
  const h = { HttpResMgr: '1', 'Content-Type': 'text/plain', Etag: '5f5e100' };
  if (req.headers.authorization) h['X-Auth'] = '1';
  if (req.method === 'HEAD') {
    res.writeHead(200, { ...h, 'Content-Length': body.length });
    return res.end();
  }
  const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range || '');
  if (m) {
    const b = body.subarray(+m[1], +m[2] + 1);
    res.writeHead(206, { ...h, 'Content-Length': b.length });
    return res.end(b);
  }
  res.writeHead(200, { ...h, 'Content-Length': body.length });
  res.end(body);
});

/** Reads until `need(buf)` returns a length; then calls `then(head, rest)`. */
function readHead(c, need, then) {
  let buf = Buffer.alloc(0);
  const onData = (d) => {
    buf = Buffer.concat([buf, d]);
    const n = need(buf);
    if (n < 0) return;
    c.off('data', onData);
    c.pause();
    then(buf.subarray(0, n), buf.subarray(n));
  };
  c.on('data', onData);
}

/** Serves the rest of `c` as if it had just connected, tagged with `via`. */
function serve(c, via, rest) {
  if (rest.length) c.unshift(rest);
  readHead(c, (b) => (b.length >= 1 ? 0 : -1), (_h, rest2) => {
    if (rest2.length) c.unshift(rest2);
    if (rest2[0] === 0x16) {
      // A stream over `c` (not its handle), so the bytes already read reach TLS.
      const d = new Duplex({
        read() {
          c.resume();
        },
        write(chunk, _enc, cb) {
          c.write(chunk, cb);
        },
        final(cb) {
          c.end();
          cb();
        },
      });
      c.on('data', (b) => {
        if (!d.push(b)) c.pause();
      });
      c.on('end', () => d.push(null));
      c.on('close', () => d.destroy());
      const t = new tls.TLSSocket(d, { isServer: true, key, cert });
      t.via = `${via}+tls`;
      t.on('error', () => c.destroy());
      files.emit('connection', t);
      c.resume();
      return;
    }
    c.via = via;
    files.emit('connection', c);
    c.resume();
  });
}

function sniff(c) {
  readHead(c, (b) => (b.length >= 1 ? 0 : -1), (_h, rest) => {
    if (rest[0] === 0x05) return socks(c, rest);
    if (rest[0] === 0x43 /* C */) return connect(c, rest);
    c.unshift(rest);
    if (rest[0] === 0x16) {
      serve(c, 'direct', Buffer.alloc(0));
      c.resume();
      return;
    }
    c.via = 'direct';
    files.emit('connection', c);
    c.resume();
  });
  c.resume();
}

function connect(c, first) {
  c.unshift(first);
  readHead(c, (b) => { const i = b.indexOf('\r\n\r\n'); return i < 0 ? -1 : i + 4; }, (head, rest) => {
    const text = head.toString('latin1');
    const auth = /\r\nProxy-Authorization: *Basic +(\S+)/i.exec(text);
    if (auth && Buffer.from(auth[1], 'base64').toString() !== 'pu:pp') {
      c.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    c.write('HTTP/1.1 200 Connection established\r\n\r\n');
    serve(c, 'connect', rest);
    c.resume();
  });
  c.resume();
}

function socks(c, first) {
  c.unshift(first);
  const greet = (b) => (b.length >= 2 && b.length >= 2 + b[1] ? 2 + b[1] : -1);
  readHead(c, greet, (g, rest) => {
    if (!g.subarray(2).includes(2)) return c.end(Buffer.from([5, 0xff]));
    c.write(Buffer.from([5, 2]));
    c.unshift(rest);
    const authLen = (b) => {
      if (b.length < 2) return -1;
      const ul = b[1];
      if (b.length < 3 + ul) return -1;
      const n = 3 + ul + b[2 + ul];
      return b.length >= n ? n : -1;
    };
    readHead(c, authLen, (a, rest2) => {
      const ul = a[1];
      const u = a.subarray(2, 2 + ul).toString();
      const p = a.subarray(3 + ul).toString();
      if (`${u}:${p}` !== 'su:sp') return c.end(Buffer.from([1, 1]));
      c.write(Buffer.from([1, 0]));
      c.unshift(rest2);
      const reqLen = (b) => {
        if (b.length < 5) return -1;
        const n = b[3] === 1 ? 10 : b[3] === 4 ? 22 : 7 + b[4];
        return b.length >= n ? n : -1;
      };
      readHead(c, reqLen, (q, rest3) => {
        if (q.readUInt16BE(q.length - 2) !== port) return c.end(Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0]));
        c.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
        serve(c, 'socks', rest3);
        c.resume();
      });
      c.resume();
    });
    c.resume();
  });
  c.resume();
}

const server = net.createServer((c) => {
  c.on('error', () => {});
  sniff(c);
});
let port = 0;
server.listen(0, '127.0.0.1', () => {
  port = server.address().port;
  console.log(`PORT ${port}`);
});
