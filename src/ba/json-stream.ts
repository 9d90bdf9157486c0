/**
 * The byte-level half of `ba.json.parser()`: finds the complete top-level values in a stream
 * that arrives in pieces, and fails on the chunk that brings the first byte or token that
 * cannot continue the stream, as BAS's reader does (its lexer and parser states, quirks
 * included): a bad byte fails at once, a token (number, literal, string) when it is complete
 * (`{"a" 1` waits, `[1 2` waits for the end of `2`); a number where an object key belongs is
 * `"mem"` (BAS reads keys into a fixed buffer that a number overflows); C and C++ comments
 * are skipped between tokens. The complete values are decoded by the decoder of ba.json.
 */
import { MAX_DEPTH } from './json-decode.js';

export type StreamError = 'parse' | 'mem' | 'stack';

/** BAS reads an object key into a buffer of this many bytes (a longer key is `"mem"`). */
const KEY_BUFFER = 255;

type Lex = 'tok' | 'str' | 'esc' | 'uni' | 'num' | 'lit' | 'cstart' | 'comment' | 'cend' | 'line';
type Parse = 'start' | 'arrayStart' | 'key' | 'colon' | 'value' | 'comma';
type Token = '{' | '}' | '[' | ']' | ',' | ':' | 'str' | 'num' | 'lit';

const PUNCT: Record<number, Token> = { 0x7b: '{', 0x7d: '}', 0x5b: '[', 0x5d: ']', 0x2c: ',', 0x3a: ':' };
/** The rest of a literal after its first letter; BAS compares lower-cased input, and its
 * table sends 'T' to "alse" and 'F' to "rue" (so `Talse` is false). */
const LITERAL_REST: Record<number, string> = { 0x74: 'rue', 0x46: 'rue', 0x66: 'alse', 0x54: 'alse', 0x6e: 'ull', 0x4e: 'ull' };
const ESCAPES = new Set([0x22, 0x2f, 0x5c, 0x62, 0x66, 0x6e, 0x72, 0x74, 0x76]);

function isNumberByte(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2b || c === 0x2d || c === 0x65 || c === 0x45;
}
function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

export class StreamSplitter {
  private buf: Buffer = Buffer.alloc(0);
  /** Next byte of buf to scan. */
  private scan = 0;
  /** Where the unfinished top-level value starts in buf (-1: none). */
  private start = -1;
  private lex: Lex = 'tok';
  private state: Parse = 'start';
  /** Open brackets, innermost last (0x7b or 0x5b). */
  private stack: number[] = [];
  /** String quote, literal rest, \u digits left and value, key bytes read. */
  private quote = 0;
  private lit = '';
  private litPos = 0;
  private hexLeft = 0;
  private code = 0;
  private keyLen = 0;
  readonly ready: Buffer[] = [];
  /** Set once the stream had bad input: every later parse fails the same way (as in BAS). */
  failed: StreamError | null = null;

  reset(): void {
    this.buf = Buffer.alloc(0);
    this.scan = 0;
    this.start = -1;
    this.lex = 'tok';
    this.state = 'start';
    this.stack.length = 0;
    this.ready.length = 0;
  }

  /** Adds bytes; returns the error for input that cannot continue the stream, else null. */
  push(chunk: Uint8Array): StreamError | null {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk);
    const b = this.buf;
    let i = this.scan;
    // A string's key-length check runs where BAS's lexer (re)enters its string state.
    if (this.lex === 'str' && this.state === 'key' && this.keyLen + 2 > KEY_BUFFER) return 'mem';
    while (i < b.length) {
      const c = b[i]!;
      switch (this.lex) {
        case 'tok': {
          const p = PUNCT[c];
          if (p !== undefined) {
            const err = this.token(p, i);
            if (err) return err;
          } else if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
            // white space
          } else if (c === 0x22 || c === 0x27) {
            this.lex = 'str';
            this.quote = c;
            this.keyLen = 0;
          } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
            if (this.state === 'key') return 'mem';
            this.lex = 'num';
          } else if (LITERAL_REST[c] !== undefined) {
            this.lex = 'lit';
            this.lit = LITERAL_REST[c]!;
            this.litPos = 0;
          } else if (c === 0x2f) this.lex = 'cstart';
          else return 'parse';
          i++;
          break;
        }
        case 'num':
          if (isNumberByte(c)) {
            i++;
            break;
          }
          // The byte after a number ends it and is read again as the next token.
          this.lex = 'tok';
          {
            const err = this.token('num', i - 1);
            if (err) return err;
          }
          break;
        case 'lit': {
          const lower = c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
          if (lower !== this.lit.charCodeAt(this.litPos++)) return 'parse';
          i++;
          if (this.litPos === this.lit.length) {
            this.lex = 'tok';
            const err = this.token('lit', i - 1);
            if (err) return err;
          }
          break;
        }
        case 'str':
          i++;
          if (c === 0x5c) this.lex = 'esc';
          else if (c === this.quote) {
            this.lex = 'tok';
            const err = this.token('str', i - 1);
            if (err) return err;
          } else if (this.state === 'key' && ++this.keyLen + 1 > KEY_BUFFER) return 'mem';
          break;
        case 'esc':
          i++;
          if (c === 0x75) {
            this.lex = 'uni';
            this.hexLeft = 4;
            this.code = 0;
          } else if (ESCAPES.has(c)) {
            this.keyLen++;
            this.lex = 'str';
            if (this.state === 'key' && this.keyLen + 2 > KEY_BUFFER) return 'mem';
          } else return 'parse';
          break;
        case 'uni':
          if (!isHex(c)) return 'parse';
          i++;
          this.code = this.code * 16 + (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57);
          if (--this.hexLeft === 0) {
            if (this.state === 'key') {
              if (this.keyLen + 4 > KEY_BUFFER) return 'mem';
              this.keyLen += this.code < 0x80 ? 1 : this.code < 0x800 ? 2 : 3;
              if (this.keyLen + 2 > KEY_BUFFER) return 'mem';
            }
            this.lex = 'str';
          }
          break;
        case 'cstart':
          if (c === 0x2a) this.lex = 'comment';
          else if (c === 0x2f) this.lex = 'line';
          else return 'parse';
          i++;
          break;
        case 'comment':
          i++;
          if (c === 0x2a) this.lex = 'cend';
          break;
        case 'cend':
          // As BAS: the byte after '*' is consumed either way ("**/" does not end a comment).
          i++;
          this.lex = c === 0x2f ? 'tok' : 'comment';
          break;
        case 'line':
          i++;
          if (c === 0x0a) this.lex = 'tok';
          break;
      }
    }
    // Keep only the unfinished value.
    if (this.start < 0) {
      this.buf = Buffer.alloc(0);
      this.scan = 0;
    } else {
      this.buf = b.subarray(this.start);
      this.scan = i - this.start;
      this.start = 0;
    }
    return null;
  }

  /** The parser's step for one complete token ending at byte `end`. */
  private token(t: Token, end: number): StreamError | null {
    switch (this.state) {
      case 'start':
        if (t !== '{' && t !== '[') return 'parse';
        this.start = end;
        return this.open(t);
      case 'arrayStart':
        if (t === ']') return this.close(0x5b, end);
        return this.value(t);
      case 'key':
        if (t === '}') return this.close(0x7b, end);
        if (t !== 'str') return 'parse';
        this.state = 'colon';
        return null;
      case 'colon':
        if (t !== ':') return 'parse';
        this.state = 'value';
        return null;
      case 'value':
        return this.value(t);
      case 'comma':
        if (this.stack[this.stack.length - 1] === 0x7b) {
          if (t === ',') this.state = 'key';
          else if (t === '}') return this.close(0x7b, end);
          else return 'parse';
        } else if (t === ',') this.state = 'value';
        else if (t === ']') return this.close(0x5b, end);
        else return 'parse';
        return null;
    }
  }

  private value(t: Token): StreamError | null {
    if (t === '{' || t === '[') return this.open(t);
    if (t !== 'str' && t !== 'num' && t !== 'lit') return 'parse';
    this.state = 'comma';
    return null;
  }

  private open(t: '{' | '['): StreamError | null {
    if (this.stack.length >= MAX_DEPTH) return 'stack';
    this.stack.push(t === '{' ? 0x7b : 0x5b);
    this.state = t === '{' ? 'key' : 'arrayStart';
    return null;
  }

  private close(open: number, end: number): StreamError | null {
    if (this.stack.pop() !== open) return 'parse';
    if (this.stack.length) {
      this.state = 'comma';
      return null;
    }
    this.ready.push(Buffer.from(this.buf.subarray(this.start, end + 1)));
    this.start = -1;
    this.state = 'start';
    return null;
  }
}
