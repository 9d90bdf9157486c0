// Baseline for bench/tls-echo.ts: a plain node:tls echo server with the same (demo)
// certificate as the remora server and node's default TLS settings.
import tls from 'node:tls';
import { readFileSync } from 'node:fs';

const port = Number(process.env.ECHO_PORT);
const dir = 'src/vm-resources/.certificate';
tls
  .createServer({ cert: readFileSync(`${dir}/MakoServer.pem`), key: readFileSync(`${dir}/MakoServer.key`), passphrase: 'sharkssl' }, (s) => {
    s.on('data', (d) => s.write(d));
    s.on('error', () => s.destroy());
  })
  .on('tlsClientError', () => {})
  .listen(port, '127.0.0.1');
