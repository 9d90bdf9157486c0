// The command line as Mako reads it: every word is in mako.argv, and words after the options
// are arguments for the apps, not a script (`remora -l::www digest` as the authentication
// example is started on Mako).
import test from 'node:test';
import assert from 'node:assert/strict';
import { request } from '../harness/app-server.js';
import { startCli } from '../harness/net-util.js';

test('remora -p 0 --no-https -l::app digest form: the app runs and mako.argv holds every word', async () => {
  const args = ['-p', '0', '--no-https', '-l::test/fixtures/apps/argv', 'digest', 'form'];
  const p = await startCli(args);
  try {
    const r = await request(p.port, '/');
    assert.equal(r.status, 200);
    assert.equal(r.body, args.join('|') + '\n');
  } finally {
    p.child.kill('SIGKILL');
  }
});
