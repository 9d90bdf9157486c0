// Baseline for bench:lsp: a plain node:http handler answering "hello\n". Prints its port.
import http from 'node:http';

const server = http.createServer((_req, res) => {
  res.setHeader('Content-Type', 'text/plain');
  res.end('hello\n');
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`HTTP server listening on port ${(server.address() as { port: number }).port}\n`);
});
