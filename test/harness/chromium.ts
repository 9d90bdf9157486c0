// Headless chromium for browser tests: start it with a throw-away profile, open a page over the
// DevTools protocol (a minimal client on the `ws` package), evaluate expressions in it, and stop
// it with its helper processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';

export const CHROMIUM = '/usr/bin/chromium';
/** `skip` option of a browser test: false, or why it cannot run here. */
export const chromiumSkip: false | string = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium); skipping the browser test`;

/** A minimal DevTools protocol client: one browser connection, flattened target sessions. */
class Cdp {
  private id = 0;
  private pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
      if (m.id === undefined) return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error) p.reject(new Error(m.error.message));
      else p.resolve(m.result ?? {});
    });
  }
  static async connect(url: string): Promise<Cdp> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return new Cdp(ws);
  }
  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = ++this.id;
    this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }
  close(): void {
    this.ws.close();
  }
}

export interface Browser {
  /** Opens `url` in a new tab; resolves once the tab is attached. */
  open(url: string): Promise<void>;
  /** The value of `expression` in the open tab ("" for null/undefined). */
  evaluate(expression: string): Promise<string>;
  /** Polls `expression` every 200 ms until it gives a non-empty value (at most `ms`). */
  waitFor(expression: string, what: string, ms?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startChromium(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'remora-chromium-'));
  const proc: ChildProcess = spawn(
    CHROMIUM,
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', `--user-data-dir=${profile}`, '--remote-debugging-port=0', 'about:blank'],
    // Its own process group: chromium's helper processes end with it. Its temporary files (the
    // org.chromium.Chromium.* singleton folder, left behind by SIGKILL) go into the profile,
    // which close() removes.
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true, env: { ...process.env, TMPDIR: profile } },
  );
  let cdp: Cdp | null = null;
  let sessionId = '';
  const close = async (): Promise<void> => {
    cdp?.close();
    const exited = new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch {
      proc.kill('SIGKILL');
    }
    await exited;
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  };
  try {
    const devtools = await new Promise<string>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`chromium did not start:\n${err}`)), 30_000);
      proc.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      proc.once('exit', (code) => reject(new Error(`chromium exited with ${code}:\n${err}`)));
    });
    cdp = await Cdp.connect(devtools);
  } catch (e) {
    await close();
    throw e;
  }
  const evaluate = async (expression: string): Promise<string> => {
    const r = (await cdp!.send('Runtime.evaluate', { expression, returnByValue: true }, sessionId)) as { result: { value?: string | null } };
    return r.result.value ?? '';
  };
  return {
    async open(url) {
      const { targetId } = (await cdp!.send('Target.createTarget', { url })) as { targetId: string };
      ({ sessionId } = (await cdp!.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string });
    },
    evaluate,
    async waitFor(expression, what, ms = 60_000) {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const v = await evaluate(expression);
        if (v) return v;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`timed out waiting for ${what}`);
    },
    close,
  };
}
