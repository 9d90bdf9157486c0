/**
 * The request side of the HTTP client (`require"httpc"`), without Lua or
 * sockets: URL parsing for http/https/ws/wss, query encoding and the request head.
 * Strings are byte strings (latin1, one char per byte), as in src/http.
 */

import { unescapeCookie } from './cookies.js';

export type Scheme = 'http' | 'https' | 'ws' | 'wss';

export interface ClientUrl {
  readonly scheme: Scheme;
  /** Host name or IP address, IPv6 without brackets. */
  readonly host: string;
  readonly port: number;
  /** Path plus any query given in the URL ("/" when empty). */
  readonly path: string;
  /** `user:password` from the URL, if any. */
  readonly userinfo: string | null;
  /** TLS: https and wss. */
  readonly secure: boolean;
  /** The value of the Host header: the port appears when it is not the scheme's default. */
  readonly hostHeader: string;
}

const DEFAULT_PORT: Record<Scheme, number> = { http: 80, https: 443, ws: 80, wss: 443 };

/** Parses an absolute http(s)/ws(s) URL; returns null when it is not one. */
export function parseClientUrl(url: string): ClientUrl | null {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^#]*)/.exec(url.trim());
  if (!m) return null;
  const scheme = m[1]!.toLowerCase();
  if (!(scheme in DEFAULT_PORT)) return null;
  const sch = scheme as Scheme;
  let authority = m[2]!;
  let userinfo: string | null = null;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    userinfo = decodeURIComponentBytes(authority.slice(0, at));
    authority = authority.slice(at + 1);
  }
  let host: string;
  let portText = '';
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) return null;
    host = authority.slice(1, close);
    const rest = authority.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return null;
    portText = rest.slice(1);
  } else {
    const colon = authority.lastIndexOf(':');
    if (colon >= 0) {
      host = authority.slice(0, colon);
      portText = authority.slice(colon + 1);
    } else host = authority;
  }
  if (host === '') return null;
  let port = DEFAULT_PORT[sch];
  if (portText !== '') {
    if (!/^[0-9]{1,5}$/.test(portText)) return null;
    port = Number(portText);
    if (port < 1 || port > 65535) return null;
  }
  let path = m[3]!;
  if (path === '' || path.startsWith('?')) path = '/' + path;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const hostHeader = port === DEFAULT_PORT[sch] ? hostPart : `${hostPart}:${port}`;
  return { scheme: sch, host, port, path, userinfo, secure: sch === 'https' || sch === 'wss', hostHeader };
}

/** %XX sequences to bytes (a byte string); malformed escapes are kept as they are. */
function decodeURIComponentBytes(s: string): string {
  return s.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** RFC 3986 unreserved characters stay as they are; every other byte becomes %XX. */
export function percentEncode(bytes: string): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes.charCodeAt(i) & 0xff;
    if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e) {
      out += String.fromCharCode(c);
    } else out += '%' + (c < 16 ? '0' : '') + c.toString(16).toUpperCase();
  }
  return out;
}

/** `k=v&k2=v2` from name/value byte strings. */
export function encodeQuery(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');
}

/** Appends an encoded query to a path that may already carry one. */
export function withQuery(path: string, query: string): string {
  if (query === '') return path;
  return path + (path.includes('?') ? '&' : '?') + query;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export interface RequestHeadOptions {
  readonly method: string;
  /** Request target (origin form, or absolute form through a proxy). */
  readonly target: string;
  readonly fields: ReadonlyArray<readonly [string, string]>;
  /** `1.0` for BAS's non-persistent client; default `1.1`. */
  readonly version?: '1.0' | '1.1';
}

/**
 * The request head, ending with the empty line. Throws a TypeError for a method or field that
 * would break the framing (a script error: CR/LF injection).
 */
export function requestHead(o: RequestHeadOptions): string {
  if (!TOKEN.test(o.method)) throw new TypeError(`invalid HTTP method ${JSON.stringify(o.method)}`);
  if (/[\s\x00-\x1f\x7f]/.test(o.target)) throw new TypeError(`invalid request target ${JSON.stringify(o.target)}`);
  let head = `${o.method} ${o.target} HTTP/${o.version ?? '1.1'}\r\n`;
  for (const [name, value] of o.fields) {
    if (!TOKEN.test(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
    if (/[\r\n\x00]/.test(value)) throw new TypeError(`invalid value for header ${name}`);
    head += `${name}: ${value}\r\n`;
  }
  return head + '\r\n';
}

/** The `Authorization` value for Basic authentication (RFC 7617). */
export function basicAuth(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`, 'latin1').toString('base64');
}

/**
 * The bytes BAS's HTTP client percent-encodes in a request's path and query values (lower-case
 * `%xx`): white space, `# $ % & + , ; < = > ? @ [ \ ] ^ \` { | } ~ '`. Control characters,
 * DEL, `"` and bytes of 0x80 and above, which BAS sends as they are, are encoded here too: no
 * request target may carry them.
 */
const BAS_ESCAPED = new Set(Array.from(' \t\r\n#$%&+,;<=>?@[\\]^`{|}~\'"', (c) => c.charCodeAt(0)));

function basEscapeByte(c: number): boolean {
  return c < 0x21 || c >= 0x7f || BAS_ESCAPED.has(c);
}

function hex2(c: number): string {
  return '%' + (c < 16 ? '0' : '') + c.toString(16);
}

/** A query name or value encoded as BAS's client does (see BAS_ESCAPED). */
export function basEscape(bytes: string): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes.charCodeAt(i) & 0xff;
    out += basEscapeByte(c) ? hex2(c) : bytes[i];
  }
  return out;
}

/**
 * The request target for a URL's path (and query) plus a `query` table's pairs, as BAS builds
 * it: the path is encoded as BAS_ESCAPED says, then `?name=value&...` with every name and value
 * encoded the same way. Two differences, where BAS's bytes reach a different resource than the
 * URL names: a `%xx` already in the path stays as it is (BAS sends `%25xx`), and a `?` in the
 * URL starts the query (BAS sends it as `%3f`, inside the path); the URL's query keeps its `=`
 * and `&` and is followed by the table's pairs after `&`.
 */
export function basTarget(path: string, query: ReadonlyArray<readonly [string, string]>): string {
  const q = path.indexOf('?');
  const p = q < 0 ? path : path.slice(0, q);
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i) & 0xff;
    if (c === 0x25 && /^[0-9a-fA-F]{2}$/.test(p.slice(i + 1, i + 3))) out += '%';
    else out += basEscapeByte(c) ? hex2(c) : p[i];
  }
  let sep = '?';
  if (q >= 0) {
    const urlQuery = path.slice(q + 1);
    let enc = '';
    for (let i = 0; i < urlQuery.length; i++) {
      const c = urlQuery.charCodeAt(i) & 0xff;
      // Only what no request target may carry (the query's own syntax stays).
      enc += c < 0x21 || c >= 0x7f || c === 0x22 || c === 0x23 ? hex2(c) : urlQuery[i];
    }
    out += '?' + enc;
    if (enc !== '') sep = '&';
  }
  for (const [k, v] of query) {
    out += `${sep}${basEscape(k)}=${basEscape(v)}`;
    sep = '&';
  }
  return out;
}

/**
 * `query` as `httpc.parsequery` (BAS) splits it: pairs at `&`, the name before the first `=`
 * as it is, the value after the last `=` decoded (`%xx`, `%uxxxx`, `+`); a name without `=`
 * has the value `""`; the query's first byte always belongs to the first name. Later names
 * replace earlier ones (the caller sets them in order).
 */
export function basParseQuery(query: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let start = 0;
  let nameEnd = -1;
  let valueStart = -1;
  const emit = (end: number): void => {
    const name = query.slice(start, nameEnd < 0 ? end : nameEnd);
    out.push([name, valueStart < 0 ? '' : unescapeCookie(query.slice(valueStart, end))]);
  };
  for (let i = 1; i < query.length; i++) {
    const c = query[i];
    if (c === '=') {
      if (nameEnd < 0) nameEnd = i;
      valueStart = i + 1;
    } else if (c === '&') {
      emit(i);
      start = i + 1;
      nameEnd = -1;
      valueStart = -1;
    }
  }
  if (start < query.length) emit(query.length);
  return out;
}
