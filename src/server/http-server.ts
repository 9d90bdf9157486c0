/**
 * The app server's HTTP/1.1 listener: opens `port` (falling back to the
 * first free port of 9357–9370), serves every connection with src/http's HttpConnection and a
 * pipeline of small stages (access log, start-up gate, auth, routing, static files, LSP pages),
 * limits connections to `conncnt`, and installs `ba.socket.req2sock`/`sock2req`.
 *
 * Slowloris, R.U.D.Y. and connection floods: every connection phase (new, head, body, idle)
 * has a deadline that trickled bytes do not restart, and when all `conncnt` slots are taken an
 * idle or slow connection makes room for a new request; connections running a page are never
 * evicted (src/http/connection-policy.ts).
 *
 * HTTPS: when an HTTPS settings factory is set (setHttpsListenerFactory; the app server sets
 * src/server/https-listener.ts's), `sslport` is opened the same way with the
 * fallback range 9443–9460 and served by the same pipeline.
 *
 * Every listener (these two, and those of `ba.create.servcon`) is a ServerListener
 * (src/server/listener.ts); the start-up ones are `ba.lcon6` and `ba.slcon6` in Lua.
 */
import { installDavService } from '../ba/dav.js';
import type net from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import { DEFAULT_LIMITS, holdsSlot, newVictim, overdue, slotVictim, type ConnectionLimits } from '../http/connection-policy.js';
import { HttpConnection, type HttpConnectionOptions, type HttpHandler } from '../http/http-connection.js';
import { RequestLib } from '../ba/request.js';
import { installRevcon } from '../ba/revcon.js';
import { installReq2Sock } from '../ba/req2sock.js';
import type { Runtime } from '../app/runtime.js';
import { dispatch, Mounts, routeStage, type DirFunctionRunner } from './mounts.js';
import { installRequestExtras } from '../ba/request-extra.js';
import { installRequestMore } from '../ba/request-more.js';
import { LspPages } from './lsp-pages.js';
import { SessionStore } from './sessions.js';
import { installAuth, type TrackerConfig } from '../ba/auth.js';
import { authStage, type AuthConfig, UserDb } from './auth.js';
import { staticStage } from './static-stage.js';
import { dirAuthCheck } from './dir-auth.js';
import { accessLog, compose, startupGate, type Stage } from './stages.js';
import { UploadLib } from '../ba/upload.js';
import { TraceLoggerLib } from '../ba/tracelogger.js';
import { AsyncResponseLib } from '../ba/async-response.js';
import { installServcon, type ServconLib } from '../ba/servcon.js';
import { ServerListener, type ListenerOwner } from './listener.js';

export const HTTP_FALLBACK_PORTS: readonly [number, number] = [9357, 9370];
export const HTTPS_FALLBACK_PORTS: readonly [number, number] = [9443, 9460];

export interface HttpServerOptions {
  port: number;
  host?: string;
  sslport?: number;
  sslhost?: string;
  certfile?: string | readonly string[];
  keyfile?: string | readonly string[];
  /** PEM files of the CAs trusted for client certificates (configuration `certstore`). */
  certstore?: readonly string[];
  /** The HTTPS listener favours its RSA certificate (configuration `favorRSA = true`). */
  favorRSA?: boolean;
  /** Maximum concurrent HTTP connections (conncnt). Default 50. */
  conncnt?: number;
  /** Pages in progress at once (commandcnt). Default 3. */
  commandcnt?: number;
  /** Ports tried when `port` cannot be opened; null = none. */
  fallbackPorts?: readonly [number, number] | null;
  sslFallbackPorts?: readonly [number, number] | null;
  /** Milliseconds a request head may take from its first byte. Default 15000. */
  headTimeout?: number;
  /** Largest request body in bytes; a larger one is answered 413. Default 16 MiB. */
  maxBodySize?: number;
  /** Milliseconds an HTTPS connection has to complete its TLS handshake. Default 10000. */
  handshakeTimeout?: number;
  /** Milliseconds a request body may take before `bodyMinRate` applies. Default 15000. */
  bodyTimeout?: number;
  /** Lowest average request-body rate (bytes/s) after `bodyTimeout`. Default 1024. */
  bodyMinRate?: number;
  /** Milliseconds an idle keep-alive connection is kept. Default 30000. */
  idleTimeout?: number;
  /** Development setting: 500 pages show the Lua error and traceback (never by default). */
  showErrors?: boolean;
  /** Write an access log line per request to the trace log. */
  accessLog?: boolean;
  auth?: AuthConfig;
  /** The login tracker's limits (configuration keys tracker_nodes, tracker_maxlogin, tracker_bantime). */
  tracker?: TrackerConfig;
  /** Requests wait for this before they are served (every .preload finished). */
  ready?: Promise<void>;
  /** Extra stages run after authentication, before routing (embedding). */
  stages?: Stage[];
}

/** The start-up HTTPS listener's TLS settings (certificate; provided by the TLS module). */
export type HttpsListenerFactory = (opts: {
  certfile?: string | readonly string[];
  keyfile?: string | readonly string[];
  certstore?: readonly string[];
  note?: (line: string) => void;
}) => SecureContextOptions;
let httpsFactory: HttpsListenerFactory | null = null;

/** The TLS module registers how to create the HTTPS listener (issue "TLS"). */
export function setHttpsListenerFactory(f: HttpsListenerFactory | null): void {
  httpsFactory = f;
}

/** The Server header of every response (Mako: "BarracudaServer.com (Posix)"). */
export const SERVER_HEADER = `remora (${process.platform === 'win32' ? 'Windows' : 'Posix'})`;

/**
 * Listens on `port`, else on the first free port of `range`; resolves with the port opened.
 * `onFallback` is told when the requested port could not be opened and why (issue 14: the
 * fallback must not be silent).
 */
export async function listenWithFallback(
  server: net.Server,
  port: number,
  host: string | undefined,
  range: readonly [number, number] | null,
  onFallback?: (requested: number, why: string, used: number) => void,
): Promise<number> {
  let firstWhy = '';
  const attempt = (p: number): Promise<boolean> =>
    new Promise((resolve) => {
      const onError = (e: NodeJS.ErrnoException): void => {
        server.off('listening', onListening);
        if (!firstWhy) firstWhy = e.code === 'EADDRINUSE' ? 'in use' : e.code === 'EACCES' ? 'permission denied' : (e.code ?? 'error');
        resolve(false);
      };
      const onListening = (): void => {
        server.off('error', onError);
        resolve(true);
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(host === undefined ? { port: p } : { port: p, host });
    });
  const tried: number[] = [port];
  let ok = await attempt(port);
  if (!ok && range) {
    for (let p = range[0]; p <= range[1] && !ok; p++) {
      if (p === port) continue;
      tried.push(p);
      ok = await attempt(p);
    }
  }
  if (!ok) throw new Error(`cannot open a listening port (tried ${tried.join(', ')})`);
  const used = (server.address() as net.AddressInfo).port;
  if (used !== port && port !== 0) onFallback?.(port, firstWhy, used);
  return used;
}

export class HttpServer {
  readonly mounts: Mounts;
  readonly requests: RequestLib;
  readonly pages: LspPages;
  readonly sessions: SessionStore;
  readonly handler: HttpHandler;
  readonly traceLogger: TraceLoggerLib;
  port = 0;
  sslport: number | null = null;
  /** Every listener that has a socket open now. */
  private readonly listening = new Set<ServerListener>();
  /** The start-up listeners (HTTP, and HTTPS when configured). */
  lcon: ServerListener | null = null;
  slcon: ServerListener | null = null;
  readonly servcon: ServconLib;
  private readonly listenerOwner: ListenerOwner;
  private readonly connections = new Set<HttpConnection>();
  private readonly connOpts: HttpConnectionOptions;
  private readonly limits: ConnectionLimits;
  private sweeper: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    readonly rt: Runtime,
    readonly opts: HttpServerOptions,
  ) {
    const conncnt = Math.max(1, opts.conncnt ?? DEFAULT_LIMITS.conncnt);
    this.limits = {
      conncnt,
      newcnt: Math.max(DEFAULT_LIMITS.newcnt, conncnt * 4),
      headTimeout: opts.headTimeout ?? DEFAULT_LIMITS.headTimeout,
      bodyTimeout: opts.bodyTimeout ?? DEFAULT_LIMITS.bodyTimeout,
      bodyMinRate: opts.bodyMinRate ?? DEFAULT_LIMITS.bodyMinRate,
      idleTimeout: opts.idleTimeout ?? DEFAULT_LIMITS.idleTimeout,
    };
    this.mounts = new Mounts(rt.rootDir);
    this.requests = new RequestLib(rt.ctx);
    this.requests.install(rt.vm.L);
    this.sessions = new SessionStore();
    installAuth(rt.ctx, this.requests, this.sessions, opts.tracker);
    this.pages = new LspPages(rt, this.requests, opts.commandcnt ?? 3, opts.showErrors === true);
    const log = (line: string): void => rt.log.write(line);
    const stages: Stage[] = [];
    if (opts.accessLog) stages.push(accessLog(log));
    if (opts.ready) stages.push(startupGate(opts.ready));
    stages.push(authStage(opts.auth ?? { users: new UserDb(), rules: [] }, this.sessions));
    stages.push(...(opts.stages ?? []));
    // The TraceLogger service (ba.create.tracelogger) answers under /rtl/ before routing.
    this.traceLogger = new TraceLoggerLib(rt.ctx);
    this.traceLogger.install(rt.vm.L);
    const tl = this.traceLogger;
    stages.push((rc, next) => (tl.handle(rc.exchange, rc.decodedPath) ? undefined : next()));
    const runFunc: DirFunctionRunner = (rc, d, rel) => this.pages.runDirFunction(rc, d.funcRef, rel);
    const authCheck = dirAuthCheck(rt, (rc, ref, rel) => this.pages.runDirFunction(rc, ref, rel));
    const serveFile = staticStage();
    const runPage = this.pages.stage();
    stages.push(routeStage(this.mounts, runFunc, authCheck), serveFile, runPage);
    // response:forward: the tree is walked again for the new path, then the file or page runs.
    this.pages.forwarder = (rc, path) =>
      dispatch(this.mounts, rc, () => serveFile(rc, () => runPage(rc, () => void rc.exchange.response.sendError(404))), path, runFunc, authCheck, this.mounts.lookups, true);
    installRequestExtras(this.requests, rt.vm.L);
    // include/forward outside a page file resolve against the root application.
    this.pages.include.fallback = () => {
      const sib = this.mounts.root.siblings;
      // The root application's directory (before a resource reader inserted at the root).
      const d = sib.find((c) => c.owner && c.root !== null) ?? sib.find((c) => c.root !== null);
      if (!d || d.root === null) return null;
      const owner = d.owner as { envRef?: number } | null;
      return { root: d.root, dir: d.root, envRef: owner?.envRef ?? d.lspEnvRef, owner: owner ?? d };
    };
    this.handler = compose(stages);
    this.connOpts = {
      idleTimeout: this.limits.idleTimeout,
      onFirstByte: (conn) => this.claimSlot(conn),
      onIdle: () => {
        if (this.slotQueue.length > 0) this.grantSlots();
      },
      maxBodySize: opts.maxBodySize,
      // Chunked bodies and bodies above 64 KiB reach pages while they arrive (request:rawrdr,
      // request:multipart, uploads read them); smaller ones are received whole first.
      streamThreshold: 64 * 1024,
      server: SERVER_HEADER,
      onError: (e) => {
        // Peer errors (bad requests) are answered and not worth a trace line; handler
        // failures are bugs worth seeing.
        if (!('status' in e)) rt.log.write(`remora: HTTP: ${e.message}\n`);
      },
    };
    const asyncResponses = new AsyncResponseLib(rt.ctx);
    new UploadLib(rt.ctx, this.requests, rt.io, asyncResponses).install(rt.vm.L);
    installRequestMore(this.requests, asyncResponses, rt.vm.L);
    installDavService(rt.ctx, rt.dirs, this.requests, rt.vm.L);
    installReq2Sock(rt.ctx, rt.sockets, this.requests, {
      giveBack: (socket, pushback) => this.adopt(socket, pushback),
    });
    // ba.revcon: connections a broker passes requests over are served like accepted ones.
    installRevcon(rt.ctx, rt.sockets, { serve: (socket, pending) => this.adopt(socket, pending) });
    this.listenerOwner = {
      accept: (so) => this.accept(so),
      handshakeTimeout: opts.handshakeTimeout,
      track: (l, open) => {
        if (open && !this.closed) this.listening.add(l);
        else this.listening.delete(l);
      },
      error: (e) => rt.log.write(`remora: HTTP listener: ${e.message}\n`),
    };
    // ba.create.servcon: more listeners of this server.
    const owner = this.listenerOwner;
    this.servcon = installServcon(rt.ctx, rt.tls, {
      open: (port, ip, def, done) => {
        if (this.closed) return done(null);
        const l = ServerListener.forContext(owner, def);
        l.rebind(port, ip, (ok) => done(ok ? l : null));
      },
      takeOver: (old, def) => ServerListener.takeOver(owner, old as ServerListener, def),
    });
    rt.ctx.shutdownHooks.push(() => this.close());
  }

  /** Creates the server and opens its listener(s); requests are served once `opts.ready` resolves. */
  static async start(rt: Runtime, opts: HttpServerOptions): Promise<HttpServer> {
    const srv = new HttpServer(rt, opts);
    // Opens one start-up listener with its fallback ports.
    const open = async (l: ServerListener, port: number, host: string | undefined, range: readonly [number, number] | null, what: string): Promise<number> => {
      const s = l.createServer();
      try {
        const used = await listenWithFallback(s, port, host, range, srv.noteFallback(what));
        l.attach(s);
        return used;
      } catch (e) {
        s.close();
        throw e;
      }
    };
    try {
      srv.lcon = new ServerListener(srv.listenerOwner, null);
      srv.port = await open(srv.lcon, opts.port, opts.host, opts.fallbackPorts === undefined ? HTTP_FALLBACK_PORTS : opts.fallbackPorts, 'HTTP');
      const factory = httpsFactory;
      if (factory && opts.sslport !== undefined) {
        const note = (line: string): void => void srv.certNotes.push(line);
        srv.slcon = new ServerListener(srv.listenerOwner, factory({ certfile: opts.certfile, keyfile: opts.keyfile, certstore: opts.certstore, note }));
        if (opts.favorRSA) {
          srv.slcon.setFavorRSA(true);
          note('Favor RSA certificate\n');
        }
        srv.sslport = await open(srv.slcon, opts.sslport, opts.sslhost, opts.sslFallbackPorts === undefined ? HTTPS_FALLBACK_PORTS : opts.sslFallbackPorts, 'HTTPS');
      }
    } catch (e) {
      srv.close();
      throw e;
    }
    srv.publishListeners();
    srv.sweeper = setInterval(() => srv.sweep(), 1000);
    srv.sweeper.unref();
    return srv;
  }

  /** The files the HTTPS listener loaded, as Mako prints them (announced at start-up). */
  readonly certNotes: string[] = [];

  /** One line per listener that could not open its configured port (announced at start-up). */
  readonly fallbacks: string[] = [];

  private noteFallback(what: string): (requested: number, why: string, used: number) => void {
    return (requested, why, used) => this.fallbacks.push(`remora: ${what} port ${requested} could not be opened (${why}); using port ${used} instead\n`);
  }

  /**
   * ba.lcon6 / ba.slcon6: the start-up listeners as `ba.create.servcon` objects. The Mako
   * Server's start-up script opens each port twice, once with `ipv6` (stored in ba.lcon6,
   * ba.slcon6) and once without (ba.lcon, ba.slcon); on Linux the first already takes the
   * port, so scripts find their listeners in ba.lcon6 and ba.slcon6 and nil in the others.
   */
  private publishListeners(): void {
    const { vm } = this.rt;
    const L = vm.L;
    this.rt.ctx.pushBa(L);
    for (const [name, l] of [['lcon6', this.lcon], ['slcon6', this.slcon]] as const) {
      if (!l) continue;
      this.servcon.push(L, l);
      vm.setField(L, -2, name);
    }
    vm.pop(L, 1);
  }

  /** Number of connections holding a `conncnt` slot now (src/http/connection-policy.ts). */
  get connectionCount(): number {
    this.prune();
    let n = 0;
    for (const c of this.connections) if (holdsSlot(c)) n++;
    return n;
  }

  private prune(): void {
    for (const c of this.connections) if (c.closed) this.connections.delete(c);
  }

  private accept(so: net.Socket): void {
    if (this.closed) {
      so.destroy();
      return;
    }
    this.prune();
    // A new connection takes no slot until it sends something; the pool of silent new
    // connections is bounded on its own (the oldest goes).
    let fresh = 0;
    for (const c of this.connections) if (c.phase === 'new' || c.phase === 'queued') fresh++;
    if (fresh >= this.limits.newcnt) this.drop(newVictim(this.connections));
    this.adopt(so);
  }

  /** Serves HTTP on a socket (new, or given back by sock2req with `pushback`). */
  private adopt(so: net.Socket, pushback?: Buffer): void {
    if (this.closed) {
      so.destroy();
      return;
    }
    // The head and the body of a response leave in separate writes: without TCP_NODELAY,
    // Nagle's algorithm plus the client's delayed ACK holds the body back ~40 ms.
    so.setNoDelay(true);
    const conn = new HttpConnection(so, this.handler, this.connOpts, pushback);
    this.connections.add(conn);
    so.once('close', () => {
      this.connections.delete(conn);
      if (this.slotQueue.length > 0) this.grantSlots();
    });
  }

  /**
   * A new connection sent its first byte and needs a slot: when all `conncnt` are taken, an
   * idle or slow connection makes room; false (refused) when every slot runs a request.
   */
  private claimSlot(conn: HttpConnection): boolean | 'wait' {
    if (this.slotFree(conn)) return true;
    this.slotQueue.push(conn);
    return 'wait';
  }

  /** Connections whose request waits for a slot, in arrival order. */
  private slotQueue: HttpConnection[] = [];

  /** True when `conn` may hold a slot now (an idle or slow connection made room if needed). */
  private slotFree(conn: HttpConnection): boolean {
    let held = 0;
    for (const c of this.connections) if (c !== conn && !c.closed && holdsSlot(c)) held++;
    if (held < this.limits.conncnt) return true;
    const victim = slotVictim(this.connections, conn);
    if (!victim) return false;
    this.drop(victim);
    return true;
  }

  /** Gives freed slots to waiting requests (a connection closed or went idle). */
  private grantSlots(): void {
    while (this.slotQueue.length > 0) {
      const next = this.slotQueue[0]!;
      if (next.closed) {
        this.slotQueue.shift();
        continue;
      }
      if (!this.slotFree(next)) return;
      this.slotQueue.shift();
      next.grantSlot();
    }
  }

  private drop(c: HttpConnection | null): void {
    if (!c) return;
    c.destroy();
    this.connections.delete(c);
  }

  /** Closes connections that overstayed their phase (src/http/connection-policy.ts). */
  private sweep(): void {
    const now = performance.now();
    for (const c of this.connections) if (overdue(c, now, this.limits)) this.drop(c);
    this.prune();
  }

  /** Stops listening and closes every HTTP connection. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const l of [...this.listening]) l.close();
    this.listening.clear();
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    this.sessions.close();
    this.mounts.lookups.close();
  }
}
