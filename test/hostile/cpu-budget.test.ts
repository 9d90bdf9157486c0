// Issue 14 item 5 (part): the CPU budget also holds inside ba.json.decode (the count hook
// does not run inside host functions); pcall does not save the runaway.
import test from 'node:test';
import assert from 'node:assert/strict';
import { get, startServer, until, whileProbing } from './harness.js';

test('ba.json.decode of a huge array stops at the CPU budget, even under pcall; the server goes on', async () => {
  const page = `<?lsp
local s = "[" .. string.rep("1,", 3000000) .. "1]"
local ok, err = pcall(ba.json.decode, s)
trace("decode:", ok, err)
while true do end
?>`;
  const srv = await startServer({ 'huge.lsp': page }, 'cpubudget = 300');
  try {
    await whileProbing(srv.port, async () => {
      const r = await get(srv.port, '/huge.lsp');
      assert.equal(r.status, 500);
    });
    assert.ok(await until(() => /decode:\tfalse\tCPU budget exceeded/.test(srv.out()), 5000), srv.out());
    assert.match(srv.out(), /Lua error in LSP page: .*CPU budget exceeded/);
  } finally {
    await srv.stop();
  }
});
