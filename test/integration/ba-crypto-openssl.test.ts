// ba.crypto and ba.create.key/csr/certificate against the openssl command line tool: keys,
// signatures and ciphertexts made by remora are accepted by openssl and the other way round.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = 'dist/src/cli/main.js';

/** Runs `lua` as the .preload of a remora app with `dir` as its IO root; returns stdout. */
function remora(dir: string, lua: string): string {
  const app = join(dir, 'app');
  mkdirSync(app, { recursive: true });
  // RSA key generation runs inside one Lua slice: a loaded machine must not hit the CPU budget.
  writeFileSync(join(dir, 'r.conf'), 'port = 0\nsslport = 0\ncpubudget = 60000\n');
  writeFileSync(
    join(app, '.preload'),
    `local D = ${JSON.stringify(dir)}
local function W(name, data) local f = ba.openio("disk"):open(D .. "/" .. name, "w") f:write(data) f:close() end
local function R(name) local f = ba.openio("disk"):open(D .. "/" .. name) local s = f:read("*a") f:close() return s end
${lua}
mako.exit()
`,
  );
  const r = spawnSync(process.execPath, [resolve(CLI), '-c', join(dir, 'r.conf'), '-l', `::${app}`], { encoding: 'utf8', timeout: 60000, cwd: dir });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  return r.stdout;
}

function openssl(dir: string, ...args: string[]): string {
  const r = spawnSync('openssl', args, { encoding: 'utf8', cwd: dir });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout + r.stderr;
}

test('keys and signatures made by remora verify with openssl', () => {
  const d = mkdtempSync(join(tmpdir(), 'remora-crypto-'));
  try {
    remora(
      d,
      `
local h = ba.crypto.hash"sha256"("hello openssl")(true)
W("hash.bin", h)
for _, c in ipairs{"SECP256R1", "SECP384R1", "SECP521R1", "BRAINPOOLP256R1"} do
  local k = ba.create.key{curve = c}
  W(c .. ".key", k)
  W(c .. ".sig", ba.crypto.sign(h, k))
end
local rk = ba.create.key{key = "rsa", bits = 2048}
W("rsa.key", rk)
W("rsa.sig", ba.crypto.sign(h, rk))
W("rsa.ct", ba.crypto.encrypt("to openssl", rk))
W("rsa-oaep.ct", ba.crypto.encrypt("to openssl oaep", rk, {padding = "oaep"}))
`,
    );
    for (const c of ['SECP256R1', 'SECP384R1', 'SECP521R1', 'BRAINPOOLP256R1']) {
      assert.match(openssl(d, 'ec', '-in', `${c}.key`, '-check', '-noout'), /EC Key valid/);
      assert.match(openssl(d, 'pkeyutl', '-verify', '-inkey', `${c}.key`, '-in', 'hash.bin', '-sigfile', `${c}.sig`), /Signature Verified Successfully/);
    }
    assert.match(openssl(d, 'rsa', '-in', 'rsa.key', '-check', '-noout'), /RSA key ok/);
    assert.match(
      openssl(d, 'pkeyutl', '-verify', '-inkey', 'rsa.key', '-pkeyopt', 'digest:sha256', '-in', 'hash.bin', '-sigfile', 'rsa.sig'),
      /Signature Verified Successfully/,
    );
    assert.equal(openssl(d, 'pkeyutl', '-decrypt', '-inkey', 'rsa.key', '-in', 'rsa.ct'), 'to openssl');
    assert.equal(openssl(d, 'pkeyutl', '-decrypt', '-inkey', 'rsa.key', '-pkeyopt', 'rsa_padding_mode:oaep', '-in', 'rsa-oaep.ct'), 'to openssl oaep');
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('keys and signatures made by openssl work in remora', () => {
  const d = mkdtempSync(join(tmpdir(), 'remora-crypto-'));
  try {
    writeFileSync(join(d, 'hash.bin'), Buffer.from('a'.repeat(48)));
    openssl(d, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-out', 'p8.key');
    openssl(d, 'pkey', '-in', 'p8.key', '-pubout', '-out', 'p8.pub');
    openssl(d, 'pkcs8', '-topk8', '-in', 'p8.key', '-passout', 'pass:secret', '-out', 'p8enc.key');
    openssl(d, 'pkeyutl', '-sign', '-inkey', 'p8.key', '-in', 'hash.bin', '-out', 'p8.sig');
    openssl(d, 'genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', 'rsa.key');
    openssl(d, 'pkey', '-in', 'rsa.key', '-pubout', '-out', 'rsa.pub');
    openssl(d, 'req', '-new', '-x509', '-key', 'rsa.key', '-subj', '/CN=openssl.test', '-days', '10', '-out', 'rsa.crt');
    openssl(d, 'pkeyutl', '-sign', '-inkey', 'rsa.key', '-pkeyopt', 'digest:sha384', '-in', 'hash.bin', '-out', 'rsa.sig');
    writeFileSync(join(d, 'msg.txt'), 'from openssl');
    openssl(d, 'pkeyutl', '-encrypt', '-pubin', '-inkey', 'rsa.pub', '-in', 'msg.txt', '-out', 'rsa.ct');
    openssl(d, 'pkeyutl', '-encrypt', '-pubin', '-inkey', 'rsa.pub', '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha256', '-in', 'msg.txt', '-out', 'rsa-oaep.ct');
    const out = remora(
      d,
      `
local h = R("hash.bin")
print("ec", ba.crypto.verify(R("p8.sig"), R("p8.pub"), h), ba.crypto.verify(R("p8.sig"), R("p8.key"), h))
print("ec own", ba.crypto.verify(ba.crypto.sign(h, R("p8.key")), R("p8.pub"), h))
print("ec enc", ba.crypto.keysize(R("p8enc.key"), {password = "secret"}), ba.crypto.sign(h, R("p8enc.key")))
local x, y = ba.crypto.keyparams(R("p8.pub"))
print("ec xy", #x, #y, ba.crypto.verify(R("p8.sig"), h, {x = x, y = y}))
print("rsa", ba.crypto.verify(R("rsa.sig"), R("rsa.pub"), h), ba.crypto.verify(R("rsa.sig"), R("rsa.crt"), h))
print("rsa dec", ba.crypto.decrypt(R("rsa.ct"), R("rsa.key")))
print("rsa oaep", ba.crypto.decrypt(R("rsa-oaep.ct"), R("rsa.key"), {padding = "oaep", hashid = "sha256"}))
W("remora.sig", ba.crypto.sign(h, R("rsa.key")))
`,
    );
    assert.deepEqual(out.trim().split('\n'), [
      'ec\ttrue\ttrue',
      'ec own\ttrue',
      'ec enc\t104\tnil\tInvalid key',
      'ec xy\t48\t48\ttrue',
      'rsa\ttrue\ttrue',
      'rsa dec\tfrom openssl',
      'rsa oaep\tfrom openssl',
    ]);
    // RSA PKCS#1 v1.5 is deterministic: remora's signature is openssl's.
    assert.deepEqual(readFileSync(join(d, 'remora.sig')), readFileSync(join(d, 'rsa.sig')));
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('CSRs and certificates made by remora are accepted by openssl; a chain verifies', () => {
  const d = mkdtempSync(join(tmpdir(), 'remora-crypto-'));
  try {
    const out = remora(
      d,
      `
local cak = ba.create.key{key = "rsa", bits = 2048}
local cacsr = ba.create.csr(cak, {commonname = "Remora Test CA", organization = "remora"}, {"SSL_CA"}, {"KEY_CERT_SIGN", "CRL_SIGN"})
local ca = ba.create.certificate(cacsr, cak, {year = 2024, month = 1, day = 1}, {year = 2044, month = 1, day = 1}, 1)
W("ca.pem", ca)
for _, c in ipairs{"SECP256R1", "SECP384R1"} do
  local k = ba.create.key{curve = c}
  local csr = ba.create.csr(k, {commonname = c .. ".example", countryname = "NO", email = "a@b.c"},
    c .. ".example;alt.example;IP:127.0.0.1", {"SSL_SERVER", "SSL_CLIENT"}, {"DIGITAL_SIGNATURE", "KEY_AGREEMENT"}, "sha384")
  W(c .. ".csr", csr)
  W(c .. ".key", k)
  W(c .. ".pem", ba.create.certificate(csr, ca, cak, {year = 2024, month = 6, day = 1}, {year = 2030, month = 6, day = 1}, 1000))
  W(c .. "-self.pem", ba.create.certificate(csr, k, {year = 2024, month = 6, day = 1}, {year = 2030, month = 6, day = 1}, 7))
end
print("ok")
`,
    );
    assert.equal(out.trim(), 'ok');
    for (const c of ['SECP256R1', 'SECP384R1']) {
      assert.match(openssl(d, 'req', '-in', `${c}.csr`, '-verify', '-noout'), /verify OK/);
      const text = openssl(d, 'x509', '-in', `${c}.pem`, '-noout', '-text');
      assert.match(text, new RegExp(`Subject: CN ?= ?${c}.example`));
      assert.match(text, /DNS:alt.example/);
      assert.match(text, /IP Address:127.0.0.1/);
      assert.match(text, /Digital Signature, Key Agreement/);
      assert.match(text, /Issuer: CN ?= ?Remora Test CA/);
      assert.match(openssl(d, 'verify', '-CAfile', 'ca.pem', `${c}.pem`), /OK/);
      assert.match(openssl(d, 'verify', '-CAfile', `${c}-self.pem`, `${c}-self.pem`), /OK/);
      // The certificate's key is the one the CSR was made with.
      assert.equal(openssl(d, 'x509', '-in', `${c}.pem`, '-noout', '-pubkey'), openssl(d, 'pkey', '-in', `${c}.key`, '-pubout'));
    }
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('ba.parsecert reads openssl certificates; ba.create.certificate signs openssl CSRs', () => {
  const d = mkdtempSync(join(tmpdir(), 'remora-crypto-'));
  try {
    openssl(d, 'req', '-x509', '-newkey', 'rsa:1024', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/C=NO/O=Org/OU=Unit/CN=Open CA');
    openssl(d, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=leaf.example', '-addext', 'subjectAltName=DNS:leaf.example,DNS:www.leaf.example');
    openssl(d, 'x509', '-in', 'ca.pem', '-outform', 'DER', '-out', 'ca.der');
    const out = remora(
      d,
      `
local c = ba.parsecert(R("ca.der"))
print(c.subject.commonname, c.subject.countryname, c.subject.organization, c.subject.unit, c.issuer.commonname, c.san)
print(ba.parsecerttime(c.tzto) - ba.parsecerttime(c.tzfrom))
local cert = ba.create.certificate(R("leaf.csr"), R("ca.pem"), R("ca.key"), {year = 2024, month = 1, day = 1}, {year = 2034, month = 1, day = 1}, 5)
W("leaf.pem", cert)
local t = ba.parsecert(ba.b64decode(cert:match("CERTIFICATE%-+\\n(.-)\\n%-")))
print(t.subject.commonname, t.issuer.commonname, t.san and table.concat(t.san, ","))
`,
    );
    assert.deepEqual(out.trim().split('\n'), ['Open CA\tNO\tOrg\tUnit\tOpen CA\tnil', String(30 * 86400), 'leaf.example\tOpen CA\tleaf.example,www.leaf.example']);
    assert.match(openssl(d, 'verify', '-CAfile', 'ca.pem', 'leaf.pem'), /OK/);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('a WebAuthn-style check: a signature by node:crypto (P-256, SHA-256) verifies with {x, y}', async () => {
  const { generateKeyPairSync, sign, createHash } = await import('node:crypto');
  const d = mkdtempSync(join(tmpdir(), 'remora-crypto-'));
  try {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const authData = Buffer.from('authenticator data');
    const clientData = Buffer.from('{"type":"webauthn.get"}');
    const signed = Buffer.concat([authData, createHash('sha256').update(clientData).digest()]);
    writeFileSync(join(d, 'sig.bin'), sign('sha256', signed, privateKey));
    writeFileSync(join(d, 'x.bin'), Buffer.from(jwk.x!, 'base64url'));
    writeFileSync(join(d, 'y.bin'), Buffer.from(jwk.y!, 'base64url'));
    writeFileSync(join(d, 'auth.bin'), authData);
    writeFileSync(join(d, 'client.bin'), clientData);
    const out = remora(
      d,
      `
local hash = ba.crypto.hash("sha256")(R("auth.bin"))(ba.crypto.hash("sha256")(R("client.bin"))(true, "binary"))(true, "binary")
print(ba.crypto.verify(R("sig.bin"), hash, {x = R("x.bin"), y = R("y.bin")}))
print(ba.crypto.verify(R("sig.bin"), ba.crypto.hash("sha256")("other")(true), {x = R("x.bin"), y = R("y.bin")}))
local r, s = ba.crypto.sigparams(R("sig.bin"))
print(#r, #s, ba.crypto.sigparams(r, s) == R("sig.bin"))
`,
    );
    assert.deepEqual(out.trim().split('\n'), ['true', 'false', '32\t32\ttrue']);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
