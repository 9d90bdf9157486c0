/**
 * Runs the app server in-process for tests: a Runtime with a MemoryLog, the HTTP listener on
 * a port chosen by the OS (no fallback range), the given apps loaded. Plus small HTTP client
 * helpers over raw sockets and node:http.
 */
import http from 'node:http';
import net from 'node:net';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime } from '../../src/app/runtime.js';
import { MemoryLog } from '../../src/sched/trace-log.js';
import { defaultServerConfig, type AppSpec, type ServerConfig } from '../../src/app/config.js';
import { startAppServer, type AppServer } from '../../src/server/app-server.js';
import type { HttpServerOptions } from '../../src/server/http-server.js';

export interface TestServer {
  rt: Runtime;
  log: MemoryLog;
  server: AppServer;
  port: number;
  close(): void;
}

export async function startTestServer(
  apps: AppSpec[],
  config: Partial<ServerConfig> = {},
  overrides: Partial<HttpServerOptions> = {},
): Promise<TestServer> {
  const log = new MemoryLog();
  const rt = await Runtime.create({ log, onExit: () => {} });
  const cfg: ServerConfig = { ...defaultServerConfig(), port: 0, ...config, raw: { ...(config.raw ?? {}) } };
  const server = await startAppServer(rt, cfg, apps, { host: '127.0.0.1', fallbackPorts: null, sslport: undefined, ...overrides });
  await server.ready;
  return {
    rt,
    log,
    server,
    port: server.http.port,
    close() {
      server.http.close();
      rt.dispose();
    },
  };
}

/** A copy of a fixture app in a temp directory, with text substitutions applied to every file. */
export function copyApp(fixture: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'remora-app-'));
  cpSync(fixture, dir, { recursive: true });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Runs `fn` against a root app served from a fresh copy of a fixture app (port, the copy's
 * folder, the server's log so far); the server is closed and the copy removed afterwards.
 */
export async function withFixtureApp(fixture: string, fn: (port: number, dir: string, log: () => string) => Promise<void>): Promise<void> {
  const app = copyApp(fixture);
  const s = await startTestServer([{ name: '', prio: 0, path: app.dir }]);
  try {
    await fn(s.port, app.dir, () => s.log.text());
  } finally {
    s.close();
    app.remove();
  }
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with node:http (a fresh connection, no keep-alive agent). */
export function request(port: number, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('latin1') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(opts.timeoutMs ?? 10_000, () => req.destroy(new Error(`timeout: ${path}`)));
    req.end(opts.body);
  });
}

/** A raw TCP client that collects everything it receives. */
export class RawClient {
  readonly sock: net.Socket;
  private data = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  ended = false;

  constructor(port: number) {
    this.sock = net.connect(port, '127.0.0.1');
    this.sock.on('data', (b: Buffer) => {
      this.data = Buffer.concat([this.data, b]);
      this.wake();
    });
    this.sock.on('end', () => {
      this.ended = true;
      this.wake();
    });
    this.sock.on('error', () => {
      this.ended = true;
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  connected(): Promise<void> {
    return new Promise((r) => (this.sock.connecting ? this.sock.once('connect', () => r()) : r()));
  }

  send(s: string | Buffer): void {
    this.sock.write(s);
  }

  get text(): string {
    return this.data.toString('latin1');
  }

  /** Removes and returns what was received so far. */
  take(): string {
    const t = this.text;
    this.data = Buffer.alloc(0);
    return t;
  }

  /** Waits until the received text matches `re` (or the peer ends), at most `ms`. */
  async until(re: RegExp | ((t: string) => boolean), ms = 5000): Promise<string> {
    const test = typeof re === 'function' ? re : (t: string) => re.test(t);
    const deadline = Date.now() + ms;
    while (!test(this.text)) {
      if (this.ended) throw new Error(`peer ended; got ${JSON.stringify(this.text)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout; got ${JSON.stringify(this.text)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return this.text;
  }

  /** Waits for the peer to close. */
  async closed(ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('peer did not close');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  destroy(): void {
    this.sock.destroy();
  }
}

/** Waits until `cond()` holds, polling, at most `ms`. */
export async function waitFor(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
