// A real browser loads an LSP page (issue 5 checks): headless chromium --dump-dom.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../harness/app-server.js';
import { CHROMIUM, chromiumSkip as skip } from '../harness/chromium.js';

test('headless chromium renders an LSP page', { skip }, async () => {
  const s = await startTestServer([{ name: '', prio: 0, path: 'test/fixtures/apps/basic' }]);
  const profile = mkdtempSync(join(tmpdir(), 'remora-chromium-'));
  try {
    const dom = await new Promise<string>((resolve, reject) => {
      execFile(
        CHROMIUM,
        ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', `--user-data-dir=${profile}`, '--dump-dom', `http://127.0.0.1:${s.port}/req.lsp?q=browser`],
        { timeout: 60_000 },
        (e, out, err) => (e ? reject(new Error(`${e.message}\n${err}`)) : resolve(out)),
      );
    });
    assert.match(dom, /method\tGET/);
    assert.match(dom, /q\tbrowser/);
    assert.match(dom, /User-Agent|header table\ttable/);
  } finally {
    s.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
