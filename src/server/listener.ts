/**
 * One listening socket of the HTTP server: the start-up HTTP and HTTPS listeners and every
 * `ba.create.servcon` listener (src/ba/servcon.ts is its Lua face). Each hands its connections
 * (for TLS, once the handshake is done) to the server, which serves them all with one pipeline
 * and one `conncnt` budget.
 *
 * A listener can move to another port (`rebind`: the new socket opens first, then the old one
 * closes, so a port that cannot be opened changes nothing), and a TLS listener can be taken
 * over by a new one with other certificates (`takeOver`, BAS's re-creation from an old
 * servcon: the listening socket stays, new handshakes use the new certificates).
 */
import net from 'node:net';
import type tls from 'node:tls';
import { listenNow } from '../net/listen-now.js';
import { listenerContextOptions, withFavorRSA, type TlsContextDef } from '../net/tls-context.js';
import type { ServconListener } from '../ba/servcon.js';
import { createTlsServer } from './https-listener.js';

/** What a listener needs from its server. */
export interface ListenerOwner {
  /** Serves a new connection (for TLS: its handshake has completed). */
  accept(so: net.Socket): void;
  /** Milliseconds a TLS connection has to complete its handshake. */
  readonly handshakeTimeout?: number;
  /** A listener opened a socket (true) or has none any more (false). */
  track(l: ServerListener, open: boolean): void;
  /** Reports a listener's error (after it opened). */
  error(e: Error): void;
}

/** The listener whose connections a server's socket hands out (changes on takeOver). */
const owners = new WeakMap<net.Server, ServerListener>();

export class ServerListener implements ServconListener {
  private server: net.Server | null = null;
  private clientCert = false;
  private favorRSA = false;
  /** Closed for good (a rebind in progress then opens nothing). */
  private ended = false;
  /** TLS connections this listener accepted (closed with it, as BAS's TLS listener does). */
  private readonly conns = new Set<net.Socket>();

  /** The start-up HTTPS listener's settings before favorRSA (null for every other listener). */
  private readonly baseOptions: tls.SecureContextOptions | null;

  constructor(
    private readonly owner: ListenerOwner,
    /** The TLS settings (certificates); null for plain HTTP. */
    private tlsOptions: tls.SecureContextOptions | null,
  ) {
    this.baseOptions = tlsOptions;
  }

  /**
   * Whether handshakes ask the client for a certificate: after `clientcert(true)`, and always
   * when the certificates come with trusted CAs (the configuration's `certstore`, a SharkSSL
   * object made with a CA list): Mako fetches the certificate later, when a page calls
   * `request:clientcert()`, which node:tls cannot do after a TLS 1.3 handshake.
   */
  private get requestCert(): boolean {
    const ca = this.tlsOptions?.ca;
    return this.clientCert || (Array.isArray(ca) && ca.length > 0);
  }

  /** A TLS listener for a SharkSSL object's certificates. */
  static forContext(owner: ListenerOwner, def: TlsContextDef | null): ServerListener {
    const l = new ServerListener(owner, def ? listenerContextOptions(def) : null);
    l.def = def;
    return l;
  }

  /** The SharkSSL object's certificates (rebuilt for favorRSA); null for the start-up HTTPS listener. */
  private def: TlsContextDef | null = null;

  get secure(): boolean {
    return this.tlsOptions !== null;
  }

  get valid(): boolean {
    return this.server !== null && this.server.listening;
  }

  /** The port it listens on, 0 when it does not. */
  get port(): number {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : 0;
  }

  /** A new, not yet listening socket server that hands its connections to this listener. */
  createServer(): net.Server {
    let s: net.Server;
    if (this.tlsOptions) {
      const ts = createTlsServer(this.tlsOptions, this.owner.handshakeTimeout);
      (ts as tls.Server & { requestCert: boolean }).requestCert = this.requestCert;
      ts.on('secureConnection', (so: tls.TLSSocket) => owners.get(ts)?.accepted(so));
      s = ts;
    } else {
      s = net.createServer({ allowHalfOpen: true, pauseOnConnect: false });
      s.on('connection', (so: net.Socket) => owners.get(s)?.accepted(so));
    }
    owners.set(s, this);
    return s;
  }

  /** Uses `s` (made by createServer, now listening) as this listener's socket. */
  attach(s: net.Server): void {
    s.on('error', (e) => this.owner.error(e));
    this.server = s;
    this.owner.track(this, true);
  }

  private accepted(so: net.Socket): void {
    if (this.secure) {
      this.conns.add(so);
      so.once('close', () => this.conns.delete(so));
    }
    this.owner.accept(so);
  }

  rebind(port: number, ip: string, done: (ok: boolean) => void): void {
    if (this.ended) return done(false);
    const s = this.createServer();
    let settled = false;
    const finish = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      if (!ok || this.ended) {
        owners.delete(s);
        s.close();
        return done(false);
      }
      s.removeAllListeners('error');
      const old = this.server;
      this.server = null;
      if (old) {
        owners.delete(old);
        old.close();
      }
      this.attach(s);
      done(true);
    };
    // A failed bind is reported on the next tick, a cluster worker's bind (the primary opens
    // the socket) in both cases.
    s.once('error', () => finish(false));
    s.once('listening', () => finish(true));
    try {
      listenNow(s, { port, host: ip, exclusive: false });
    } catch {
      // Invalid arguments: nothing opened.
      finish(false);
    }
    if (s.listening) finish(true);
  }

  close(): void {
    this.ended = true;
    const s = this.server;
    this.server = null;
    if (s) {
      owners.delete(s);
      s.close();
    }
    for (const so of this.conns) so.destroy();
    this.conns.clear();
    this.owner.track(this, false);
  }

  setClientCert(on: boolean): void {
    this.clientCert = on;
    if (this.server && this.secure) (this.server as tls.Server & { requestCert: boolean }).requestCert = this.requestCert;
  }

  setFavorRSA(on: boolean): void {
    if (this.favorRSA === on) return;
    this.favorRSA = on;
    if (this.def) this.setContext(listenerContextOptions(this.def, on));
    else if (this.baseOptions) this.setContext(withFavorRSA(this.baseOptions, on));
  }

  /** New handshakes use these TLS settings; open connections keep theirs. */
  private setContext(o: tls.SecureContextOptions): void {
    this.tlsOptions = o;
    const s = this.server as (net.Server & { setSecureContext?: (o: tls.SecureContextOptions) => void; requestCert?: boolean }) | null;
    s?.setSecureContext?.(o);
    if (s?.setSecureContext) s.requestCert = this.requestCert;
  }

  /** A TLS listener serving `def`'s certificates on `old`'s socket (old keeps no socket). */
  static takeOver(owner: ListenerOwner, old: ServerListener, def: TlsContextDef): ServerListener {
    const l = ServerListener.forContext(owner, def);
    l.clientCert = old.clientCert;
    l.favorRSA = old.favorRSA;
    const s = old.server!;
    old.server = null;
    owner.track(old, false);
    owners.set(s, l);
    l.server = s;
    owner.track(l, true);
    l.setContext(listenerContextOptions(def, l.favorRSA));
    return l;
  }
}
