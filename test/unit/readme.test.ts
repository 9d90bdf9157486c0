// The README is the newcomer's index: it links every API page and every top-level doc, and names
// every npm script. A page or script added without a README line fails here.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';

const readme = readFileSync('README.md', 'utf8');

test('the README links every page in docs/api/ and docs/', () => {
  const pages = [
    ...readdirSync('docs/api').filter((f) => f.endsWith('.md')).map((f) => `docs/api/${f}`),
    ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
  ];
  const missing = pages.filter((p) => !readme.includes(`](${p})`));
  assert.deepEqual(missing, [], `add a link to these pages in README.md: ${missing.join(', ')}`);
});

test('the README names every npm script', () => {
  const scripts = Object.keys(JSON.parse(readFileSync('package.json', 'utf8')).scripts as Record<string, string>);
  // prepare runs by itself (npm ci, npm install); the README need not show it.
  const missing = scripts.filter((s) => s !== 'prepare' && !readme.includes(`npm run ${s}`) && !readme.includes(`npm ${s}`));
  assert.deepEqual(missing, [], `describe these npm scripts in README.md: ${missing.join(', ')}`);
});
