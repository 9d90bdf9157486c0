/**
 * The opening handshake (RFC 6455 §4): the server's 101 answer, the client's
 * upgrade request and the client's check of the answer.
 * Text only; the HTTP layers send and parse it.
 */
import { createHash, randomBytes } from 'node:crypto';

/** RFC 6455 §1.3: the GUID appended to the key before hashing. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The `Server` header BAS sends. */
export const DEFAULT_SERVER_HEADER = 'BarracudaServer.com (Posix)';

/** `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (RFC 6455 §4.2.2 item 5.4). */
export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + WEBSOCKET_GUID)
    .digest('base64');
}

/**
 * A fresh `Sec-WebSocket-Key`: 16 random bytes, base64 (24 characters). RFC 6455 §4.1 requires
 * a new random key per connection (docs/compat.md: BAS sent a constant one).
 */
export function newClientKey(): string {
  return randomBytes(16).toString('base64');
}

export interface ServerResponseOptions {
  /** The request's `Sec-WebSocket-Key`, as received. */
  readonly key: string;
  /** `Date` header value; default now. */
  readonly date?: Date;
  /** `Server` header value; default BAS's. */
  readonly server?: string;
  /** `Sec-WebSocket-Extensions` answer (RFC 7692), when an extension was accepted. */
  readonly extensions?: string | undefined;
}

/**
 * The complete 101 response head, ending with the empty line. Only these headers:
 * headers the page set are discarded, and no subprotocol is negotiated, so a requested
 * `Sec-WebSocket-Protocol` is not echoed. The only extension is permessage-deflate, when the
 * app enabled it.
 */
export function serverHandshakeResponse(options: ServerResponseOptions): string {
  const date = (options.date ?? new Date()).toUTCString(); // IMF-fixdate, RFC 9110 §5.6.7
  return (
    'HTTP/1.1 101 Switching Protocols\r\n' +
    `Date: ${date}\r\n` +
    `Server: ${options.server ?? DEFAULT_SERVER_HEADER}\r\n` +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${acceptKey(options.key)}\r\n` +
    (options.extensions ? `Sec-WebSocket-Extensions: ${options.extensions}\r\n` : '') +
    'Keep-Alive: Keep-Alive\r\n' +
    '\r\n'
  );
}

/**
 * The headers that turn a GET into a WebSocket upgrade request (RFC 6455 §4.1), for an HTTP client that builds the rest of the request itself. No `Origin`: it is for
 * browsers (RFC 6455 §4.1 item 8).
 */
export function clientUpgradeHeaders(key: string): Record<string, string> {
  return {
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': key,
  };
}

export interface ClientRequestOptions {
  /** Request target: path and query, e.g. "/chat?room=1". */
  readonly path: string;
  /** `Host` header value, with the port when it is not the scheme's default (RFC 6455 §4.1). */
  readonly host: string;
  /** `Sec-WebSocket-Key`, normally from `newClientKey()`. */
  readonly key: string;
  /**
   * Extra headers, sent after the upgrade headers. `Host` and the upgrade headers themselves
   * (any letter case) are left out: the protocol fixes them.
   */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The complete upgrade request head, ending with the empty line. */
export function clientUpgradeRequest(options: ClientRequestOptions): string {
  let head = `GET ${options.path || '/'} HTTP/1.1\r\nHost: ${options.host}\r\n`;
  const upgrade = clientUpgradeHeaders(options.key);
  for (const [name, value] of Object.entries(upgrade)) head += `${name}: ${value}\r\n`;
  const fixed = new Set(['host', ...Object.keys(upgrade).map((n) => n.toLowerCase())]);
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (!fixed.has(name.toLowerCase())) head += `${name}: ${value}\r\n`;
  }
  return head + '\r\n';
}

/**
 * Whether the server's `Sec-WebSocket-Accept` is the full value computed from the key this client
 * sent (RFC 6455 §4.1, client requirement 4; docs/compat.md: BAS only checked a prefix).
 * `accept` is the header as an HTTP parser gives it: missing, one value, or repeated values
 * (never valid).
 */
export function verifyServerAccept(key: string, accept: string | readonly string[] | undefined | null): boolean {
  if (accept === undefined || accept === null) return false;
  let value: string;
  if (typeof accept === 'string') {
    value = accept;
  } else {
    if (accept.length !== 1) return false;
    value = accept[0]!;
  }
  // Optional whitespace around a field value is not part of it (RFC 9110 §5.5).
  return value.trim() === acceptKey(key);
}
