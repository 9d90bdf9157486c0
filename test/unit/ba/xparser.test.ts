// xparser: what the compat probe (recorded on Mako) cannot show: documents split at every
// byte, handler errors, re-entry, TERM on collection, and a large real document (the OPC
// Foundation's nodeset) parsed in 4 KB chunks as the OPC UA stack's XML loader feeds it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Runtime } from '../../../src/app/runtime.js';
import { MemoryLog } from '../../../src/sched/trace-log.js';

const require = createRequire(import.meta.url);

async function run(lua: string): Promise<string> {
  const log = new MemoryLog();
  const rt = await Runtime.create({ log, onExit: () => {}, config: { cpuBudgetMs: 60_000 } });
  try {
    const err = await rt.run(lua, '=xparser-test');
    assert.equal(err, null, log.text());
    return log.text();
  } finally {
    rt.dispose();
  }
}

const EVENTS = `
local function handlers(log)
  local h = {}
  for _, ev in ipairs{"XML", "START_ELEMENT", "END_ELEMENT", "EMPTY_ELEMENT", "PI", "COMMENT", "CDATA", "TEXT"} do
    h[ev] = function(ctx, a, b)
      if type(a) == "table" then a, b = "", a end
      local s = ev .. "|" .. tostring(a)
      if type(b) == "table" then for _, k in ipairs(b) do s = s .. "|" .. k .. "=" .. b[k] end
      elseif b then s = s .. "|" .. b end
      log[#log + 1] = s
    end
  end
  return h
end
`;

test('a document split at any byte gives the same events as in one piece', async () => {
  const out = await run(`${EVENTS}
    local doc = '<?xml version="1.0"?>\\n<!DOCTYPE r [<!ENTITY x "y">]><r a="1 &amp; 2" b=\\'&#233;\\'>\\r\\n t&lt;e&#x20AC;xt <e/><!-- c --><?p d?><![CDATA[<x>]]>\\n<n k="v">last</n></r>\\n'
    local whole = {}
    local p = xparser.create(handlers(whole), nil, nil)
    assert(p:parse(doc))
    local same = 0
    for cut = 1, #doc - 1 do
      for _, size in ipairs{1, 3} do
        local log = {}
        local q = xparser.create(handlers(log), nil, nil)
        local ok, done = q:parse(doc:sub(1, cut))
        assert(ok, done)
        for i = cut + 1, #doc, size do
          ok, done = q:parse(doc:sub(i, i + size - 1))
          assert(ok, done)
        end
        assert(done == true and q:count() == #doc and q:line() == p:line() and q:col() == p:col(), cut)
        assert(table.concat(log, "\\n") == table.concat(whole, "\\n"), cut .. ": " .. table.concat(log, "\\n"))
        same = same + 1
      end
    end
    print(same == 2 * (#doc - 1), #whole)
    print(table.concat(whole, "\\n"))
  `);
  const [first, ...events] = out.trim().split('\n');
  assert.equal(first, `true\t${events.length - 2}`);
  assert.deepEqual(events, [
    'XML||version=1.0', 'START_ELEMENT|r|a=1 & 2|b=é', 'TEXT|', ' t<e€xt ', 'EMPTY_ELEMENT|e', 'COMMENT| c ',
    'PI|p|d', 'CDATA|<x>', 'TEXT|', '', 'START_ELEMENT|n|k=v', 'TEXT|last', 'END_ELEMENT|n', 'END_ELEMENT|r',
  ]);
});

test('handler errors, parsing from inside a handler, TERM once per parser', async () => {
  const out = await run(`
    local p = xparser.create({START_ELEMENT = function(ctx, name) if name == "bad" then error("boom") end end}, nil, nil)
    print(p:parse("<a><bad/><bad></bad></a>"))
    print(p:parse("<c/>"))
    p:reset()
    print(p:parse("<c/>"))
    local q
    q = xparser.create({START_ELEMENT = function() print("inner", q:parse("<x/>")) end}, nil, nil)
    print(q:parse("<a></a>"))
    local terms = 0
    for i = 1, 300 do
      local x = xparser.create({TERM = function() terms = terms + 1 end})
      if i % 3 == 0 then x:destroy() end
      if i % 5 == 0 then x:destroy() end
    end
    collectgarbage()
    collectgarbage()
    print("TERM", terms)
    local live = xparser.create({TERM = function() print("live TERM") end})
    for i = 1, 50 do xparser.create() end
    collectgarbage()
    print("live", live:parse("<ok/>"))
    local t = xparser.create({}, nil, nil)
    print("text-only chunk", t:parse("<a>"), t:parse("x"), t:parse("</a>"))
  `);
  assert.equal(
    out,
    [
      "nil\tLua error 'xparser-test:2: boom' handling START_ELEMENT",
      'nil\tError (line=1 col=15) : error flag set : reset required',
      'true\ttrue',
      'inner\tnil\tError (line=1 col=4) : Call from within event handler',
      'true\ttrue',
      'TERM\t300',
      'live\ttrue\ttrue',
      'text-only chunk\ttrue\ttrue\ttrue\ttrue',
      '',
    ].join('\n'),
  );
});

test('the OPC Foundation nodeset in 4 KB chunks: every element, as a regular expression counts them', async () => {
  const file = join(dirname(require.resolve('node-opcua-nodesets/package.json')), 'nodesets', 'Opc.Ua.NodeSet2.xml');
  const xml = readFileSync(file, 'utf8');
  const count = (re: RegExp): number => (xml.match(re) ?? []).length;
  const out = await run(`
    local f = assert(io.open(${JSON.stringify(file)}, "rb"))
    local n = {}
    local function inc(k) n[k] = (n[k] or 0) + 1 end
    local p = xparser.create({
      START_ELEMENT = function(ctx, name) inc(name) end,
      EMPTY_ELEMENT = function(ctx, name) inc(name) end,
    }, nil, "SKIPBLANK")
    local ok, done
    while true do
      local chunk = f:read(4096)
      if not chunk then break end
      ok, done = p:parse(chunk)
      assert(ok, done)
    end
    f:close()
    print(done, p:depth(), n.UAVariable, n.UAObject, n.UADataType, n.Reference, n.Field)
  `);
  assert.equal(
    out,
    ['true', '0', count(/<UAVariable[\s>]/g), count(/<UAObject[\s>]/g), count(/<UADataType[\s>]/g), count(/<Reference[\s>]/g), count(/<Field[\s>/]/g)].join('\t') + '\n',
  );
});
