// Preloaded into the servers of bench:scale (node --import): on SIGUSR2 runs a full garbage
// collection through the inspector protocol and then appends one line ("gc <heapUsed bytes>")
// to the file in $GC_PROBE_OUT, so the bench can read the RSS of live memory only, and how
// much of it is V8's heap. Both servers (remora and the node:net baseline) get the same probe.
import { appendFileSync } from 'node:fs';
import inspector from 'node:inspector';

const out = process.env.GC_PROBE_OUT;
if (out) {
  const session = new inspector.Session();
  session.connect();
  process.on('SIGUSR2', () => {
    session.post('HeapProfiler.collectGarbage', () => appendFileSync(out, `gc ${process.memoryUsage().heapUsed}\n`));
  });
}
