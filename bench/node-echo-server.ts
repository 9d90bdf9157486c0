// Baseline: a plain node:net echo server (bench/echo.ts).
import net from 'node:net';

const port = Number(process.env.ECHO_PORT);
net
  .createServer((s) => {
    s.on('data', (d) => s.write(d));
    s.on('error', () => s.destroy());
  })
  .listen(port, '127.0.0.1');
