// Peer of the httpc-proxy probe: one port that is an HTTP CONNECT proxy, a SOCKS5 proxy (no
// authentication) and the origin server, told apart by a connection's first bytes ("CONNECT ":
// HTTP proxy, 0x05: SOCKS5, else the origin). A tunnel is served in this process on the same
// connection, so the origin's answer tells how the request arrived: "via direct", or the
// CONNECT line and the fields the proxy saw, or "via socks". A request in absolute form
// ("GET http://...") reaches the origin as "direct" and shows in the body too.
// The origin answers "PING\r\n\r\n" with "PONG\r\n" (raw tunnels), anything else as HTTP with
// "origin saw <request line> via <how>".
// The CONNECT target's host picks the proxy's answer: auth.test needs pu:pp, t407.test, t403.test,
// t502.test and t600.test answer with that status, tclose closes, trst resets, tgarbage and tbadhdr answer
// with a head that is no HTTP answer; the proxy closes those connections after its answer
// (Mako's http2sock on such a connection waits while the proxy keeps it open).
import net from 'node:net';

/** Reads (after the bytes `first`) until `need(buf)` gives a length >= 0, then `then(head, rest)`. */
function readHead(c, first, need, then) {
  let buf = first;
  const onData = (d) => {
    buf = Buffer.concat([buf, d]);
    const n = need(buf);
    if (n < 0) return;
    c.off('data', onData);
    then(buf.subarray(0, n), buf.subarray(n));
  };
  c.on('data', onData);
  onData(Buffer.alloc(0));
}

const headEnd = (b) => {
  const i = b.indexOf('\r\n\r\n');
  return i < 0 ? -1 : i + 4;
};

function origin(c, via, first) {
  let buf = first;
  const onData = (d) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const n = headEnd(buf);
      if (n < 0) return;
      const line = buf.subarray(0, n).toString('latin1').split('\r\n')[0];
      buf = buf.subarray(n);
      if (line === 'PING') {
        c.write('PONG\r\n');
        continue;
      }
      const body = `origin saw ${line} via ${via}`;
      c.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nX-Origin: 1\r\n\r\n${body}`);
    }
  };
  c.on('data', onData);
  onData(Buffer.alloc(0));
}

function connect(c, first) {
  readHead(c, first, headEnd, (head, rest) => {
    const lines = head.toString('latin1').split('\r\n').filter((l) => l !== '');
    const host = ((/^CONNECT (\S+):\d+ /.exec(lines[0]) ?? [])[1] ?? '').replace(/\.test$/, '');
    const auth = lines.find((l) => /^proxy-authorization:/i.test(l));
    if (host === 'auth' && auth !== `Proxy-Authorization: Basic ${Buffer.from('pu:pp').toString('base64')}`) {
      return void c.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="p"\r\nContent-Length: 0\r\n\r\n');
    }
    const answers = {
      t407: 'HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n',
      t403: 'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n',
      t502: 'HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n',
      t600: 'HTTP/1.1 600 Odd\r\n\r\n',
      tgarbage: 'garbage garbage\r\n\r\n',
      tbadhdr: 'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n',
    };
    if (answers[host]) return void c.end(answers[host]);
    if (host === 'tclose') return void c.end();
    if (host === 'trst') return void c.resetAndDestroy();
    c.write('HTTP/1.0 200 Connection established\r\n\r\n');
    origin(c, lines.join(' | '), rest);
  });
}

function socks(c, first) {
  readHead(c, first, (b) => (b.length >= 2 && b.length >= 2 + b[1] ? 2 + b[1] : -1), (_g, rest) => {
    c.write(Buffer.from([5, 0]));
    const reqLen = (b) => {
      if (b.length < 5) return -1;
      const n = b[3] === 1 ? 10 : b[3] === 4 ? 22 : 7 + b[4];
      return b.length >= n ? n : -1;
    };
    readHead(c, rest, reqLen, (_q, rest2) => {
      c.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
      origin(c, 'socks', rest2);
    });
  });
}

const server = net.createServer((c) => {
  c.on('error', () => {});
  readHead(c, Buffer.alloc(0), (b) => (b.length >= 1 ? 0 : -1), (_h, rest) => {
    if (rest[0] === 0x05) return socks(c, rest);
    if (rest[0] === 0x43 /* C */) return connect(c, rest);
    origin(c, 'direct', rest);
  });
});
server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
