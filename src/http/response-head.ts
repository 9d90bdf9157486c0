/**
 * Serializes a response's status line and header section (RFC 9112 §4, §5), refusing header
 * names and values that would let a script split the response (CR/LF injection).
 */
import { statusText } from './status-text.js';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// VCHAR, SP, HTAB and obs-text; no CR, LF, NUL or other controls (RFC 9110 §5.5).
// eslint-disable-next-line no-control-regex
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;

export function isHeaderName(name: string): boolean {
  return TOKEN.test(name);
}

/** True for a value that may be sent as is; a byte string (chars above U+00FF are refused). */
export function isHeaderValue(value: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !BAD_VALUE.test(value) && !/[^\x00-\xff]/.test(value);
}

/** Throws a TypeError naming the culprit when a header cannot be sent. */
export function checkHeader(name: string, value: string): void {
  if (!isHeaderName(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
  if (!isHeaderValue(value)) throw new TypeError(`invalid value for header ${name}: control character or non-byte character`);
}

/**
 * "HTTP/1.1 <status> <reason>\r\n" + fields + "\r\n". Always HTTP/1.1, also to 1.0 clients:
 * RFC 9110 §2.5 has a server send its own highest version; callers avoid 1.1-only framing.
 */
export function serializeResponseHead(status: number, reason: string | undefined, headers: Iterable<readonly [string, string]>): Buffer {
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new RangeError(`invalid HTTP status ${status}`);
  const phrase = reason ?? statusText(status);
  if (BAD_VALUE.test(phrase)) throw new TypeError('invalid reason phrase');
  let text = `HTTP/1.1 ${status} ${phrase}\r\n`;
  for (const [name, value] of headers) {
    checkHeader(name, value);
    text += `${name}: ${value}\r\n`;
  }
  text += '\r\n';
  // latin1: header strings are byte strings (header-list.ts).
  return Buffer.from(text, 'latin1');
}
