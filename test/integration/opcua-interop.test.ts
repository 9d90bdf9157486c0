// RealTimeLogic's Lua OPC UA stack, unmodified, on remora against node-opcua (both directions,
// security policies None and Basic256Sha256 SignAndEncrypt; certificates made with openssl).
// Session, browse, read, write with every stack version; method calls (both directions) and
// the server's answer to a subscription with the stack's version 0.12 and later.
// The stack is not part of this repository: the tests run only when REMORA_OPCUA_SRC names a
// BAS-Resources checkout's src folder (the one holding opcua/api.lua), e.g.
//   REMORA_OPCUA_SRC=/opt/BAS-Resources/src node scripts/run-tests.mjs opcua-interop
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { freePort, startCliEnv } from '../harness/net-util.js';
import { tempDir } from '../harness/temp-dir.js';

const SRC = process.env.REMORA_OPCUA_SRC ?? '';
const skip = SRC && existsSync(join(SRC, 'opcua', 'api.lua')) ? false : 'set REMORA_OPCUA_SRC to BAS-Resources/src to run';
const require = createRequire(import.meta.url);
const CLI = resolve('dist/src/cli/main.js');
// core/.lua: the stack (0.12 and later) requires xml2table, a module of Mako's mako.zip.
const env = { LUA_PATH: `${SRC}/?.lua;${SRC}/core/.lua/?.lua;;` };

/** The stack's version (opcua/version.lua), e.g. [0, 12, 1]. */
function stackVersion(): number[] {
  const m = /Version\s*=\s*"(\d+)\.(\d+)\.(\d+)"/.exec(readFileSync(join(SRC, 'opcua', 'version.lua'), 'utf8'));
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
}
/** Methods (server:model:edit(), client:call) came with the stack's version 0.12. */
const skip12 = skip || (stackVersion()[0] === 0 && stackVersion()[1] < 12 ? `the stack in REMORA_OPCUA_SRC is ${stackVersion().join('.')}; methods need 0.12 or later` : false);

/** The stack parses the certificate node-opcua's client sends (ba.parsecert). */
function hasParsecert(): boolean {
  const d = tempDir('remora-ua-');
  writeFileSync(join(d, 'p.lua'), 'print(type(ba.parsecert))');
  return spawnSync(process.execPath, [CLI, join(d, 'p.lua')], { encoding: 'utf8' }).stdout.trim() === 'function';
}

const SERVER = (port: number): string => `
local ua = require("opcua.api")
local server = ua.newServer{
  applicationName = "remora test server", applicationUri = "urn:remora:test:server", productUri = "urn:remora:test:server",
  endpoints = {{ endpointUrl = "opc.tcp://127.0.0.1:${port}" }},
  securePolicies = {{ securityPolicyUri = ua.SecurityPolicy.None }},
}
server:initialize()
server:addNodes{NodesToAdd = {
  ua.newFolderParams("i=85", "Demo", "ns=1;i=1000"),
  ua.newVariableParams("ns=1;i=1000", "Setpoint", {Type = ua.VariantType.Double, Value = 21.5}, "ns=1;i=1001"),
  ua.newVariableParams("ns=1;i=1000", "Label", {Type = ua.VariantType.String, Value = "hello"}, "ns=1;i=1002"),
}}
server:run()
print("UA SERVER READY")
function onunload() server:shutdown() end
`;

/**
 * Runs `preload` as the app of a remora server (the stack's server), connects a node-opcua
 * client to it on `port` (Basic256Sha256 SignAndEncrypt when `secure`), runs `use` on a
 * session, then closes the session, the client and the server.
 */
async function withStackServer(
  d: string,
  port: number,
  preload: string,
  secure: boolean,
  use: (session: any, srv: Awaited<ReturnType<typeof startCliEnv>>) => Promise<void>,
): Promise<void> {
  const { OPCUAClient, MessageSecurityMode, SecurityPolicy } = require('node-opcua');
  mkdirSync(join(d, 'app'), { recursive: true });
  writeFileSync(join(d, 'app', '.preload'), preload);
  writeFileSync(join(d, 'ua.conf'), 'port = 0\nsslport = 0\ncpubudget = 20000\n');
  const srv = await startCliEnv(['-c', join(d, 'ua.conf'), '-l', `::${join(d, 'app')}`], env);
  try {
    for (let i = 0; i < 600 && !srv.out().includes('UA SERVER READY'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(srv.out(), /UA SERVER READY/);
    const client = OPCUAClient.create({
      endpointMustExist: false, connectionStrategy: { maxRetry: 0 },
      ...(secure ? { securityMode: MessageSecurityMode.SignAndEncrypt, securityPolicy: SecurityPolicy.Basic256Sha256 } : {}),
    });
    await client.connect(`opc.tcp://127.0.0.1:${port}`);
    try {
      const session = await client.createSession();
      await use(session, srv);
      await session.close();
    } finally {
      await client.disconnect();
    }
  } finally {
    srv.child.kill('SIGTERM');
    await srv.exited;
  }
}

test('node-opcua client against the stack\'s server on remora: session, browse, read, write', { skip, timeout: 120_000 }, async (t) => {
  if (!hasParsecert()) return t.skip('ba.parsecert is not available');
  const { AttributeIds, DataType } = require('node-opcua');
  const d = tempDir('remora-ua-');
  const port = await freePort();
  await withStackServer(d, port, SERVER(port), false, async (session) => {
    const objects = await session.browse('ns=0;i=85');
    assert.ok(objects.references.some((r: { browseName: { name: string } }) => r.browseName.name === 'Demo'));
    const demo = await session.browse('ns=1;i=1000');
    assert.deepEqual(demo.references.map((r: { browseName: { name: string } }) => r.browseName.name), ['Setpoint', 'Label']);
    const [sp, label, ns] = await session.read([
      { nodeId: 'ns=1;i=1001', attributeId: AttributeIds.Value },
      { nodeId: 'ns=1;i=1002', attributeId: AttributeIds.Value },
      { nodeId: 'ns=0;i=2255', attributeId: AttributeIds.Value },
    ]);
    assert.equal(sp.value.value, 21.5);
    assert.equal(label.value.value, 'hello');
    assert.deepEqual(ns.value.value, ['http://opcfoundation.org/UA/', 'urn:remora:test:server']);
    const st = await session.write({ nodeId: 'ns=1;i=1001', attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Double, value: 42.25 } } });
    assert.equal(st.name, 'Good');
    assert.equal((await session.read({ nodeId: 'ns=1;i=1001', attributeId: AttributeIds.Value })).value.value, 42.25);
  });
});

test('the stack\'s client on remora against a node-opcua server: session, browse, read, write', { skip, timeout: 120_000 }, async () => {
  const { OPCUAServer, Variant, DataType, StatusCodes } = require('node-opcua');
  const port = await freePort();
  const server = new OPCUAServer({ port, hostname: '127.0.0.1', allowAnonymous: true });
  await server.initialize();
  const ns = server.engine.addressSpace.getOwnNamespace();
  const plant = ns.addFolder(server.engine.addressSpace.rootFolder.objects, { browseName: 'Plant', nodeId: 's=Plant' });
  let temp = 21.5;
  ns.addVariable({
    componentOf: plant, browseName: 'Temperature', nodeId: 's=Temperature', dataType: 'Double', minimumSamplingInterval: 100,
    value: { get: () => new Variant({ dataType: DataType.Double, value: temp }), set: (v: { value: number }) => ((temp = v.value), StatusCodes.Good) },
  });
  await server.start();
  try {
    const d = tempDir('remora-ua-');
    writeFileSync(join(d, 'ua.conf'), 'cpubudget = 20000\n');
    writeFileSync(
      join(d, 'client.lua'),
      `
local ua = require("opcua.api")
local client = ua.newClient{ applicationName = "remora test client", applicationUri = "urn:remora:test:client",
  productUri = "urn:remora:test:client", securePolicies = {{ securityPolicyUri = ua.SecurityPolicy.None }} }
assert(client:connect("opc.tcp://127.0.0.1:${port}") == nil)
assert(client:openSecureChannel(60000, ua.SecurityPolicy.None, ua.MessageSecurityMode.None))
assert(client:createSession("remora-test", 600000))
assert(client:activateSession())
local resp = assert(client:browse("ns=1;s=Plant"))
print("browse", resp.Results[1].References[1].BrowseName.Name)
resp = assert(client:read{NodesToRead = {{NodeId = "ns=1;s=Temperature", AttributeId = ua.AttributeId.Value}}})
print("read", resp.Results[1].Value)
resp = assert(client:write{NodesToWrite = {{NodeId = "ns=1;s=Temperature", AttributeId = ua.AttributeId.Value,
  Value = {Type = ua.VariantType.Double, Value = 30.25, StatusCode = 0}}}})
print("write", resp.Results[1])
client:closeSession()
client:disconnect()
`,
    );
    const { stdout, stderr, status } = await runClient(d);
    assert.equal(stdout, 'browse\tTemperature\nread\t21.5\nwrite\t0\n', stderr);
    assert.equal(status, 0, stderr);
    assert.equal(temp, 30.25);
  } finally {
    await server.shutdown(0);
  }
});

/** The environment without OPENSSL_CONF (node-opcua's certificate code sets it in this process). */
/**
 * Runs `client.lua` in `d` as a one-shot remora script (the node-opcua peer runs in this
 * process, so the client must not block it) and collects its output; killed after 60 s.
 */
async function runClient(d: string): Promise<{ stdout: string; stderr: string; out: string; status: number | null }> {
  const child = spawn(process.execPath, [CLI, '-c', join(d, 'ua.conf'), join(d, 'client.lua')], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  let out = '';
  child.stdout.on('data', (b: Buffer) => ((stdout += b.toString()), (out += b.toString())));
  child.stderr.on('data', (b: Buffer) => ((stderr += b.toString()), (out += b.toString())));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const status = await new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  clearTimeout(timer);
  return { stdout, stderr, out, status };
}

function opensslEnv(): NodeJS.ProcessEnv {
  const e = { ...process.env };
  delete e.OPENSSL_CONF;
  return e;
}

/** A self-signed OPC UA application certificate (RSA 2048, SHA-256, the URI in subjectAltName). */
function makeCert(dir: string, name: string, uri: string): { pem: string; key: string } {
  const pem = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  const r = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', pem, '-days', '30', '-sha256',
    '-subj', `/CN=${name}`, '-addext', `subjectAltName=URI:${uri},DNS:localhost,IP:127.0.0.1`,
    '-addext', 'keyUsage=critical,digitalSignature,nonRepudiation,keyEncipherment,dataEncipherment',
    '-addext', 'extendedKeyUsage=serverAuth,clientAuth', '-addext', 'basicConstraints=critical,CA:FALSE',
  ], { encoding: 'utf8', env: opensslEnv() });
  assert.equal(r.status, 0, r.stderr);
  return { pem, key };
}

test('Basic256Sha256 SignAndEncrypt: node-opcua client against the stack\'s server on remora', { skip, timeout: 120_000 }, async () => {
  const { AttributeIds } = require('node-opcua');
  const d = tempDir('remora-ua-');
  const cert = makeCert(d, 'server', 'urn:remora:test:server');
  const port = await freePort();
  await withStackServer(
    d,
    port,
    SERVER(port).replace(
      'securePolicies = {{ securityPolicyUri = ua.SecurityPolicy.None }},',
      `securePolicies = {{ securityPolicyUri = ua.SecurityPolicy.None },
        { securityPolicyUri = ua.SecurityPolicy.Basic256Sha256, securityMode = { ua.MessageSecurityMode.SignAndEncrypt },
          certificate = [[${readFileSync(cert.pem, 'utf8')}]], key = [[${readFileSync(cert.key, 'utf8')}]] }},`,
    ),
    true,
    async (session) => {
      const demo = await session.browse('ns=1;i=1000');
      assert.deepEqual(demo.references.map((r: { browseName: { name: string } }) => r.browseName.name), ['Setpoint', 'Label']);
      assert.equal((await session.read({ nodeId: 'ns=1;i=1002', attributeId: AttributeIds.Value })).value.value, 'hello');
    },
  );
});

test('Basic256Sha256 SignAndEncrypt: the stack\'s client on remora against a node-opcua server', { skip, timeout: 120_000 }, async () => {
  const { OPCUAServer, DataType, SecurityPolicy, MessageSecurityMode } = require('node-opcua');
  const d = tempDir('remora-ua-');
  const cert = makeCert(d, 'client', 'urn:remora:test:client');
  const port = await freePort();
  const server = new OPCUAServer({
    port, hostname: '127.0.0.1', allowAnonymous: true,
    securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
    securityModes: [MessageSecurityMode.None, MessageSecurityMode.SignAndEncrypt],
  });
  await server.initialize();
  const ns = server.engine.addressSpace.getOwnNamespace();
  ns.addVariable({ organizedBy: server.engine.addressSpace.rootFolder.objects, browseName: 'Name', nodeId: 's=Name', dataType: 'Double', value: { dataType: DataType.Double, value: 7.5 } });
  await server.start();
  try {
    writeFileSync(join(d, 'ua.conf'), 'cpubudget = 20000\n');
    writeFileSync(
      join(d, 'client.lua'),
      `
local ua = require("opcua.api")
local url = "opc.tcp://127.0.0.1:${port}"
local client = ua.newClient{ applicationName = "remora test client", applicationUri = "urn:remora:test:client",
  productUri = "urn:remora:test:client",
  certificate = [[${readFileSync(cert.pem, 'utf8')}]], key = [[${readFileSync(cert.key, 'utf8')}]],
  securePolicies = {{ securityPolicyUri = ua.SecurityPolicy.None },
    { securityPolicyUri = ua.SecurityPolicy.Basic256Sha256, securityMode = ua.MessageSecurityMode.SignAndEncrypt }} }
assert(client:connect(url) == nil)
assert(client:openSecureChannel(60000, ua.SecurityPolicy.None, ua.MessageSecurityMode.None))
local resp = assert(client:getEndpoints())
client:closeSecureChannel()
client:disconnect()            -- node-opcua closes the connection after CloseSecureChannel
assert(client:connect(url) == nil)
local ep
for _, e in ipairs(resp.Endpoints) do
  if e.SecurityPolicyUri == ua.SecurityPolicy.Basic256Sha256 and e.SecurityMode == ua.MessageSecurityMode.SignAndEncrypt then ep = e end
end
assert(client:openSecureChannel(60000, ua.SecurityPolicy.Basic256Sha256, ua.MessageSecurityMode.SignAndEncrypt, ep.ServerCertificate))
assert(client:createSession("remora-test", 600000))
assert(client:activateSession())
resp = assert(client:read{NodesToRead = {{NodeId = "ns=1;s=Name", AttributeId = ua.AttributeId.Value}}})
print("read", resp.Results[1].Value)
client:closeSession()
client:disconnect()
`,
    );
    const { out, status } = await runClient(d);
    assert.equal(out, 'read\t7.5\n');
    assert.equal(status, 0, out);
  } finally {
    await server.shutdown(0);
  }
});

// ---- the stack's version 0.12: address space editing, methods ----

/** A server with a variable and an object with a method ScaleValue(Value, Factor) = Value * Factor. */
const SERVER12 = (port: number, policies: string): string => `
local ua = require("opcua.api")
local server = ua.newServer{
  applicationName = "remora test server", applicationUri = "urn:remora:test:server", productUri = "urn:remora:test:server",
  endpoints = {{ endpointUrl = "opc.tcp://127.0.0.1:${port}" }},
  securePolicies = ${policies},
}
server:initialize()
local editor = server.model:edit()
local plant = editor:objectsFolder():addFolder("Plant", "ns=1;i=1000")
plant:addVariable("Temperature", {Type = ua.VariantType.Double, Value = 21.5}, nil, "ns=1;i=1001")
local controller = plant:addObject("Controller", nil, "ns=1;i=1002")
controller:addMethod("ScaleValue", function(objectId, methodId, args)
  print("CALLED", objectId, methodId, args[1].Value, args[2].Value)
  return {{Type = ua.VariantType.Double, Value = args[1].Value * args[2].Value}}
end, {{Name = "Value", DataType = ua.DataTypeId.Double}, {Name = "Factor", DataType = ua.DataTypeId.Double}},
  {{Name = "Scaled", DataType = ua.DataTypeId.Double}}, "ns=1;i=1003")
editor:save()
server:run()
print("UA SERVER READY")
function onunload() server:shutdown() end
`;

for (const secure of [false, true]) {
  const name = secure ? 'Basic256Sha256 SignAndEncrypt' : 'policy None';
  test(`${name}: node-opcua client calls a method on the stack's server on remora; subscriptions are refused`, { skip: skip12, timeout: 120_000 }, async () => {
    const { AttributeIds, DataType, StatusCodes } = require('node-opcua');
    const d = tempDir('remora-ua-');
    mkdirSync(join(d, 'app'));
    const port = await freePort();
    let policies = '{{ securityPolicyUri = ua.SecurityPolicy.None }}';
    if (secure) {
      const cert = makeCert(d, 'server', 'urn:remora:test:server');
      policies = `{{ securityPolicyUri = ua.SecurityPolicy.None },
        { securityPolicyUri = ua.SecurityPolicy.Basic256Sha256, securityMode = { ua.MessageSecurityMode.SignAndEncrypt },
          certificate = [[${readFileSync(cert.pem, 'utf8')}]], key = [[${readFileSync(cert.key, 'utf8')}]] }}`;
    }
    await withStackServer(d, port, SERVER12(port, policies), secure, async (session, srv) => {
      const plant = await session.browse('ns=1;i=1000');
      assert.deepEqual(plant.references.map((r: { browseName: { name: string } }) => r.browseName.name).sort(), ['Controller', 'Temperature']);
      const methods = await session.browse('ns=1;i=1002');
      assert.ok(methods.references.some((r: { browseName: { name: string } }) => r.browseName.name === 'ScaleValue'));
      // node-opcua reads the method's InputArguments property to check the call.
      const args = await session.read({ nodeId: (await session.translateBrowsePath({
        startingNode: 'ns=1;i=1003', relativePath: { elements: [{ referenceTypeId: 'i=46', isInverse: false, includeSubtypes: true, targetName: { namespaceIndex: 0, name: 'InputArguments' } }] },
      })).targets[0].targetId, attributeId: AttributeIds.Value });
      assert.deepEqual(args.value.value.map((a: { name: string }) => a.name), ['Value', 'Factor']);
      const result = await session.call({
        objectId: 'ns=1;i=1002', methodId: 'ns=1;i=1003',
        inputArguments: [{ dataType: DataType.Double, value: 10 }, { dataType: DataType.Double, value: 2.5 }],
      });
      assert.equal(result.statusCode.name, 'Good');
      assert.equal(result.outputArguments[0].value, 25);
      assert.match(srv.out(), /CALLED\tns=1;i=1002\tns=1;i=1003\t10(\.0)?\t2\.5/);
      // A wrong argument type is refused by the stack, not called.
      const bad = await session.call({
        objectId: 'ns=1;i=1002', methodId: 'ns=1;i=1003',
        inputArguments: [{ dataType: DataType.String, value: 'x' }, { dataType: DataType.Double, value: 2.5 }],
      });
      assert.equal(bad.statusCode.name, 'BadInvalidArgument');
      // The stack's server has no subscriptions: CreateSubscription is answered with
      // BadServiceUnsupported (the same on the Mako Server), and the session stays usable.
      await assert.rejects(session.createSubscription2({ requestedPublishingInterval: 100, publishingEnabled: true }), (e: Error) => {
        assert.match(e.message, /BadServiceUnsupported/);
        return true;
      });
      assert.equal(StatusCodes.BadServiceUnsupported.name, 'BadServiceUnsupported');
      assert.equal((await session.read({ nodeId: 'ns=1;i=1001', attributeId: AttributeIds.Value })).value.value, 21.5);
    });
  });

  test(`${name}: the stack's client on remora calls a method on a node-opcua server`, { skip: skip12, timeout: 120_000 }, async () => {
    const { OPCUAServer, DataType, Variant, StatusCodes, SecurityPolicy, MessageSecurityMode } = require('node-opcua');
    const d = tempDir('remora-ua-');
    const port = await freePort();
    const server = new OPCUAServer({
      port, hostname: '127.0.0.1', allowAnonymous: true,
      securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
      securityModes: [MessageSecurityMode.None, MessageSecurityMode.SignAndEncrypt],
    });
    await server.initialize();
    const as = server.engine.addressSpace;
    const ns = as.getOwnNamespace();
    const device = ns.addObject({ organizedBy: as.rootFolder.objects, browseName: 'Device', nodeId: 's=Device' });
    const method = ns.addMethod(device, {
      browseName: 'Multiply', nodeId: 's=Multiply',
      inputArguments: [{ name: 'a', dataType: DataType.Double }, { name: 'b', dataType: DataType.Double }],
      outputArguments: [{ name: 'product', dataType: DataType.Double }],
    });
    const calls: number[][] = [];
    method.bindMethod((inputs: Array<{ value: number }>, _ctx: unknown, cb: (e: Error | null, r: unknown) => void) => {
      calls.push(inputs.map((v) => v.value));
      cb(null, { statusCode: StatusCodes.Good, outputArguments: [new Variant({ dataType: DataType.Double, value: inputs[0]!.value * inputs[1]!.value })] });
    });
    await server.start();
    try {
      const cert = secure ? makeCert(d, 'client', 'urn:remora:test:client') : undefined;
      const open = secure
        ? `
assert(client:openSecureChannel(60000, ua.SecurityPolicy.None, ua.MessageSecurityMode.None))
local resp = assert(client:getEndpoints())
client:closeSecureChannel()
client:disconnect()            -- node-opcua closes the connection after CloseSecureChannel
assert(client:connect(url) == nil)
local ep
for _, e in ipairs(resp.Endpoints) do
  if e.SecurityPolicyUri == ua.SecurityPolicy.Basic256Sha256 and e.SecurityMode == ua.MessageSecurityMode.SignAndEncrypt then ep = e end
end
assert(client:openSecureChannel(60000, ua.SecurityPolicy.Basic256Sha256, ua.MessageSecurityMode.SignAndEncrypt, ep.ServerCertificate))`
        : 'assert(client:openSecureChannel(60000, ua.SecurityPolicy.None, ua.MessageSecurityMode.None))';
      writeFileSync(join(d, 'ua.conf'), 'cpubudget = 20000\n');
      writeFileSync(
        join(d, 'client.lua'),
        `
local ua = require("opcua.api")
local url = "opc.tcp://127.0.0.1:${port}"
local client = ua.newClient{ applicationName = "remora test client", applicationUri = "urn:remora:test:client",
  productUri = "urn:remora:test:client",
  ${cert ? `certificate = [[${readFileSync(cert.pem, 'utf8')}]], key = [[${readFileSync(cert.key, 'utf8')}]],` : ''}
  securePolicies = {{ securityPolicyUri = ua.SecurityPolicy.None }
    ${secure ? ', { securityPolicyUri = ua.SecurityPolicy.Basic256Sha256, securityMode = ua.MessageSecurityMode.SignAndEncrypt }' : ''}} }
assert(client:connect(url) == nil)
${open}
assert(client:createSession("remora-test", 600000))
assert(client:activateSession())
local resp = assert(client:call("ns=1;s=Device", "ns=1;s=Multiply", {
  {Type = ua.VariantType.Double, Value = 6}, {Type = ua.VariantType.Double, Value = 7}}))
print("call", resp.Results[1].StatusCode, resp.Results[1].OutputArguments[1].Value)
resp = assert(client:call("ns=1;s=Device", "ns=1;s=Multiply", {{Type = ua.VariantType.Double, Value = 6}}))
print("missing argument", resp.Results[1].StatusCode == ua.StatusCode.BadArgumentsMissing)
client:closeSession()
client:disconnect()
`,
      );
      const { out, status } = await runClient(d);
      assert.equal(out, 'call\t0\t42.0\nmissing argument\ttrue\n');
      assert.equal(status, 0, out);
      assert.deepEqual(calls, [[6, 7]]);
    } finally {
      await server.shutdown(0);
    }
  });
}
