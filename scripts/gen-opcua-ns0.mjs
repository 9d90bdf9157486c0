// Generates the data of the Lua module `opcua_ns0` (OPC UA namespace 0) from the OPC
// Foundation's Opc.Ua.NodeSet2.xml and Opc.Ua.Types.bsd, shipped by the npm package
// node-opcua-nodesets, with the node ids of NodeIds.csv from node-opcua-constants (both
// devDependencies): dist/src/ba/opcua-ns0.json, read by dist/src/ba/opcua-ns0.js on first use.
// Runs after tsc (it uses the compiled reader, dist/src/ba/opcua-nodeset.js).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const out = 'dist/src/ba/opcua-ns0.json';
const require = createRequire(import.meta.url);
let dir, ids;
try {
  dir = join(dirname(require.resolve('node-opcua-nodesets/package.json')), 'nodesets');
  ids = require('node-opcua-constants');
} catch (e) {
  if (existsSync(out)) process.exit(0);
  console.error(`gen-opcua-ns0: ${e.message.split('\n')[0]} (npm install); require"opcua_ns0" will not work`);
  process.exit(0);
}
const { loadNodeSet, encodeNs0 } = await import('../dist/src/ba/opcua-nodeset.js');
const ns = loadNodeSet(readFileSync(join(dir, 'Opc.Ua.NodeSet2.xml'), 'utf8'), {
  bsd: readFileSync(join(dir, 'Opc.Ua.Types.bsd'), 'utf8'),
  ids,
});
writeFileSync(out, JSON.stringify(encodeNs0(ns)));
