/**
 * Start-up of the app server: open the listeners, fill in `mako`, load the apps
 * (configuration's first, then -l, each .preload to completion), then let requests through.
 * Used by the `remora` command and by tests that run the server in-process.
 */
import type { Runtime } from '../app/runtime.js';
import type { AppSpec, ServerConfig } from '../app/config.js';
import { parseAuthConfig } from './auth.js';
import { HttpServer, setHttpsListenerFactory, type HttpServerOptions } from './http-server.js';
import { httpsContextOptions } from './https-listener.js';
import { MakoApps } from './mako-apps.js';
import { installLoadcerts } from './mako-loadcerts.js';
import { PreloadError } from '../app/app-loader.js';

export interface AppServer {
  readonly http: HttpServer;
  readonly mako: MakoApps;
  /** Resolves when every app is loaded and requests are being served. */
  readonly ready: Promise<void>;
}

export async function startAppServer(
  rt: Runtime,
  config: ServerConfig,
  apps: readonly AppSpec[],
  overrides: Partial<HttpServerOptions> = {},
  /** Where the "listening on port N" line goes (the CLI: stderr, so stdout stays the scripts'). */
  announce: (line: string) => void = (line) => rt.log.write(line),
): Promise<AppServer> {
  // req2sock's default for permessage-deflate (configuration key wsdeflate).
  if (config.wsdeflate) rt.ctx.config.wsdeflate = true;
  const auth = parseAuthConfig(config.raw);
  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  // The HTTPS listener on sslport with the TLS module's defaults.
  setHttpsListenerFactory(httpsContextOptions);
  const num = (k: string): number | undefined => (typeof config.raw[k] === 'number' ? (config.raw[k] as number) : undefined);
  const http = await HttpServer.start(rt, {
    port: config.port,
    host: config.host,
    sslport: config.https ? config.sslport : undefined,
    sslhost: config.sslhost,
    certfile: config.certfile,
    keyfile: config.keyfile,
    certstore: config.certstore,
    favorRSA: config.raw.favorRSA === true,
    conncnt: config.conncnt,
    commandcnt: config.commandcnt,
    headTimeout: num('headtimeout'),
    maxBodySize: num('maxbodysize'),
    handshakeTimeout: num('handshaketimeout'),
    bodyTimeout: num('bodytimeout'),
    bodyMinRate: num('bodyminrate'),
    idleTimeout: num('idletimeout'),
    accessLog: config.raw.accesslog === true,
    showErrors: config.raw.showerrors === true,
    auth,
    tracker: { nodes: num('tracker_nodes'), maxlogin: num('tracker_maxlogin'), bantime: num('tracker_bantime') },
    ready,
    ...overrides,
  });
  // Mako's tracelogger option: the service at /rtl/tracelogger.service/, the page at
  // /rtl/tracelogger/ (a table also configures it; its `auth` is not supported here).
  const tlc = config.raw.tracelogger;
  if (tlc) {
    http.traceLogger.enable(typeof tlc === 'object' ? (tlc as Record<string, unknown>) : null);
    announce('Enabling unprotected tracelogger!\n');
  }
  const mako = new MakoApps(rt, http.mounts);
  mako.install();
  installLoadcerts(rt);
  mako.setPorts(http.port, http.sslport);
  for (const line of http.certNotes) announce(line);
  for (const line of http.fallbacks) announce(line);
  announce(`HTTP server listening on port ${http.port}${http.sslport !== null ? `, HTTPS on port ${http.sslport}` : ''}\n`);
  const started = (async () => {
    for (const spec of [...config.apps, ...apps]) {
      try {
        await mako.load(spec);
      } catch (e) {
        // Traced and announced by loadApp; the app stays unmounted and the others load.
        if (!(e instanceof PreloadError)) throw e;
        announce(`remora: app ${spec.path} not loaded: its .preload failed\n`);
      }
    }
    markReady();
  })();
  return { http, mako, ready: started };
}
