/**
 * Incremental parser of an HTTP/1.x response head (RFC 9112 §4, §5) for the HTTP client
 * (`require"httpc"`). A state machine over bytes: it never
 * assumes the head arrives in one chunk, returns early when bytes are missing, and stops right
 * after the empty line so the body (or, after a 101, the upgraded protocol) stays with the caller.
 *
 * Lenient where clients usually are: bare LF line ends, a missing reason phrase. Field names and
 * values are byte strings (latin1, one char per byte), as in src/http.
 */

export interface ResponseHead {
  /** "HTTP/1.1" or "HTTP/1.0". */
  readonly version: string;
  readonly status: number;
  readonly reason: string;
  /** Fields in arrival order, names as sent. */
  readonly fields: ReadonlyArray<readonly [string, string]>;
}

export type ResponseFeed =
  | { readonly state: 'incomplete' }
  | { readonly state: 'complete'; readonly head: ResponseHead; readonly consumed: number }
  | { readonly state: 'error'; readonly message: string };

/** Largest head accepted (status line plus fields). */
export const MAX_RESPONSE_HEAD = 64 * 1024;

const LF = 0x0a;
const CR = 0x0d;

export class ResponseHeadParser {
  /** Bytes of the current line not yet complete. */
  private line: Buffer[] = [];
  private lineLen = 0;
  private total = 0;
  private statusLine: string | null = null;
  private fields: Array<[string, string]> = [];

  /**
   * Feeds bytes. `consumed` (on completion) says how many bytes of `chunk` belonged to the head;
   * the rest is body or upgraded-protocol data.
   */
  feed(chunk: Buffer): ResponseFeed {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(LF, start);
      if (nl < 0) {
        const rest = chunk.length - start;
        this.total += rest;
        if (this.total > MAX_RESPONSE_HEAD) return { state: 'error', message: 'response head too large' };
        if (rest > 0) {
          this.line.push(chunk.subarray(start));
          this.lineLen += rest;
        }
        return { state: 'incomplete' };
      }
      this.total += nl + 1 - start;
      if (this.total > MAX_RESPONSE_HEAD) return { state: 'error', message: 'response head too large' };
      let bytes = chunk.subarray(start, nl);
      if (this.lineLen > 0) {
        this.line.push(bytes);
        bytes = Buffer.concat(this.line, this.lineLen + bytes.length);
        this.line = [];
        this.lineLen = 0;
      }
      start = nl + 1;
      let text = bytes.toString('latin1');
      if (text.endsWith('\r')) text = text.slice(0, -1);
      if (this.statusLine === null) {
        // RFC 9112 §2.2: a client may skip empty lines before the status line.
        if (text === '') continue;
        this.statusLine = text;
        continue;
      }
      if (text === '') {
        const head = this.finish();
        if (typeof head === 'string') return { state: 'error', message: head };
        return { state: 'complete', head, consumed: start };
      }
      const colon = text.indexOf(':');
      if (colon <= 0) return { state: 'error', message: `malformed header line ${JSON.stringify(text.slice(0, 80))}` };
      const name = text.slice(0, colon);
      if (/[\s]/.test(name)) return { state: 'error', message: `malformed header name ${JSON.stringify(name.slice(0, 80))}` };
      this.fields.push([name, text.slice(colon + 1).trim()]);
    }
  }

  private finish(): ResponseHead | string {
    const m = /^(HTTP\/1\.[0-9]) ([0-9]{3})(?: (.*))?$/.exec(this.statusLine!);
    if (!m) return `malformed status line ${JSON.stringify(this.statusLine!.slice(0, 80))}`;
    const head: ResponseHead = { version: m[1]!, status: Number(m[2]), reason: m[3] ?? '', fields: this.fields };
    this.reset();
    return head;
  }

  /** Ready for the next head (after an interim 1xx response, or on a reused connection). */
  reset(): void {
    this.line = [];
    this.lineLen = 0;
    this.total = 0;
    this.statusLine = null;
    this.fields = [];
  }
}

/** Whether a CR appears in the byte (kept for callers validating values). */
export function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c === CR) return true;
  }
  return false;
}
