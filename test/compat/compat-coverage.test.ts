/**
 * Every Lua function remora registers (test/compat/enumerate.lua lists them) must be called
 * by some compat probe, or be on the commented exclusion list test/compat/exclusions.txt.
 * A new function therefore needs a probe recorded from Mako (or a reason not to have one).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PROBES_DIR } from './probe-runner.js';

/** The Lua text of every probe, one string per probe. */
function probeSources(): string[] {
  const texts: string[] = [];
  const walk = (dir: string, acc: string[]): string[] => {
    for (const n of readdirSync(dir)) {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) walk(p, acc);
      else if (n === '.preload' || /\.(lsp|lua|mjs)$/.test(n)) acc.push(readFileSync(p, 'utf8'));
    }
    return acc;
  };
  for (const d of readdirSync(PROBES_DIR)) {
    const p = join(PROBES_DIR, d);
    if (statSync(p).isDirectory()) texts.push(walk(p, []).join('\n'));
  }
  return texts;
}

/** name -> reason, from exclusions.txt ("name   # reason"; a reason is required). */
export function readExclusions(): Map<string, string> {
  const m = new Map<string, string>();
  for (const raw of readFileSync('test/compat/exclusions.txt', 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [name, ...rest] = line.split('#');
    m.set(name!.trim(), rest.join('#').trim());
  }
  return m;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Does some probe call `name`? */
function covered(name: string, sources: string[]): boolean {
  const method = /^(\w+):(\w+)$/.exec(name);
  if (method) {
    const [, kind, m] = method;
    const call = new RegExp(`[:.]${escape(m!)}\\s*[(,"{]`);
    // UDP methods count only in probes that make UDP sockets.
    return sources.some((s) => call.test(s) && (kind !== 'udp' || s.includes('udpcon')));
  }
  if (name.includes('.')) return sources.some((s) => s.includes(name));
  return sources.some((s) => new RegExp(`\\b${escape(name)}\\s*[("{]`).test(s));
}

test('every registered Lua function is probed or excluded with a reason', () => {
  const r = spawnSync(process.execPath, ['dist/src/cli/main.js', 'test/compat/enumerate.lua'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const names = r.stdout.split('\n').filter(Boolean);
  assert.ok(names.includes('ba.socket.bind') && names.includes('sock:read'), 'enumerate.lua lists the socket library');
  const excluded = readExclusions();
  for (const [n, why] of excluded) assert.ok(why, `exclusions.txt: ${n} has no reason`);
  const sources = probeSources();
  const missing = names.filter((n) => !excluded.has(n) && !covered(n, sources));
  assert.deepEqual(missing, [], `functions in no compat probe and not in test/compat/exclusions.txt:\n${missing.join('\n')}`);
  const stale = [...excluded.keys()].filter((n) => !names.includes(n));
  assert.deepEqual(stale, [], `exclusions.txt names functions remora does not register:\n${stale.join('\n')}`);
});
