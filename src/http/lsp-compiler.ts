/**
 * Compiles a Lua Server Page into a Lua chunk.
 *
 *   text            ->  _emit("text");          (byte-exact, escaped)
 *   <?lsp code ?>   ->   code                    (verbatim)
 *   <?lsp= expr ?>  ->  _emit(tostring( expr ));
 *
 * The page's own rules: a nested `<? … ?>` pair inside a block does not end it; a newline
 * (LF or CRLF) right after `?>`, or at the very start of the file, is dropped; whitespace-only
 * text at the end of the file is dropped.
 *
 * Line numbers. A Lua error in a page must name the page's real line, so every piece of Lua
 * code sits on the same line of the chunk as in the page. Code is copied verbatim, so the Lua
 * lexer counts its line breaks itself; for everything else this compiler puts exactly one LF
 * into the chunk per line break of the page:
 *   - text keeps its line breaks as escapes (\n, \r) followed by `\z` + LF inside the string
 *     literal: `\z` makes the lexer skip the LF (and count it) without adding it to the string;
 *   - a dropped newline becomes a bare LF between statements.
 * Line breaks are counted the way the Lua lexer counts them (llex.c inclinenumber: LF, CR, and
 * the pairs CRLF and LFCR each count once), so the page and the chunk agree even for odd files.
 *
 * Bytes. The result is a Buffer, not a string, because a page is bytes: text may hold NUL,
 * invalid UTF-8 or `]]`. In text, quotes, backslashes, controls and invalid UTF-8 bytes are
 * written as escapes (decimal `\ddd`, always three digits so a following digit cannot extend
 * it); valid UTF-8 is copied as is. If the code blocks are valid UTF-8, so is the chunk.
 */

/** A page that cannot be compiled; `line` is the page line of the offending tag. */
export class LspSyntaxError extends Error {
  override readonly name = 'LspSyntaxError';

  constructor(
    /** The message without the line. */
    readonly reason: string,
    readonly line: number,
  ) {
    super(`${line}: ${reason}`);
  }
}

const LF = 0x0a;
const CR = 0x0d;
const OPEN = Buffer.from('<?lsp', 'latin1');

/** What the Lua lexer is inside of at some point of the generated chunk. */
type LexState =
  | { kind: 'code' }
  | { kind: 'line-comment'; start: number }
  | { kind: 'short-string'; quote: number }
  | { kind: 'long-bracket'; level: number };

const CODE: LexState = { kind: 'code' };

/** Compiles page bytes (a string is taken as UTF-8) to the bytes of a Lua chunk. */
export function compileLsp(page: Uint8Array | string): Buffer {
  const src =
    typeof page === 'string' ? Buffer.from(page, 'utf8') : Buffer.from(page.buffer, page.byteOffset, page.byteLength);
  const n = src.length;
  const out = new ChunkWriter(src);

  let pos = newlineLength(src, 0);
  out.dropped(0, pos);
  while (pos < n) {
    const open = src.indexOf(OPEN, pos);
    if (open < 0) {
      if (!isBlank(src, pos, n)) out.text(pos, n);
      break;
    }
    out.text(pos, open);
    const isExpr = src[open + OPEN.length] === 0x3d; /* = */
    const codeStart = open + OPEN.length + (isExpr ? 1 : 0);
    const close = findClose(src, codeStart);
    if (close < 0) throw new LspSyntaxError("'<?lsp' block without '?>'", out.lineAt(open));
    if (isExpr) out.expression(codeStart, close);
    else out.code(codeStart, close);
    pos = close + 2;
    const nl = newlineLength(src, pos);
    out.dropped(pos, pos + nl);
    pos += nl;
  }
  return out.finish();
}

/** 1 for LF, 2 for CRLF, else 0: the newline an LSP page drops after `?>` and at the start. */
function newlineLength(src: Buffer, at: number): number {
  if (src[at] === LF) return 1;
  if (src[at] === CR && src[at + 1] === LF) return 2;
  return 0;
}

function isBlank(src: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = src[i];
    if (c !== 0x20 && c !== 0x09 && c !== LF && c !== CR && c !== 0x0b && c !== 0x0c) return false;
  }
  return true;
}

/** Index of the `?>` that ends a block whose code starts at `from`, skipping nested pairs. */
function findClose(src: Buffer, from: number): number {
  let depth = 0;
  for (let i = from; i + 1 < src.length; i++) {
    const c = src[i];
    if (c === 0x3c /* < */ && src[i + 1] === 0x3f /* ? */) {
      depth++;
      i++;
    } else if (c === 0x3f /* ? */ && src[i + 1] === 0x3e /* > */) {
      if (depth === 0) return i;
      depth--;
      i++;
    }
  }
  return -1;
}

/**
 * Marks the byte that completes each line break, as the Lua lexer sees them: LF or CR, merged
 * with an immediately following different one of the two.
 */
function lineBreakEnds(src: Buffer): Uint8Array {
  const ends = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c !== LF && c !== CR) continue;
    const d = src[i + 1];
    if ((d === LF || d === CR) && d !== c) i++;
    ends[i] = 1;
  }
  return ends;
}

/** Length of a valid UTF-8 sequence starting at `i` (RFC 3629 §4), or 0. */
function utf8Length(src: Buffer, i: number, end: number): number {
  const c = src[i];
  let len: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) len = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c === 0xe0) lo = 0xa0; // overlong
    if (c === 0xed) hi = 0x9f; // surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c === 0xf0) lo = 0x90; // overlong
    if (c === 0xf4) hi = 0x8f; // above U+10FFFF
  } else return 0;
  if (i + len > end) return 0;
  const c1 = src[i + 1];
  if (c1 < lo || c1 > hi) return 0;
  for (let k = 2; k < len; k++) if ((src[i + k] & 0xc0) !== 0x80) return 0;
  return len;
}

/** `[`, `=`*level, `[` at `i`: the level of a long bracket, or -1. */
function longBracketLevel(src: Buffer, i: number, end: number): number {
  if (src[i] !== 0x5b /* [ */) return -1;
  let j = i + 1;
  while (j < end && src[j] === 0x3d /* = */) j++;
  return j < end && src[j] === 0x5b ? j - i - 1 : -1;
}

/**
 * Follows the Lua lexer through code[from, to) starting in `state`, far enough to know whether
 * the block ends inside a comment or string.
 */
function scanLua(src: Buffer, from: number, to: number, state: LexState): LexState {
  let st = state;
  let i = from;
  while (i < to) {
    const c = src[i];
    switch (st.kind) {
      case 'code': {
        if (c === 0x2d /* - */ && i + 1 < to && src[i + 1] === 0x2d) {
          const level = longBracketLevel(src, i + 2, to);
          if (level >= 0) {
            st = { kind: 'long-bracket', level };
            i += 2 + level + 2;
          } else {
            st = { kind: 'line-comment', start: i };
            i += 2;
          }
        } else if (c === 0x22 /* " */ || c === 0x27 /* ' */) {
          st = { kind: 'short-string', quote: c };
          i++;
        } else if (c === 0x5b /* [ */) {
          const level = longBracketLevel(src, i, to);
          if (level >= 0) {
            st = { kind: 'long-bracket', level };
            i += level + 2;
          } else i++;
        } else i++;
        break;
      }
      case 'line-comment':
        if (c === LF || c === CR) st = CODE;
        i++;
        break;
      case 'short-string':
        if (c === 0x5c /* \ */) {
          i++;
          if (src[i] === 0x7a /* z */) {
            // \z skips the following whitespace, line breaks included.
            i++;
            while (i < to && (src[i] === 0x20 || (src[i] >= 0x09 && src[i] <= 0x0d))) i++;
          } else if (src[i] === LF || src[i] === CR) {
            // An escaped line break, one or two bytes.
            const d = src[i + 1];
            i += (d === LF || d === CR) && d !== src[i] ? 2 : 1;
          } else i++;
        } else {
          // An unescaped line break ends the string with a Lua syntax error; Lua reports it.
          if (c === st.quote || c === LF || c === CR) st = CODE;
          i++;
        }
        break;
      case 'long-bracket': {
        if (c === 0x5d /* ] */) {
          let j = i + 1;
          while (j < to && src[j] === 0x3d) j++;
          if (j < to && src[j] === 0x5d && j - i - 1 === st.level) {
            st = CODE;
            i = j + 1;
            break;
          }
        }
        i++;
        break;
      }
    }
  }
  return st;
}

/** A growable byte buffer. */
class ByteSink {
  private buf = Buffer.allocUnsafe(1024);
  length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + extra));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  byte(c: number): void {
    this.reserve(1);
    this.buf[this.length++] = c;
  }

  ascii(s: string): void {
    this.reserve(s.length);
    this.length += this.buf.write(s, this.length, 'latin1');
  }

  bytes(src: Buffer, from: number, to: number): void {
    this.reserve(to - from);
    this.length += src.copy(this.buf, this.length, from, to);
  }

  result(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

/** Writes the chunk, keeping its line count in step with the page. */
class ChunkWriter {
  private readonly sink = new ByteSink();
  private readonly breakEnds: Uint8Array;
  /** Lexer state at the end of what was written so far. */
  private lex: LexState = CODE;

  constructor(private readonly src: Buffer) {
    this.breakEnds = lineBreakEnds(src);
  }

  /** 1-based page line of byte `at`. */
  lineAt(at: number): number {
    let line = 1;
    for (let i = 0; i < at; i++) line += this.breakEnds[i];
    return line;
  }

  /** A dropped newline: one bare LF per page line break in [from, to). */
  dropped(from: number, to: number): void {
    for (let i = from; i < to; i++) if (this.breakEnds[i]) this.sink.byte(LF);
  }

  /** Text between tags: `_emit("…");` with every byte preserved. */
  text(from: number, to: number): void {
    if (from >= to) return;
    const { src, sink } = this;
    // Text inside a long comment spanning blocks (`<?lsp --[[ ?>…<?lsp ]] ?>` comments out a
    // section): a `]` of the text must not close that comment early.
    const escapeBracket = this.lex.kind === 'long-bracket';
    let afterZ = false;
    sink.ascii('_emit("');
    for (let i = from; i < to; i++) {
      const c = src[i];
      if (c === 0x22) sink.ascii('\\"');
      else if (c === 0x5c) sink.ascii('\\\\');
      else if (c === LF) sink.ascii('\\n');
      else if (c === CR) sink.ascii('\\r');
      else if (c === 0x09) sink.ascii('\\t');
      // `\z` skips whitespace after the LF it hides; a space there must not be skipped.
      else if (c === 0x20 && afterZ) sink.ascii('\\032');
      else if (c === 0x5d && escapeBracket) sink.ascii('\\093');
      else if (c < 0x20 || c === 0x7f) sink.ascii(decimalEscape(c));
      else if (c >= 0x80) {
        const len = utf8Length(src, i, to);
        if (len === 0) sink.ascii(decimalEscape(c));
        else {
          sink.bytes(src, i, i + len);
          i += len - 1;
        }
      } else sink.byte(c);
      afterZ = false;
      if (this.breakEnds[i]) {
        sink.ascii('\\z\n');
        afterZ = true;
      }
    }
    sink.ascii('");');
  }

  /** `<?lsp code ?>`: the code as is, spaced off from its neighbours. */
  code(from: number, to: number): void {
    // The leading space also keeps a CR at the start of the code from pairing with an LF
    // written just before it, which the lexer would count as one line break instead of two.
    this.sink.ascii(' ');
    this.copyCode(from, to);
    this.sink.ascii(' ');
  }

  /** `<?lsp= expr ?>`: emits tostring(expr). */
  expression(from: number, to: number): void {
    this.sink.ascii('_emit(tostring(');
    this.copyCode(from, to);
    this.sink.ascii('));');
  }

  /**
   * Copies code verbatim, except that a `--` comment running to the end of the block becomes
   * a long comment `--[=[…]=]` with the same text: left as it is, it would swallow what follows
   * on the same line (`<?lsp x=1 -- note ?>A` must still emit "A"), and ending it with an LF
   * would move all later code one line down.
   */
  private copyCode(from: number, to: number): void {
    const { src, sink } = this;
    this.lex = scanLua(src, from, to, this.lex);
    if (this.lex.kind !== 'line-comment') {
      sink.bytes(src, from, to);
      return;
    }
    const textStart = this.lex.start + 2;
    const level = closingLevel(src, textStart, to);
    sink.bytes(src, from, textStart);
    sink.ascii('[' + '='.repeat(level) + '[');
    sink.bytes(src, textStart, to);
    sink.ascii(']' + '='.repeat(level) + ']');
    this.lex = CODE;
  }

  finish(): Buffer {
    return this.sink.result();
  }
}

/**
 * The smallest level L >= 1 such that `]`, L `=`, `]` appended to text[from, to) closes a long
 * bracket exactly at its end: the text must neither contain that closing bracket nor end with
 * `]` and L `=`, which the appended `]` would complete.
 */
function closingLevel(src: Buffer, from: number, to: number): number {
  const text = src.toString('latin1', from, to);
  for (let level = 1; ; level++) {
    const eq = '='.repeat(level);
    if (!text.includes(`]${eq}]`) && !text.endsWith(`]${eq}`)) return level;
  }
}

function decimalEscape(c: number): string {
  return '\\' + String(c).padStart(3, '0');
}
