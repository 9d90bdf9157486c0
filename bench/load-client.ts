// Echo load client over TCP (or TLS with --tls as the 7th argument): `conns` connections, each
// keeping `depth` messages of `size` bytes in flight; a message counts when its echo has fully
// arrived. TLS servers use the demo certificate, which is not verified.
import net from 'node:net';
import tls from 'node:tls';
import { drive, loadArgs, streamEcho } from './load-driver.js';

const a = loadArgs();
const useTls = a.rest[0] === '--tls';
const msg = Buffer.alloc(a.size, 0x61);

drive(a, (counter) => {
  const s = useTls
    ? tls.connect({ port: a.port, host: '127.0.0.1', servername: 'localhost', rejectUnauthorized: false })
    : net.connect(a.port, '127.0.0.1');
  s.setNoDelay(true);
  s.on(useTls ? 'secureConnect' : 'connect', () => {
    for (let i = 0; i < a.depth; i++) s.write(msg);
  });
  s.on('data', streamEcho(a.size, counter, () => s.write(msg)));
  s.on('error', () => counter.errors++);
  return { open: () => !s.destroyed, close: () => s.destroy() };
});
