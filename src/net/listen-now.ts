/**
 * `server.listen` that takes effect inside the call when the host is an IP literal, as BAS's
 * bind does. net.Server resolves every host with `dns.lookup` (looked up on the module object
 * at call time), which answers IP literals on the next tick only; for the duration of the call
 * the lookup answers literals at once, so the listening socket exists when `listen` returns
 * (`server.listening`). Names, and cluster workers (the primary opens the socket), stay
 * asynchronous.
 */
import dns from 'node:dns';
import net from 'node:net';

type Lookup = typeof dns.lookup;

export function listenNow(server: net.Server, opts: net.ListenOptions): void {
  const host = opts.host;
  if (!host || net.isIP(host) === 0) {
    server.listen(opts);
    return;
  }
  const orig = dns.lookup;
  const literal = ((name: string, o: unknown, cb?: unknown): void => {
    const done = (typeof o === 'function' ? o : cb) as (err: Error | null, address: string, family: number) => void;
    const family = net.isIP(name);
    if (family !== 0) done(null, name, family);
    else (orig as (...a: unknown[]) => void)(name, o, cb);
  }) as unknown as Lookup;
  (dns as { lookup: Lookup }).lookup = literal;
  try {
    server.listen(opts);
  } finally {
    (dns as { lookup: Lookup }).lookup = orig;
  }
}
