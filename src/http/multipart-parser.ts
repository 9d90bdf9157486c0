/**
 * multipart/form-data (RFC 7578) as a state machine fed with body pieces of any size: it
 * returns events (a field, the start of a file, a piece of a file, the end of a file, the end of
 * the body) as soon as the bytes for them are there, keeping only a boundary's length of file
 * bytes back (they could be the start of a delimiter). No Lua here: request:multipart() turns
 * the events into the page's callbacks.
 */

export type MultipartEvent =
  | { kind: 'field'; name: string; value: Buffer }
  | { kind: 'file'; name: string; filename: string; contentType: string | null }
  | { kind: 'data'; data: Buffer }
  | { kind: 'fileend' }
  | { kind: 'end' };

/** The boundary parameter of a multipart/form-data Content-Type, or null when it is not one. */
export function multipartBoundary(contentType: string | undefined): string | null {
  if (!contentType || !/^multipart\/form-data\s*(;|$)/i.test(contentType)) return null;
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const b = m?.[1] ?? m?.[2];
  return b && b.length <= 70 ? b : null;
}

const enum St {
  Preamble,
  Headers,
  Body,
  Done,
}

/** Fields are small: a field value above this is an error (files have no limit here). */
const MAX_FIELD = 1 << 20;
const MAX_HEADERS = 16 * 1024;

export class MultipartParser {
  private st = St.Preamble;
  private buf: Buffer = Buffer.alloc(0);
  /** "\r\n--boundary": what ends a part's body. */
  private readonly delim: Buffer;
  private part: { name: string; filename: string | null; contentType: string | null } | null = null;
  private field: Buffer[] = [];
  private fieldSize = 0;
  /** Set when the input is broken; no more events then. */
  error: string | null = null;

  constructor(boundary: string) {
    this.delim = Buffer.from(`\r\n--${boundary}`, 'latin1');
  }

  get done(): boolean {
    return this.st === St.Done;
  }

  /** Feeds the next piece of the body; returns the events it completes. */
  feed(chunk: Buffer): MultipartEvent[] {
    const out: MultipartEvent[] = [];
    if (this.error || this.st === St.Done) return out;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (this.error || (this.st as St) === St.Done) return out;
      if (this.st === St.Headers) {
        const end = this.buf.indexOf('\r\n\r\n');
        if (end < 0) {
          if (this.buf.length > MAX_HEADERS) this.fail('part headers too long');
          return out;
        }
        if (!this.startPart(this.buf.subarray(0, end).toString('latin1'), out)) return out;
        this.buf = this.buf.subarray(end + 4);
        this.st = St.Body;
        continue;
      }
      // Preamble or a part's body: look for the next delimiter. The first one may open the
      // body without the CRLF in front.
      let at = this.buf.indexOf(this.delim);
      let len = this.delim.length;
      if (this.st === St.Preamble && this.buf.subarray(0, len - 2).equals(this.delim.subarray(2))) {
        at = 0;
        len -= 2;
      }
      // Bytes before a possible delimiter are the part's (a delimiter's start is kept back).
      const safe = at >= 0 ? at : Math.max(0, this.buf.length - this.delim.length);
      if (this.st === St.Body && safe > 0) this.partData(this.buf.subarray(0, safe), out);
      if (this.error) return out;
      this.buf = this.buf.subarray(safe);
      if (at < 0) return out;
      // The delimiter is at 0 now; its line ends with "--" (the last) or CRLF after padding.
      if (this.buf.length < len + 2) return out;
      if (this.buf[len] === 0x2d && this.buf[len + 1] === 0x2d) {
        if (this.st === St.Body) this.endPart(out);
        this.st = St.Done;
        this.buf = Buffer.alloc(0);
        out.push({ kind: 'end' });
        return out;
      }
      const eol = this.buf.indexOf('\r\n', len);
      if (eol < 0) {
        if (this.buf.length > len + 256) this.fail('bad multipart delimiter line');
        return out;
      }
      for (let i = len; i < eol; i++) {
        if (this.buf[i] !== 0x20 && this.buf[i] !== 0x09) {
          // In a part's body these bytes are data that merely looked like a delimiter's start;
          // RFC 2046 §5.1.1 forbids that, so it is an error.
          this.fail('bad multipart delimiter line');
          return out;
        }
      }
      if (this.st === St.Body) this.endPart(out);
      this.buf = this.buf.subarray(eol + 2);
      this.st = St.Headers;
    }
  }

  /** Call when the body has ended: a body without its closing delimiter is an error. */
  finish(): string | null {
    if (this.st !== St.Done && !this.error) this.fail('multipart body ended before its closing delimiter');
    return this.error;
  }

  private startPart(headerText: string, out: MultipartEvent[]): boolean {
    let disposition = '';
    let contentType: string | null = null;
    for (const line of headerText.split('\r\n')) {
      const c = line.indexOf(':');
      if (c < 0) continue;
      const name = line.slice(0, c).trim().toLowerCase();
      const value = line.slice(c + 1).trim();
      if (name === 'content-disposition') disposition = value;
      else if (name === 'content-type') contentType = value;
    }
    const param = (p: string): string | null => {
      const m = new RegExp(`;\\s*${p}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, 'i').exec(disposition);
      if (!m) return null;
      return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? '');
    };
    if (!/^form-data\b/i.test(disposition)) {
      this.fail('multipart part without Content-Disposition: form-data');
      return false;
    }
    // Header values arrive as bytes; names are UTF-8 in practice (RFC 7578 §5.1).
    const utf8 = (s: string | null): string | null => (s === null ? null : Buffer.from(s, 'latin1').toString('utf8'));
    const name = utf8(param('name')) ?? '';
    const filename = utf8(param('filename'));
    this.part = { name, filename, contentType };
    this.field = [];
    this.fieldSize = 0;
    if (filename !== null) out.push({ kind: 'file', name, filename, contentType });
    return true;
  }

  private partData(data: Buffer, out: MultipartEvent[]): void {
    const part = this.part;
    if (!part) return;
    if (part.filename !== null) {
      out.push({ kind: 'data', data: Buffer.from(data) });
      return;
    }
    this.fieldSize += data.length;
    if (this.fieldSize > MAX_FIELD) {
      this.fail('multipart form field too large');
      return;
    }
    this.field.push(Buffer.from(data));
  }

  private endPart(out: MultipartEvent[]): void {
    const part = this.part;
    this.part = null;
    if (!part) return;
    if (part.filename !== null) out.push({ kind: 'fileend' });
    else out.push({ kind: 'field', name: part.name, value: Buffer.concat(this.field) });
    this.field = [];
  }

  private fail(msg: string): void {
    this.error = msg;
    this.st = St.Done;
    this.buf = Buffer.alloc(0);
  }
}
