// Connection-scale client (bench/scale.ts): opens `conns` connections in batches, sends one
// 32-byte message on each and waits for its echo, prints "idle", waits for a line on stdin,
// then sends one more round on all of them at once. Prints one JSON line. Bounded: gives up
// after `limitMs`.
import net from 'node:net';

const [port, conns, limitMs] = process.argv.slice(2).map(Number) as [number, number, number];
const msg = Buffer.alloc(32, 0x62);
const sockets: net.Socket[] = [];
const deadline = Date.now() + limitMs;

function roundTrip(s: net.Socket): Promise<boolean> {
  return new Promise((resolve) => {
    let got = 0;
    const onData = (d: Buffer): void => {
      got += d.length;
      if (got >= msg.length) {
        s.off('data', onData);
        resolve(true);
      }
    };
    s.on('data', onData);
    s.write(msg);
    setTimeout(() => resolve(false), Math.max(0, deadline - Date.now())).unref();
  });
}

function open(): Promise<net.Socket | null> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => resolve(s));
    s.once('error', () => resolve(null));
  });
}

const t0 = performance.now();
let failed = 0;
for (let i = 0; i < conns && Date.now() < deadline; i += 500) {
  const batch = await Promise.all(Array.from({ length: Math.min(500, conns - i) }, open));
  for (const s of batch) {
    if (s) sockets.push(s);
    else failed++;
  }
  const ok = await Promise.all(batch.filter((s): s is net.Socket => s !== null).map(roundTrip));
  failed += ok.filter((x) => !x).length;
}
const connectMs = performance.now() - t0;
// Idle until the parent has measured (one line on stdin), then one more round on all.
process.stdout.write('idle\n');
await new Promise<void>((resolve) => {
  process.stdin.once('data', () => resolve());
  setTimeout(resolve, Math.max(0, deadline - Date.now())).unref();
});
const t1 = performance.now();
const second = await Promise.all(sockets.map(roundTrip));
const roundMs = performance.now() - t1;
process.stdout.write(JSON.stringify({ open: sockets.length, failed, secondRoundOk: second.filter(Boolean).length, connectMs, roundMs }) + '\n');
for (const s of sockets) s.destroy();
process.exit(0);
