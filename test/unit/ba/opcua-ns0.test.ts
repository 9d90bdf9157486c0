// opcua_ns0: the generator against the OPC Foundation nodeset node-opcua-nodesets ships
// (counts, a sample of nodes as the Mako Server's built-in module has them), and the Lua
// module built from it (shape, fresh tables per access, pairs order).
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Attr, encodeNs0, loadNodeSet, parseXml, type Ns0, type Ns0Node } from '../../../src/ba/opcua-nodeset.js';
import { encodingIds, NS0_DATA_FILE } from '../../../src/ba/opcua-ns0.js';
import { Runtime } from '../../../src/app/runtime.js';
import { MemoryLog } from '../../../src/sched/trace-log.js';

const require = createRequire(import.meta.url);
const dir = join(dirname(require.resolve('node-opcua-nodesets/package.json')), 'nodesets');
const xml = readFileSync(join(dir, 'Opc.Ua.NodeSet2.xml'), 'utf8');
const bsd = readFileSync(join(dir, 'Opc.Ua.Types.bsd'), 'utf8');
const ids = require('node-opcua-constants');

let cached: Ns0 | null = null;
const ns0 = (): Ns0 => (cached ??= loadNodeSet(xml, { bsd, ids }));
const node = (id: string): Ns0Node => {
  const n = ns0().nodes.find(([k]) => k === id);
  assert.ok(n, id);
  return n[1];
};

test('the XML reader: attributes, entities, self-closing tags, comments, text', () => {
  const doc = parseXml('<?xml version="1.0"?><!-- c --><a x="1 &amp; 2" y=\'>\'><b/><c>t&lt;u</c><d>  </d></a>');
  const a = doc.children[0]!;
  assert.equal(a.name, 'a');
  assert.deepEqual(a.attrs, { x: '1 & 2', y: '>' });
  assert.deepEqual(a.children.map((c) => [c.name, c.text, c.hasText]), [['b', '', false], ['c', 't<u', true], ['d', '  ', true]]);
  assert.throws(() => parseXml('<a><b></a>'), /mismatched/);
});

test('opcua_ns0 generator: counts of the nodeset plus the services types', () => {
  const { nodes, version } = ns0();
  assert.match(version, /^1\.05\./);
  const byClass = new Map<number, number>();
  for (const [, n] of nodes) byClass.set(n.attrs.get(Attr.NodeClass) as number, (byClass.get(n.attrs.get(Attr.NodeClass) as number) ?? 0) + 1);
  // Every UA* element of the XML is a node (UAView: none in namespace 0).
  const inXml = (tag: string): number => xml.split(`<${tag} `).length - 1;
  const services = (cls: number): number => (byClass.get(cls) ?? 0);
  assert.equal(services(8), inXml('UAObjectType'));
  assert.equal(services(16), inXml('UAVariableType'));
  assert.equal(services(32), inXml('UAReferenceType'));
  assert.equal(services(4), inXml('UAMethod'));
  // DataTypes, Objects (encodings) and Variables (EnumStrings) grow by the services' types.
  assert.ok(services(64) > inXml('UADataType') + 150, `DataTypes ${services(64)}`);
  assert.ok(services(1) > inXml('UAObject') + 400, `Objects ${services(1)}`);
  assert.ok(services(2) > inXml('UAVariable'), `Variables ${services(2)}`);
  // Sorted as C's strcmp sorts (Mako iterates in this order), no duplicates.
  for (let i = 1; i < nodes.length; i++) assert.ok(Buffer.compare(Buffer.from(nodes[i - 1]![0]), Buffer.from(nodes[i]![0])) < 0);
  // Every reference's target is a node, and every reference has its inverse.
  const index = new Map(nodes);
  for (const [id, n] of nodes) {
    for (const r of n.refs) {
      const t = index.get(r.target);
      assert.ok(t, `${id} -> ${r.target}`);
      assert.ok(t.refs.some((x) => x.target === id && x.type === r.type && x.isForward === !r.isForward), `${r.target} <- ${id}`);
    }
  }
});

test('opcua_ns0 generator: sample nodes as Mako has them', () => {
  const root = node('i=84');
  assert.deepEqual([...root.attrs], [[1, 'i=84'], [2, 1], [3, 'Root'], [12, 0], [4, 'Root'], [5, root.attrs.get(5)]].filter(([, v]) => v !== undefined));
  assert.deepEqual(root.refs.slice(0, 4), [
    { target: 'i=61', type: 'i=40', isForward: true },
    { target: 'i=85', type: 'i=35', isForward: true },
    { target: 'i=86', type: 'i=35', isForward: true },
    { target: 'i=87', type: 'i=35', isForward: true },
  ]);
  // A variable: DataType resolved through the aliases, defaults of the stack's loader.
  const status = node('i=2256');
  assert.equal(status.attrs.get(Attr.DataType), 'i=862');
  assert.equal(status.attrs.get(Attr.AccessLevel), 0);
  assert.equal(status.attrs.get(Attr.Historizing), false);
  assert.equal(status.attrs.has(Attr.ValueRank), false);
  // A structure's definition; an enumeration's fields have no DataType.
  assert.deepEqual(node('i=862').definition!.map((f) => [f.name, f.dataType, f.valueRank, f.value]), [
    ['StartTime', 'i=294', -1, -1],
    ['CurrentTime', 'i=294', -1, -1],
    ['State', 'i=852', -1, -1],
    ['BuildInfo', 'i=338', -1, -1],
    ['SecondsTillShutdown', 'i=7', -1, -1],
    ['ShutdownReason', 'i=21', -1, -1],
  ]);
  assert.deepEqual(node('i=256').definition!.map((f) => [f.name, f.dataType, f.value]), [
    ['Numeric', null, 0],
    ['String', null, 1],
    ['Guid', null, 2],
    ['Opaque', null, 3],
  ]);
  assert.deepEqual(node('i=7591').attrs.get(Attr.Value), { type: 21, isArray: true, value: ['Numeric', 'String', 'Guid', 'Opaque'] });
  // Inherited fields come first (StructureField's supertype has none; EnumField's has three).
  assert.deepEqual(node('i=102').definition!.map((f) => f.name), ['Value', 'DisplayName', 'Description', 'Name']);
  // Services types from the binary schema: fields without the NoOf length fields, arrays as ValueRank 1.
  assert.deepEqual(node('i=629').definition!.map((f) => [f.name, f.dataType, f.valueRank]), [
    ['RequestHeader', 'i=389', -1],
    ['MaxAge', 'i=11', -1],
    ['TimestampsToReturn', 'i=625', -1],
    ['NodesToRead', 'i=626', 1],
  ]);
  assert.deepEqual(node('i=629').refs.filter((r) => r.type === 'i=38').map((r) => r.target), ['i=631', 'i=630', 'i=15257']);
  assert.deepEqual([...node('i=631').attrs], [[1, 'i=631'], [2, 1], [3, 'Default Binary'], [12, 0], [4, 'Default Binary']]);
  assert.deepEqual(node('i=631').refs, [
    { target: 'i=629', type: 'i=38', isForward: false },
    { target: 'i=76', type: 'i=40', isForward: true },
  ]);
  // A subtype in the schema repeats its base's fields; the node lists only its own.
  assert.deepEqual(node('i=355').definition!.map((f) => f.name).slice(0, 6), ['SpecifiedAttributes', 'DisplayName', 'Description', 'WriteMask', 'UserWriteMask', 'Value']);
  assert.deepEqual(node('i=7603').attrs.get(Attr.Value), { type: 21, isArray: true, value: ['Forward', 'Inverse', 'Both', 'Invalid'] });
  assert.deepEqual(node('i=510').refs, [
    { target: 'i=7603', type: 'i=46', isForward: true },
    { target: 'i=29', type: 'i=45', isForward: false },
  ]);
});

test('opcua_ns0 generator agrees with node-opcua\'s own reading of the same nodeset', { timeout: 120_000 }, async () => {
  // An independent reader: node-opcua's address space loaded from the same XML.
  const { AddressSpace } = require('node-opcua-address-space');
  const { generateAddressSpace } = require('node-opcua-address-space/nodeJS');
  const { nodesets } = require('node-opcua-nodesets');
  const as = AddressSpace.create();
  try {
    await generateAddressSpace(as, [nodesets.standard]);
    const services = new Set<string>();
    let compared = 0;
    for (const [id, n] of ns0().nodes) {
      const theirs = as.findNode(id);
      if (!theirs) {
        services.add(id); // a services type (or its encoding/EnumStrings) from the binary schema
        continue;
      }
      compared++;
      assert.equal(theirs.nodeClass, n.attrs.get(Attr.NodeClass), id);
      // The stack's loader keeps the XML's BrowseName as written (one name there has a "0:" prefix).
      assert.equal(theirs.browseName.name, String(n.attrs.get(Attr.BrowseName)).replace(/^0:/, ''), id);
      const key = (type: string, target: string, fwd: boolean): string => `${type}|${target}|${fwd}`;
      const ours = new Set(n.refs.map((r) => key(r.type, r.target, r.isForward)));
      for (const r of theirs.allReferences()) {
        const k = key(r.referenceType.toString().replace('ns=0;', ''), r.nodeId.toString().replace('ns=0;', ''), r.isForward);
        assert.ok(ours.has(k), `${id}: node-opcua has ${k}`);
        ours.delete(k);
      }
      // What only we have: the inverse HasTypeDefinition / HasModellingRule references the
      // stack's loader adds to type nodes (Mako has them too), and subtypes from the services.
      for (const k of ours) {
        const [type, target, fwd] = k.split('|');
        assert.ok(fwd === 'false' && (type === 'i=40' || type === 'i=37') || (type === 'i=45' && services.has(target!)) || !as.findNode(target!), `${id}: only we have ${k}`);
      }
    }
    assert.equal(compared, as.getNamespace(0)._nodeid_index.size);
    assert.ok(services.size > 500, `services nodes ${services.size}`);

    // The encoding ids the 0.12 stack reads from each DataType: node-opcua's own view of
    // structures, enumerations and their Default Binary / Default JSON encodings.
    const stored = encodeNs0(ns0()).nodes;
    const index = new Map(stored.map((n, i) => [n[0], i]));
    const enc = encodingIds(stored, index);
    const plain = (x: { toString(): string } | null | undefined): string | undefined => x?.toString().replace(/^ns=0;/, '').replace(/;namespaceUri:.*$/, '');
    let structures = 0;
    let enums = 0;
    stored.forEach((n, i) => {
      const theirs = as.findNode(n[0]);
      if (!theirs || theirs.nodeClass !== 64) return;
      const e = enc.get(i) ?? {};
      if (theirs.isStructure()) {
        structures++;
        assert.equal(e.BaseId, 'i=22', n[0]);
        assert.equal(e.BinaryId, plain(theirs.binaryEncodingNodeId), n[0]);
        assert.equal(e.JsonId, plain(theirs.jsonEncodingNodeId), n[0]);
        if (e.BinaryId) assert.deepEqual(enc.get(index.get(e.BinaryId)!), { BinaryId: e.BinaryId, BaseId: 'i=22', DataTypeId: n[0] });
      } else if (theirs.isEnumeration()) {
        enums++;
        assert.equal(e.BaseId, 'i=29', n[0]);
      } else {
        assert.ok(e.BaseId && e.BaseId !== 'i=22' && e.BaseId !== 'i=29', n[0]);
      }
    });
    assert.ok(structures > 150 && enums > 30, `${structures} structures, ${enums} enumerations`);
  } finally {
    as.dispose();
  }
});

test('the built module holds what the generator makes', () => {
  const built = JSON.parse(readFileSync(NS0_DATA_FILE, 'utf8'));
  assert.deepEqual(built, JSON.parse(JSON.stringify(encodeNs0(ns0()))));
});

test('require"opcua_ns0": Mako\'s shape, one table per node, pairs in id order', async () => {
  const log = new MemoryLog();
  // Building all 6,116 nodes' tables takes a few hundred ms: more than the default CPU budget
  // on a loaded machine.
  const rt = await Runtime.create({ log, onExit: () => {}, config: { cpuBudgetMs: 30_000 } });
  try {
    const err = await rt.run(
      `
      local ns0 = require("opcua_ns0")
      assert(package.loaded.opcua_ns0 == ns0)
      print(type(ns0), (tostring(ns0):gsub(": .*", "")))
      local root = ns0["i=84"]
      print(root.attrs[1], root.attrs[2], root.attrs[3].ns, root.attrs[3].Name, root.attrs[4].Text, root.attrs[12])
      print(#root.refs >= 4, root.refs[1].target, root.refs[1].type, root.refs[1].isForward)
      print(ns0["i=84"] == root, ns0["i=999999"], ns0.nothing)
      print(ns0[84], ns0["i=68"] == ns0["i=68"])
      local st = ns0["i=2256"].attrs
      print(st[14], st[17], st[20], st[15])
      local e = ns0["i=7591"].attrs[13]
      print(e.Type, e.IsArray, e.StatusCode, #e.Value, e.Value[1].Text)
      local d = ns0["i=256"].definition
      print(#d, d[1].Name, d[1].DataType, d[1].Value, d[1].ValueRank)
      local f = ns0["i=862"].definition[1]
      print(f.Name, f.DataType, f.Value, f.ValueRank)
      print(math.type(ns0["i=2255"].attrs[2]), ns0["i=629"].definition[4].Name)
      local n, prev, sorted = 0, "", true
      for k, v in pairs(ns0) do
        n = n + 1
        if k <= prev or v.attrs[1] ~= k then sorted = false end
        prev = k
      end
      print(n, sorted)
      print(pcall(function() ns0[1] = 1 end))
      `,
      '=ns0-test',
    );
    assert.equal(err, null, log.text());
    const count = ns0().nodes.length;
    assert.equal(
      log.text(),
      [
        'userdata\topcua.nodes',
        'i=84\t1\t0\tRoot\tRoot\t0',
        'true\ti=61\ti=40\ttrue',
        'true\tnil\tnil',
        'nil\ttrue',
        'i=862\t0\tfalse\tnil',
        '21\ttrue\t0\t4\tNumeric',
        '4\tNumeric\t(null)\t0\t-1',
        'StartTime\ti=294\t-1\t-1',
        'integer\tNodesToRead',
        `${count}\ttrue`,
        "false\tns0-test:26: bad argument #2 to 'newindex' (string expected, got number)",
        '',
      ].join('\n'),
    );
  } finally {
    rt.dispose();
  }
});

test('require"opcua_ns0": the 0.12 stack\'s shape (Attrs, Refs, encoding ids) and storing nodes', async () => {
  const log = new MemoryLog();
  const rt = await Runtime.create({ log, onExit: () => {}, config: { cpuBudgetMs: 30_000 } });
  try {
    const err = await rt.run(
      `
      local ns0 = require("opcua_ns0")
      local root = ns0["i=84"]
      print(root.Refs == root.refs, root.Attrs ~= root.attrs, root.Attrs[1], root.Attrs[3].Name, root.Attrs[23], root.BaseId)
      local st = ns0["i=862"]   -- ServerStatusDataType and its encodings
      print(st.BaseId, st.BinaryId, st.JsonId, st.DataTypeId, st.Attrs[23][1].Name, st.Attrs[23][1].DataType, st.attrs[23])
      local bin = ns0["i=864"]
      print(bin.BaseId, bin.BinaryId, bin.JsonId, bin.DataTypeId)
      local nc = ns0["i=256"]   -- IdType, an enumeration
      print(nc.BaseId, nc.BinaryId, nc.Attrs[23][2].Name, nc.Attrs[23][2].DataType, nc.Attrs[23][2].Value, nc.definition[2].DataType)
      print(ns0["i=290"].BaseId, ns0["i=26"].BaseId, ns0["i=12"].BaseId, ns0["i=631"].DataTypeId, ns0["i=631"].BinaryId)
      -- Refs leaves out the inverse HasTypeDefinition / HasModellingRule references of hubs
      local pt = ns0["i=68"]
      local hub, other = 0, 0
      for _, r in ipairs(pt.refs) do
        if not r.isForward and (r.type == "i=40" or r.type == "i=37") then hub = hub + 1 end
      end
      for _, r in ipairs(pt.Refs) do
        if not r.isForward and (r.type == "i=40" or r.type == "i=37") then other = other + 1 end
      end
      print(pt.Refs ~= pt.refs, hub > 2000, other, #pt.Refs == #pt.refs - hub, pt.Refs[1] == pt.refs[1])
      -- storing: a new id comes after the standard nodes in pairs; a standard id is replaced
      local mine = {Attrs = {[1] = "ns=1;i=5"}, Refs = {}}
      ns0["ns=1;i=5"] = mine
      local other = {Attrs = {[1] = "i=85"}, Refs = {}}
      ns0["i=85"] = other
      print(ns0["ns=1;i=5"] == mine, ns0["i=85"] == other)
      local last, n85
      for k, v in pairs(ns0) do last = k if k == "i=85" then n85 = v end end
      print(last, n85 == other)
      ns0["i=85"] = nil
      ns0["ns=1;i=5"] = nil
      print(ns0["i=85"].attrs[3].Name, ns0["ns=1;i=5"])
      local seen = false
      for k in pairs(ns0) do if k == "ns=1;i=5" then seen = true end end
      print(seen)
      `,
      '=ns0-test',
    );
    assert.equal(err, null, log.text());
    assert.equal(
      log.text(),
      [
        'true\ttrue\ti=84\tRoot\tnil\tnil',
        'i=22\ti=864\ti=15367\ti=862\tStartTime\ti=294\tnil',
        'i=22\ti=864\tnil\ti=862',
        'i=29\tnil\tString\ti=24\t1\t(null)',
        'i=11\ti=24\ti=12\ti=629\ti=631',
        'true\ttrue\t0\ttrue\ttrue',
        'true\ttrue',
        'ns=1;i=5\ttrue',
        'Objects\tnil',
        'false',
        '',
      ].join('\n'),
    );
  } finally {
    rt.dispose();
  }
});
