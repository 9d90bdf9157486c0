// Baseline for bench:lsp: a plain node:http handler answering "hello\n" on ECHO_PORT.
import http from 'node:http';

http
  .createServer((_req, res) => {
    res.setHeader('Content-Type', 'text/plain');
    res.end('hello\n');
  })
  .listen(Number(process.env.ECHO_PORT), '127.0.0.1');
