// io:netconf on the net IO with real peers on 127.0.0.1: an HTTP file server and an HTTPS one
// (the test CA's certificate), an HTTP CONNECT proxy and a SOCKS5 proxy written here with
// node:net. Each proxy records the local port of every upstream connection it opens; the file
// servers record the remote port of every request, so a request that went around the proxy
// is seen (its port is none of the proxy's) and fails the test.
import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { once } from 'node:events';
import { testPki } from '../../harness/tls-certs.js';
import { runLua } from '../../harness/lua-run.js';


interface Seen {
  method: string;
  remotePort: number;
  auth: string | undefined;
  agent: string | undefined;
}

function fileHandler(seen: Seen[]) {
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    seen.push({ method: req.method!, remotePort: req.socket.remotePort!, auth: req.headers.authorization, agent: req.headers['user-agent'] });
    const body = Buffer.from(`file at ${req.url}\n`);
    res.writeHead(200, { 'content-length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

async function listen(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

/** Joins a client socket to a new upstream connection; records the upstream's local port. */
function tunnel(c: net.Socket, host: string, port: number, rest: Buffer, ports: number[], ready: () => void): void {
  const up = net.connect(port, host, () => {
    ports.push(up.localPort!);
    ready();
    if (rest.length) up.write(rest);
    c.pipe(up);
    up.pipe(c);
    c.resume();
  });
  up.on('error', () => c.destroy());
  c.on('error', () => up.destroy());
  c.on('close', () => up.destroy());
}

/** An HTTP CONNECT proxy; with `auth` ("user:pass") it answers 407 to other credentials. */
function connectProxy(auth: string | null, ports: number[]): net.Server {
  return net.createServer((c) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      c.off('data', onData);
      c.pause();
      const head = buf.subarray(0, end).toString('latin1');
      const m = /^CONNECT (\S+):(\d+) HTTP\/1\.[01]\r\n/.exec(head);
      if (!m) return void c.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      const given = /\r\nProxy-Authorization: Basic (\S+)/i.exec(head);
      if (auth !== null && (!given || Buffer.from(given[1]!, 'base64').toString() !== auth)) {
        return void c.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n');
      }
      tunnel(c, m[1]!.replace(/^\[|\]$/g, ''), Number(m[2]), buf.subarray(end + 4), ports, () => c.write('HTTP/1.1 200 Connection established\r\n\r\n'));
    };
    c.on('data', onData);
    c.on('error', () => {});
  });
}

/** A SOCKS5 proxy (RFC 1928) that requires username/password (RFC 1929) `auth`. */
function socksProxy(auth: string, ports: number[]): net.Server {
  return net.createServer((c) => {
    let buf = Buffer.alloc(0);
    let state: 'greet' | 'auth' | 'request' = 'greet';
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (state === 'greet') {
          if (buf.length < 2 || buf.length < 2 + buf[1]!) return;
          const methods = [...buf.subarray(2, 2 + buf[1]!)];
          buf = buf.subarray(2 + buf[1]!);
          if (!methods.includes(2)) return void c.end(Buffer.from([5, 0xff]));
          c.write(Buffer.from([5, 2]));
          state = 'auth';
        } else if (state === 'auth') {
          if (buf.length < 2) return;
          const ul = buf[1]!;
          if (buf.length < 3 + ul || buf.length < 3 + ul + buf[2 + ul]!) return;
          const pl = buf[2 + ul]!;
          const given = `${buf.subarray(2, 2 + ul).toString()}:${buf.subarray(3 + ul, 3 + ul + pl).toString()}`;
          buf = buf.subarray(3 + ul + pl);
          if (given !== auth) return void c.end(Buffer.from([1, 1]));
          c.write(Buffer.from([1, 0]));
          state = 'request';
        } else {
          if (buf.length < 5) return;
          const atyp = buf[3]!;
          const n = atyp === 1 ? 10 : atyp === 3 ? 7 + buf[4]! : 22;
          if (buf.length < n) return;
          const host = atyp === 1 ? [...buf.subarray(4, 8)].join('.') : atyp === 3 ? buf.subarray(5, 5 + buf[4]!).toString() : '::1';
          const port = buf.readUInt16BE(n - 2);
          c.off('data', onData);
          c.pause();
          tunnel(c, host, port, buf.subarray(n), ports, () => c.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0])));
          return;
        }
      }
    };
    c.on('data', onData);
    c.on('error', () => {});
  });
}

test('io:netconf routes the net IO through CONNECT and SOCKS5 proxies, with TLS from its shark context', async () => {
  const pki = testPki();
  const plainSeen: Seen[] = [];
  const tlsSeen: Seen[] = [];
  const connectPorts: number[] = [];
  const socksPorts: number[] = [];
  const files = http.createServer(fileHandler(plainSeen));
  const tlsFiles = https.createServer({ key: pki.key('server'), cert: pki.pem('server') }, fileHandler(tlsSeen));
  const cproxy = connectProxy('pu:pp', connectPorts);
  const sproxy = socksProxy('su:sp', socksPorts);
  const servers = [files, tlsFiles, cproxy, sproxy];
  try {
    const [fport, tport, cport, sport] = await Promise.all(servers.map(listen));
    const url = `http://127.0.0.1:${fport}/a.txt`;
    const turl = `https://localhost:${tport}/b.txt`;
    const out = await runLua(`
      local net = ba.openio"net"
      local function try(label, u)
        local f, err = net:open(u)
        if f then print(label, (f:read("a"):gsub("\\n", ""))) f:close() else print(label, f, err) end
        print(label, "size", (net:stat(u) or {}).size)
      end
      try("direct", ${JSON.stringify(url)})
      try("https without shark", ${JSON.stringify(turl)})
      local store = ba.create.certstore()
      store:addcert(${JSON.stringify(pki.pem('ca'))})
      print("shark", net:netconf{shark = ba.create.sharkssl(store), user = "al", pass = "pw"})
      try("https", ${JSON.stringify(turl)})
      print("connect proxy", net:netconf{proxy = "127.0.0.1", proxyport = ${cport}, socks = false})
      try("connect no auth", ${JSON.stringify(url)})
      print(net:netconf{proxyuser = "pu", proxypass = "wrong"})
      try("connect wrong auth", ${JSON.stringify(url)})
      print(net:netconf{proxyuser = "pu", proxypass = "pp"})
      try("connect", ${JSON.stringify(url)})
      try("connect https", ${JSON.stringify(turl)})
      print("socks proxy", net:netconf{proxy = "127.0.0.1", proxyport = ${sport}, socks = true})
      try("socks wrong auth", ${JSON.stringify(url)})
      print(net:netconf{proxyuser = "su", proxypass = "sp"})
      try("socks", ${JSON.stringify(url)})
      try("socks https", ${JSON.stringify(turl)})
      print(net:loadfile(${JSON.stringify(url)}) == nil)
    `);
    assert.equal(
      out,
      [
        'direct\tfile at /a.txt',
        'direct\tsize\t15',
        'https without shark\tnil\tsslnotenabled',
        'https without shark\tsize\tnil',
        'shark\ttrue',
        'https\tfile at /b.txt',
        'https\tsize\t15',
        'connect proxy\ttrue',
        'connect no auth\tnil\tproxyauth',
        'connect no auth\tsize\tnil',
        'true',
        'connect wrong auth\tnil\tproxyauth',
        'connect wrong auth\tsize\tnil',
        'true',
        'connect\tfile at /a.txt',
        'connect\tsize\t15',
        'connect https\tfile at /b.txt',
        'connect https\tsize\t15',
        'socks proxy\ttrue',
        'socks wrong auth\tnil\tproxyauth',
        'socks wrong auth\tsize\tnil',
        'true',
        'socks\tfile at /a.txt',
        'socks\tsize\t15',
        'socks https\tfile at /b.txt',
        'socks https\tsize\t15',
        // The body is no Lua chunk: loadfile answers nil, but the GET went through the proxy.
        'true',
        '',
      ].join('\n'),
    );
    // Direct: the first GET and HEAD; then every request came out of a proxy's tunnel.
    assert.equal(plainSeen.length, 2 + 2 + 2 + 1);
    assert.equal(tlsSeen.length, 2 + 2 + 2);
    const proxied = (s: Seen[], from: number, ports: number[]): void => {
      for (const r of s.slice(from)) assert.ok(ports.includes(r.remotePort), `request from port ${r.remotePort} did not come through the proxy`);
    };
    proxied(plainSeen.slice(0, 4), 2, connectPorts);
    proxied(plainSeen.slice(0, 7), 4, socksPorts);
    proxied(tlsSeen.slice(0, 4), 2, connectPorts);
    proxied(tlsSeen, 4, socksPorts);
    assert.equal(connectPorts.length, 4);
    assert.equal(socksPorts.length, 5);
    // Basic authentication from netconf's user/pass on every request once set; BAS's agent name.
    assert.deepEqual(plainSeen.map((r) => r.auth), [undefined, undefined, ...Array(5).fill('Basic ' + Buffer.from('al:pw').toString('base64'))]);
    assert.ok(plainSeen.every((r) => r.agent === 'NetIO 1.1 (Mozilla compatible)'));
  } finally {
    for (const s of servers) s.close();
  }
});

test('io:netconf errors: unreachable proxies, interface and IPv6 settings, bad shark values', async () => {
  const seen: Seen[] = [];
  const files = http.createServer(fileHandler(seen));
  const closed = net.createServer();
  try {
    const fport = await listen(files);
    const dead = await listen(closed);
    closed.close();
    const url = `http://127.0.0.1:${fport}/a.txt`;
    const out = await runLua(`
      local net = ba.openio"net"
      local function try(label)
        local st, err = net:stat(${JSON.stringify(url)})
        print(label, st and st.size, err)
      end
      print(net:netconf{intf = "127.0.0.1"}) try("intf")
      print(net:netconf{intf = "192.0.2.1"}) try("intf not here")
      print(net:netconf{intf = "nosuchif0"}) try("intf name")
      print(net:netconf{intf = "127.0.0.1", ipv6 = true}) try("ipv6")
      print(net:netconf{ipv6 = false})
      print(pcall(net.netconf, net, {shark = ba.openio"home"}))
      print(pcall(net.netconf, net, {shark = ba.create.sharkssl(nil, {server = true})}))
      print(net:netconf{shark = "not a context"})
      print(net:netconf{proxy = "127.0.0.1", proxyport = ${dead}, socks = true}) try("socks unreachable")
      print(net:netconf{socks = false}) try("http proxy unreachable")
      print(net:netconf{proxy = "no-such-host.invalid"}) try("proxy unresolvable")
      -- httpc opens its connections the same way.
      print("httpc intf name", require"httpc".create{intf = "nosuchif0"}:request{url = ${JSON.stringify(url)}})
      print("httpc intf not here", require"httpc".create{intf = "192.0.2.1"}:request{url = ${JSON.stringify(url)}})
      print("httpc ipv6", require"httpc".create{ipv6 = true}:request{url = ${JSON.stringify(url)}})
    `);
    assert.deepEqual(out.split('\n'), [
      'true',
      'intf\t15\tnil',
      'true',
      'intf not here\tnil\tbind',
      'true',
      'intf name\tnil\tgethostbyname',
      'true',
      'ipv6\tnil\tcannotresolve',
      'true',
      "false\tbad argument #-1 to '?' (BASHARKSSL expected, got userdata)",
      'false\tSharkSSL not a client type',
      'true',
      'true',
      'socks unreachable\tnil\tcannotconnect',
      'true',
      'http proxy unreachable\tnil\tcannotconnect',
      'true',
      'proxy unresolvable\tnil\tcannotresolve',
      'httpc intf name\tnil\tgethostbyname',
      'httpc intf not here\tnil\tbind',
      'httpc ipv6\tnil\tcannotresolve',
      '',
    ]);
    // Only the request with intf = "127.0.0.1" reached the server.
    assert.equal(seen.length, 1);
  } finally {
    files.close();
  }
});
