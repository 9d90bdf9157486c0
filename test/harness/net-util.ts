// Small helpers shared by the integration tests.
import net from 'node:net';

/** A TCP port that was free a moment ago on 127.0.0.1 (for code that must name its port). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}
