/**
 * TLS for the Lua block harness (lua-blocks.ts), with certificates from tls-certs.ts:
 *
 *   --- peer tls-listen [cert]     a node:tls server presenting `cert` (server, wrongname,
 *                                  expired, selfsigned; default server); `mutual` is the
 *                                  server certificate plus a required client certificate
 *   --- peer tls-connect [cert]    PEER(port) connects with node:tls (trusting the test CA,
 *                                  presenting `cert` as client certificate when given)
 *
 * The peer steps (send, expect, close, ...) then run over the TLS connection; `close` ends it
 * with a close_notify. Blocks that use TLS get these Lua globals:
 *
 *   TLS_CA, TLS_CERT, TLS_KEY    PEM text of the test CA and of the server pair
 *   TLS_DIR                      directory with <name>.pem / <name>.key of every test
 *                                certificate, and server-enc.key (password TLS_PASSWORD)
 *   TLS_PASSWORD                 that password
 */
import tls from 'node:tls';
import type net from 'node:net';
import type { Runtime } from '../../src/app/runtime.js';
import { PKI_PASSWORD, testPki, type PkiName } from './tls-certs.js';

export type TlsPeerMode = 'tls-listen' | 'tls-connect';

function certName(arg: string | undefined): PkiName {
  const n = arg || 'server';
  if (n === 'mutual') return 'server';
  if (!['server', 'wrongname', 'expired', 'selfsigned', 'client'].includes(n)) throw new Error(`tls peer: unknown certificate ${n}`);
  return n as PkiName;
}

/** A node:tls server on 127.0.0.1 (port 0); `onConn` gets each connection after its handshake. */
export async function tlsPeerListen(arg: string | undefined, onConn: (so: net.Socket) => void): Promise<tls.Server> {
  const pki = testPki();
  const name = certName(arg);
  const mutual = arg === 'mutual';
  const server = tls.createServer(
    {
      cert: pki.pem(name),
      key: pki.key(name),
      ca: [pki.pem('ca')],
      requestCert: mutual,
      rejectUnauthorized: mutual,
    },
    onConn,
  );
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

/** A node:tls client for PEER(port). */
export function tlsPeerConnect(port: number, arg: string | undefined): tls.TLSSocket {
  const pki = testPki();
  const o: tls.ConnectionOptions = { port, host: '127.0.0.1', servername: 'localhost', ca: [pki.pem('ca')], rejectUnauthorized: false };
  if (arg) {
    const n = certName(arg);
    o.cert = pki.pem(n);
    o.key = pki.key(n);
  }
  return tls.connect(o);
}

/** Sets the TLS_* globals when the block mentions them or uses a TLS peer. */
export function installTlsBridge(rt: Runtime, lua: string, peerMode: string | null): void {
  if (!/\bTLS_/.test(lua) && !peerMode?.startsWith('tls-')) return;
  const pki = testPki();
  const { vm } = rt;
  const L = vm.L;
  const set = (name: string, v: string) => {
    vm.pushString(L, v);
    vm.setGlobal(L, name);
  };
  set('TLS_CA', pki.pem('ca'));
  set('TLS_CERT', pki.pem('server'));
  set('TLS_KEY', pki.key('server'));
  set('TLS_DIR', pki.dir);
  set('TLS_PASSWORD', PKI_PASSWORD);
}
