// Scripted HTTP server for the httpc-wire probe. Every request is answered by its path:
//   /echo...   200, the body is the request exactly as received (head and body), plus the
//              number of the connection it came on ("conn N" line first)
//   /hdr       200 with repeated, mixed-case and Set-Cookie header lines
//   /404       404 with a body
//   /garbage   bytes that are no HTTP response, then close
//   /close     close without answering
//   /hang      no answer (the probe's timeout ends the wait)
//   /chunked   200, a chunked body in three chunks
//   /eof       200 without a length, body ends with the connection
// A request with "Connection: close" or HTTP/1.0 gets "Connection: close" and the connection
// is closed after the answer.
import net from 'node:net';

let conns = 0;
const server = net.createServer((c) => {
  const id = ++conns;
  let buf = Buffer.alloc(0);
  c.on('error', () => {});
  c.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end + 4).toString('latin1');
      let total = end + 4;
      const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
      if (cl) total += Number(cl[1]);
      else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
        const z = buf.indexOf('0\r\n\r\n', end + 4);
        if (z < 0) return;
        total = z + 5;
      }
      if (buf.length < total) return;
      const req = buf.subarray(0, total);
      buf = buf.subarray(total);
      answer(c, id, head, req);
    }
  });
});

function answer(c, id, head, req) {
  const target = head.split(' ')[1] ?? '';
  const close = /\r\nconnection: *close/i.test(head) || / HTTP\/1\.0\r\n/.test(head);
  const conn = close ? 'Connection: close\r\n' : '';
  const send = (s) => {
    c.write(s);
    if (close) c.end();
  };
  if (target.startsWith('/echo') || !['/hdr', '/404', '/garbage', '/close', '/hang', '/chunked', '/eof'].includes(target)) {
    const body = Buffer.concat([Buffer.from(`conn ${id}\r\n`), req]);
    c.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${conn}\r\n`);
    send(body);
  } else if (target === '/hdr') {
    send(`HTTP/1.1 200 OK\r\nX-One: 1\r\nx-multi: a\r\nX-Multi: b\r\nSet-Cookie: c1=v1; Path=/\r\nContent-Length: 2\r\n${conn}\r\nok`);
  } else if (target === '/404') {
    send(`HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n${conn}\r\nnot found`);
  } else if (target === '/garbage') {
    c.end('garbage garbage\r\n\r\n');
  } else if (target === '/close') {
    c.end();
  } else if (target === '/hang') {
    // no answer
  } else if (target === '/chunked') {
    send(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n${conn}\r\n3\r\nabc\r\n2\r\nde\r\n1\r\nf\r\n0\r\n\r\n`);
  } else if (target === '/eof') {
    c.end('HTTP/1.1 200 OK\r\n\r\nuntil the end');
  }
}

server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
