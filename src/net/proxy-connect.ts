/**
 * Proxy handshakes on a connected socket, before any TLS: SOCKS5 (RFC 1928, username/password
 * RFC 1929) and HTTP CONNECT tunnels. Errors are BAS's error strings ("prxgeneral",
 * "proxyauth", "prxnotcompat", ...; for a CONNECT answer also "unknown", "invalidresponse").
 * Nothing here knows about Lua.
 */
import net from 'node:net';

/** Reads from `so` until `enough(buf)` says how many bytes it needs (or -1 to go on). */
export function readUntil(so: net.Socket, parse: (buf: Buffer) => number, cb: (err: boolean, buf: Buffer, rest: Buffer) => void): void {
  let buf = Buffer.alloc(0);
  const onData = (d: Buffer): void => {
    buf = Buffer.concat([buf, d]);
    const n = parse(buf);
    if (n < 0) return;
    cleanup();
    cb(false, buf.subarray(0, n), buf.subarray(n));
  };
  const onEnd = (): void => {
    cleanup();
    cb(true, buf, Buffer.alloc(0));
  };
  const cleanup = (): void => {
    so.off('data', onData);
    so.off('end', onEnd);
    so.off('close', onEnd);
    so.pause();
  };
  so.on('data', onData);
  so.on('end', onEnd);
  so.on('close', onEnd);
  so.resume();
}

/** Largest CONNECT answer head accepted (BAS's limit). */
const MAX_CONNECT_HEAD = 8192;

/** Length of the head in `buf` (up to and including the empty line), or -1. */
function headLength(buf: Buffer): number {
  for (let i = 0; i + 1 < buf.length; i++) {
    if (buf[i] === 0x0a && buf[i + 1] === 0x0a) return i + 2;
    if (buf[i] === 0x0d && buf[i + 1] === 0x0a && buf[i + 2] === 0x0d && buf[i + 3] === 0x0a) return i + 4;
  }
  return -1;
}

/**
 * The status of a CONNECT answer head as BAS reads it: the second word of the first line as a
 * number, within 100..505, and every further line a `name: value` field. Returns the status
 * (null when there is no number) and whether the head is well formed.
 */
function connectStatus(head: string): { status: number | null; ok: boolean } {
  const lines = head.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const m = /^\s*\S+\s+(\d+)/.exec(lines[0] ?? '');
  if (!m) return { status: null, ok: false };
  const status = Number(m[1]);
  if (status < 100 || status > 505) return { status, ok: false };
  // A field line needs its colon; a line starting with a space or tab continues the previous one.
  for (const line of lines.slice(1)) if (!/^[ \t]/.test(line) && !line.includes(':')) return { status, ok: false };
  return { status, ok: true };
}

/**
 * An HTTP CONNECT tunnel to host:port through the proxy on `so` (RFC 9110 §9.3.6), sent as BAS
 * sends it: `CONNECT host:port HTTP/1.0`, `User-Agent: Barracuda Server` and, with
 * credentials, `Proxy-Authorization` (the caller passes its value). Only a 200 answer opens
 * the tunnel; bytes after the answer's head stay in `so`. Errors, as BAS's: "proxyauth" (407),
 * "unknown" (any other status), "invalidresponse" (a head that is no HTTP answer, a status
 * outside 100..505, a head over 8 KiB), "socketreadfailed" (the proxy closed first).
 * `answered`: the proxy sent a whole head; `status`: its status, when it had one.
 */
export function httpConnect(
  so: net.Socket,
  host: string,
  port: number,
  proxyAuthorization: string | undefined,
  cb: (err: string | null, answered: boolean, status: number | null) => void,
): void {
  const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  let req = `CONNECT ${authority} HTTP/1.0\r\nUser-Agent: Barracuda Server\r\n`;
  if (proxyAuthorization !== undefined) req += `Proxy-Authorization: ${proxyAuthorization}\r\n`;
  so.write(req + '\r\n');
  let tooLarge = false;
  readUntil(
    so,
    (buf) => {
      const n = headLength(buf);
      if (n > MAX_CONNECT_HEAD || (n < 0 && buf.length > MAX_CONNECT_HEAD)) {
        tooLarge = true;
        return buf.length;
      }
      return n;
    },
    (ended, head, rest) => {
      if (tooLarge) return cb('invalidresponse', false, null);
      if (ended) return cb('socketreadfailed', false, null);
      if (rest.length) so.unshift(rest);
      const { status, ok } = connectStatus(head.toString('latin1'));
      if (!ok) return cb('invalidresponse', true, status);
      if (status === 200) return cb(null, true, 200);
      cb(status === 407 ? 'proxyauth' : 'unknown', true, status);
    },
  );
}

/** SOCKS5 reply codes (RFC 1928 §6) as BAS's proxy error strings. */
const SOCKS_ERRORS = ['', 'prxgeneral', 'prxnotallowed', 'prxnetwork', 'prxhost', 'prxrefused', 'prxttl', 'prxcommand', 'prxaddress'];

/** A SOCKS5 CONNECT (RFC 1928; username/password RFC 1929) to host:port on `so`. */
export function socks5Connect(so: net.Socket, host: string, port: number, user: string | undefined, pass: string | undefined, cb: (err: string | null) => void): void {
  // As BAS: always offer "no authentication" and username/password (a proxy that wants
  // credentials we do not have then answers "proxyauth", not "prxnotcompat").
  const methods = [0x00, 0x02];
  so.write(Buffer.from([0x05, methods.length, ...methods]));
  readUntil(so, (b) => (b.length >= 2 ? 2 : -1), (ended, greet, rest) => {
    if (ended || greet[0] !== 0x05) return cb('prxnotcompat');
    const afterAuth = (): void => {
      let addr: Buffer;
      if (net.isIPv4(host)) addr = Buffer.from([0x01, ...host.split('.').map(Number)]);
      else if (net.isIPv6(host)) {
        addr = Buffer.alloc(17);
        addr[0] = 0x04;
        ipv6Bytes(host).copy(addr, 1);
      } else {
        const name = Buffer.from(host, 'latin1');
        addr = Buffer.concat([Buffer.from([0x03, name.length]), name]);
      }
      const p = Buffer.alloc(2);
      p.writeUInt16BE(port);
      so.write(Buffer.concat([Buffer.from([0x05, 0x01, 0x00]), addr, p]));
      readUntil(
        so,
        (b) => {
          if (b.length < 5) return -1;
          const atyp = b[3];
          const n = atyp === 0x01 ? 10 : atyp === 0x04 ? 22 : atyp === 0x03 ? 7 + b[4]! : b.length;
          return b.length >= n ? n : -1;
        },
        (ended, reply, rest2) => {
          if (ended || reply[0] !== 0x05) return cb('prxnotcompat');
          if (reply[1] !== 0x00) return cb(SOCKS_ERRORS[reply[1]!] ?? 'prxunknown');
          if (rest2.length) so.unshift(rest2);
          cb(null);
        },
      );
    };
    if (rest.length) so.unshift(rest);
    if (greet[1] === 0x00) return afterAuth();
    if (greet[1] === 0x02 && user !== undefined) {
      const u = Buffer.from(user, 'latin1');
      const pw = Buffer.from(pass ?? '', 'latin1');
      so.write(Buffer.concat([Buffer.from([0x01, u.length]), u, Buffer.from([pw.length]), pw]));
      readUntil(so, (b) => (b.length >= 2 ? 2 : -1), (ended, r) => {
        if (ended || r[1] !== 0x00) return cb('proxyauth');
        afterAuth();
      });
      return;
    }
    cb(greet[1] === 0x02 ? 'proxyauth' : 'prxnotcompat');
  });
}

function ipv6Bytes(ip: string): Buffer {
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16) || 0, i * 2));
  return b;
}
