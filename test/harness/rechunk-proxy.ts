/**
 * A TCP proxy on 127.0.0.1 that changes how a server's bytes reach the client, so a protocol
 * client meets packets that arrive split and coalesced whatever the server does:
 *  - 'split':    every piece the server sends is forwarded in pieces of 1..7 bytes, one per
 *                event-loop turn;
 *  - 'coalesce': the server's bytes are held for 15 ms and forwarded in one write, so several
 *                protocol packets arrive together.
 * Client-to-server bytes pass unchanged. Nothing is dropped or reordered.
 */
import net from 'node:net';

export type RechunkMode = 'split' | 'coalesce';

export interface RechunkProxy {
  port: number;
  close(): void;
}

export async function rechunkProxy(targetPort: number, mode: RechunkMode): Promise<RechunkProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (d: Buffer) => upstream.write(d));
    client.on('end', () => upstream.end());
    // Server to client, rechunked; `queue` keeps the order across the asynchronous writes.
    let queue: Buffer[] = [];
    let pumping = false;
    let ended = false;
    let size = 0;
    const finish = (): void => {
      if (ended && !pumping && queue.length === 0) client.end();
    };
    const pump = async (): Promise<void> => {
      pumping = true;
      while (queue.length > 0 && !client.destroyed) {
        if (mode === 'coalesce') {
          await new Promise((r) => setTimeout(r, 15));
          const all = Buffer.concat(queue);
          queue = [];
          client.write(all);
        } else {
          const b = queue.shift()!;
          for (let off = 0; off < b.length && !client.destroyed; ) {
            size = (size % 7) + 1;
            client.write(b.subarray(off, off + size));
            off += size;
            await new Promise((r) => setImmediate(r));
          }
        }
      }
      pumping = false;
      finish();
    };
    upstream.on('data', (d: Buffer) => {
      queue.push(d);
      if (!pumping) void pump();
    });
    upstream.on('end', () => {
      ended = true;
      finish();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close() {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}
