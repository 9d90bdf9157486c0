// The seed's promise for WebSocket entry pages: "a browser that has previously been
// authenticated using form based authentication will automatically authenticate when opening a
// WebSocket connection". Headless chromium opens index.lsp of test/fixtures/apps/ba-auth (a page
// protected by a form authenticator), gets the login page, submits it, is redirected back with
// BAS's session cookie, and the page then opens a WebSocket on ws.lsp (protected by the same
// authenticator): the upgrade request carries the cookie, the server greets the logged-in user.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { request, startTestServer } from '../harness/app-server.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium); skipping the browser test`;

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

test('chromium: form login, then a WebSocket on a form-protected page is authenticated by the session cookie', { skip, timeout: 120_000 }, async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: 'test/fixtures/apps/ba-auth' }]);
  const profile = mkdtempSync(join(tmpdir(), 'remora-chromium-'));
  const browser = spawn(
    CHROMIUM,
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', `--user-data-dir=${profile}`, '--remote-debugging-port=0', 'about:blank'],
    // Its own process group: chromium's helper processes end with it.
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let cdp: Cdp | null = null;
  try {
    // Without the cookie the WebSocket entry page answers the login page, not an upgrade.
    const noCookie = await request(s.port, '/ws.lsp', { headers: { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13' } });
    assert.equal(noCookie.status, 200);
    assert.match(noCookie.body, /name="ba_username"/);
    const devtools = await new Promise<string>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`chromium did not start:\n${err}`)), 30_000);
      browser.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      browser.once('exit', (code) => reject(new Error(`chromium exited with ${code}:\n${err}`)));
    });
    cdp = await Cdp.connect(devtools);
    const { targetId } = (await cdp.send('Target.createTarget', { url: `http://127.0.0.1:${s.port}/index.lsp` })) as { targetId: string };
    const { sessionId } = (await cdp.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    const evaluate = async (expression: string): Promise<string> => {
      const r = (await cdp!.send('Runtime.evaluate', { expression, returnByValue: true }, sessionId)) as { result: { value?: string | null } };
      return r.result.value ?? '';
    };
    const waitFor = async (expression: string, what: string): Promise<string> => {
      const end = Date.now() + 60_000;
      while (Date.now() < end) {
        const v = await evaluate(expression);
        if (v) return v;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`timed out waiting for ${what}\nserver log:\n${s.log.text()}`);
    };
    await waitFor('document.querySelector("form#login") ? "yes" : ""', 'the login form');
    await evaluate(`(() => { const f = document.querySelector("form#login"); f.ba_username.value = "admin"; f.ba_password.value = "admin"; f.submit(); return "sent"; })()`);
    const result = await waitFor('document.getElementById("result") && document.getElementById("result").textContent', 'the WebSocket greeting');
    assert.equal(result, 'ws: hello admin form', `server log:\n${s.log.text()}`);
    assert.doesNotMatch(s.log.text(), /Lua error/);
  } finally {
    cdp?.close();
    const exited = new Promise((r) => (browser.exitCode !== null ? r(null) : browser.once('exit', r)));
    try {
      process.kill(-browser.pid!, 'SIGKILL');
    } catch {
      browser.kill('SIGKILL');
    }
    await exited;
    s.close();
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
});
