/**
 * Serializes a response's status line and header section (RFC 9112 §4, §5), refusing header
 * names and values that would let a script split the response (CR/LF injection).
 */
import { HeaderList } from './header-list.js';
import { statusText } from './status-text.js';

// VCHAR, SP, HTAB and obs-text; no CR, LF, NUL or other controls (RFC 9110 §5.5).
// eslint-disable-next-line no-control-regex
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;

/** tchar (RFC 9110 §5.6.2) by char code below 128: ! # $ % & ' * + - . ^ _ ` | ~ DIGIT ALPHA. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

// Both checks run for every header of every response: a loop over char codes, no regex.
export function isHeaderName(name: string): boolean {
  const n = name.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0) return false;
  }
  return true;
}

/** True for a value that may be sent as is; a byte string (chars above U+00FF are refused). */
export function isHeaderValue(value: string): boolean {
  for (let i = 0, n = value.length; i < n; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) return false;
  }
  return true;
}

/** Throws a TypeError naming the culprit when a header cannot be sent. */
export function checkHeader(name: string, value: string): void {
  if (!isHeaderName(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
  if (!isHeaderValue(value)) throw new TypeError(`invalid value for header ${name}: control character or non-byte character`);
}

/**
 * The last head built from a ResponseHeaders list, reused while a response has the same status,
 * reason and fields (a page's responses differ in Date once a second, if at all): comparing
 * the fields costs less than building the head (~36 strings) again.
 */
class LastHead {
  private status = 0;
  private reason: string | undefined;
  private readonly names: string[] = [];
  private readonly values: string[] = [];
  text = '';
  /** `text` as bytes, made when first asked for (never changed: writers may hold it). */
  bytes: Buffer | null = null;

  matches(status: number, reason: string | undefined, h: HeaderList): boolean {
    const n = h.size;
    if (status !== this.status || reason !== this.reason || n !== this.names.length) return false;
    for (let i = 0; i < n; i++) if (h.nameAt(i) !== this.names[i] || h.valueAt(i) !== this.values[i]) return false;
    return true;
  }

  keep(status: number, reason: string | undefined, h: HeaderList, text: string): void {
    const n = h.size;
    this.status = status;
    this.reason = reason;
    this.names.length = n;
    this.values.length = n;
    for (let i = 0; i < n; i++) {
      this.names[i] = h.nameAt(i);
      this.values[i] = h.valueAt(i);
    }
    this.text = text;
    this.bytes = null;
  }
}

const last = new LastHead();

/**
 * "HTTP/1.1 <status> <reason>\r\n" + fields + "\r\n". Always HTTP/1.1, also to 1.0 clients:
 * RFC 9110 §2.5 has a server send its own highest version; callers avoid 1.1-only framing.
 */
export function serializeResponseHead(status: number, reason: string | undefined, headers: Iterable<readonly [string, string]>): Buffer {
  // latin1: header strings are byte strings (header-list.ts).
  return Buffer.from(responseHeadText(status, reason, headers), 'latin1');
}

/**
 * The same head as bytes; the last head built is kept with its bytes (see LastHead), so the
 * result may be shared: never change it.
 */
export function responseHeadBytes(status: number, reason: string | undefined, headers: ResponseHeaders): Buffer {
  const text = responseHeadText(status, reason, headers);
  if (text !== last.text) return Buffer.from(text, 'latin1');
  return (last.bytes ??= Buffer.from(text, 'latin1'));
}

/** The same head as a byte string (one char per byte), for a caller that copies it into its own buffer. */
export function responseHeadText(status: number, reason: string | undefined, headers: Iterable<readonly [string, string]>): string {
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new RangeError(`invalid HTTP status ${status}`);
  if (headers instanceof ResponseHeaders && last.matches(status, reason, headers)) return last.text;
  const phrase = reason ?? statusText(status);
  if (BAD_VALUE.test(phrase)) throw new TypeError('invalid reason phrase');
  let text = `HTTP/1.1 ${status} ${phrase}\r\n`;
  if (headers instanceof HeaderList) {
    // Indexed: no [name, value] array per field. A ResponseHeaders list checked every field
    // when it was set.
    const checked = headers instanceof ResponseHeaders;
    for (let i = 0, n = headers.size; i < n; i++) {
      const name = headers.nameAt(i);
      const value = headers.valueAt(i);
      if (!checked) checkHeader(name, value);
      text += name + ': ' + value + '\r\n';
    }
    text += '\r\n';
    if (checked) last.keep(status, reason, headers, text);
    return text;
  } else {
    for (const [name, value] of headers) {
      checkHeader(name, value);
      text += `${name}: ${value}\r\n`;
    }
  }
  return text + '\r\n';
}

/**
 * A response's header fields: every name and value is checked as it is set or added (a
 * TypeError for CR/LF and other bytes that would split the response), so serializing them
 * needs no second pass.
 */
export class ResponseHeaders extends HeaderList {
  override add(name: string, value: string): void {
    checkHeader(name, value);
    super.add(name, value);
  }

  override set(name: string, value: string): void {
    checkHeader(name, value);
    super.set(name, value);
  }

  /**
   * Appends a field the caller knows to be valid (a constant of the server's): no check.
   * `key` is the name lower-cased, when the caller has it.
   */
  addTrusted(name: string, value: string, key?: string): void {
    if (key === undefined) super.add(name, value);
    else this.addKey(name, value, key);
  }

  /** Replaces a field with one the caller knows to be valid: no check. */
  setTrusted(name: string, value: string, key?: string): void {
    if (key === undefined) super.set(name, value);
    else this.setKey(name, value, key);
  }
}
