// The real `remora` command serving HTTP (node dist/src/cli/main.js): -p, mako.port, onunload
// and sysshutdown on SIGTERM, os.exit(3) from a page.
import test from 'node:test';
import assert from 'node:assert/strict';
import { request } from '../harness/app-server.js';
import { startCli } from '../harness/net-util.js';


test('remora -p 0 -l::app serves pages; SIGTERM runs onunload, then accept gets sysshutdown, exit 0', async () => {
  const p = await startCli(['-p', '0', '-l::test/fixtures/apps/lifecycle']);
  try {
    const r = await request(p.port, '/');
    assert.equal(r.body, `port\t${p.port}\ttrue\n`);
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
    assert.match(p.out(), /onunload lifecycle\n[^]*accept returned\tnil\tsysshutdown\n/);
  } finally {
    p.child.kill('SIGKILL');
  }
});

test('os.exit(3) in a page runs onunload and exits with status 3', async () => {
  const p = await startCli(['-p', '0', '-l', '::test/fixtures/apps/lifecycle']);
  try {
    await request(p.port, '/exit.lsp').catch(() => null);
    assert.equal(await p.exited, 3);
    assert.match(p.out(), /exiting with 3\n[^]*onunload lifecycle\n/);
  } finally {
    p.child.kill('SIGKILL');
  }
});

test('two apps at once: -lname::dir serves dir/index.lsp at /name/index.lsp', async () => {
  const p = await startCli(['-p', '0', '-l::test/fixtures/apps/basic', '-lsecond::test/fixtures/apps/second']);
  try {
    assert.equal((await request(p.port, '/second/index.lsp')).body, 'second app\tindex.lsp\n');
    assert.equal((await request(p.port, '/index.lsp')).body, 'A42B\n');
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
    assert.match(p.out(), /onunload basic/);
  } finally {
    p.child.kill('SIGKILL');
  }
});
