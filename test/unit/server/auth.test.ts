import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { matchRule, parseAuthConfig, UserDb, AuthConfigError } from '../../../src/server/auth.js';

test('UserDb: plain and sha256 passwords, unknown users, no plain text kept', () => {
  const db = new UserDb();
  db.add('a', 'secret');
  db.add('b', 'sha256:' + createHash('sha256').update('pw').digest('hex'));
  assert.equal(db.verify('a', 'secret'), true);
  assert.equal(db.verify('a', 'Secret'), false);
  assert.equal(db.verify('b', 'pw'), true);
  assert.equal(db.verify('b', 'sha256:' + createHash('sha256').update('pw').digest('hex')), false);
  assert.equal(db.verify('nobody', 'secret'), false);
  assert.doesNotMatch(JSON.stringify([...(db as unknown as { digests: Map<string, Buffer> }).digests.entries()]), /secret/);
});

test('parseAuthConfig: rules by path and app, most specific first; passwords removed from the raw table', () => {
  const raw: Record<string, unknown> = {
    users: { admin: 'secret' },
    auth: { '1': { path: '/a/', type: 'basic' }, '2': { app: 'chat', type: 'form', users: { '1': 'admin' } }, '3': { path: '/a/b/c' } },
  };
  const cfg = parseAuthConfig(raw);
  assert.deepEqual(raw.users, { admin: '<hidden>' });
  assert.deepEqual(cfg.rules.map((r) => r.prefix), ['/chat/', '/a/b/c', '/a/']);
  assert.equal(matchRule(cfg.rules, '/a/x')?.prefix, '/a/');
  assert.equal(matchRule(cfg.rules, '/a')?.prefix, '/a/');
  assert.equal(matchRule(cfg.rules, '/ab'), null);
  assert.equal(matchRule(cfg.rules, '/a/b/c/d')?.prefix, '/a/b/c');
  assert.equal(matchRule(cfg.rules, '/a/b/cd')?.prefix, '/a/');
  assert.equal(matchRule(cfg.rules, '/chat/ws.lsp')?.type, 'form');
  assert.throws(() => parseAuthConfig({ auth: { '1': { type: 'basic' } } }), AuthConfigError);
  assert.throws(() => parseAuthConfig({ auth: { '1': { path: '/', type: 'ntlm' } } }), AuthConfigError);
  // Digest rules keep the HA1 of each plain password for their realm.
  const d = parseAuthConfig({ users: { admin: 'secret' }, auth: { '1': { path: '/', type: 'digest', realm: 'R' } } });
  assert.equal(d.users.ha1('admin', 'R'), createHash('md5').update('admin:R:secret').digest('hex'));
});
