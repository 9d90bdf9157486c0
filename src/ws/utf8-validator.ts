/**
 * Streaming UTF-8 validation for WebSocket text messages.
 *
 * RFC 6455 §5.6 and §8.1: a text message must be valid UTF-8 as a whole, but its bytes arrive in
 * arbitrary TCP chunks and fragments, so a multi-byte character may be split anywhere.
 * The validator keeps the state of an unfinished character between calls and fails as soon as a
 * byte cannot belong to valid UTF-8, so a bad message is rejected with 1007 without
 * waiting for its end.
 *
 * Validity follows RFC 3629 §4 (the table of well-formed byte sequences): no overlong forms, no
 * UTF-16 surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no stray continuation bytes, and
 * no character left unfinished when the message ends.
 *
 * The bulk of the work is done by node's `buffer.isUtf8` (simdutf, strict in the same way); the
 * byte-wise state machine only handles the at most 3 bytes of a character cut by a chunk edge.
 */
import { isUtf8 } from 'node:buffer';

export class Utf8Validator {
  /** Continuation bytes still expected for the current character. */
  private need = 0;
  /** Allowed range of the next continuation byte (narrowed after E0, ED, F0, F4: RFC 3629 §4). */
  private lo = 0x80;
  private hi = 0xbf;
  /** Sticky: once invalid, the message stays invalid. */
  private failed = false;

  /**
   * Validates `bytes[start, end)` as the continuation of everything written since the last
   * `reset`/`end`. Returns false once the input so far cannot be the prefix of valid UTF-8.
   */
  write(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
    if (this.failed) return false;
    let i = start;
    // Finish a character left open by the previous chunk, byte by byte.
    while (this.need > 0 && i < end) {
      if (!this.step(bytes[i]!)) return false;
      i++;
    }
    if (i >= end) return true;
    // Cut the chunk before a trailing, unfinished character: the middle is whole characters
    // only and can go to the fast validator; the tail opens the state for the next chunk.
    const cut = unfinishedTail(bytes, i, end);
    if (cut > i && !isUtf8(bytes.subarray(i, cut))) {
      this.failed = true;
      return false;
    }
    for (let j = cut; j < end; j++) {
      if (!this.step(bytes[j]!)) return false;
    }
    return true;
  }

  /**
   * Ends the message: returns true when everything written was valid and no character is left
   * unfinished (a truncated sequence at the end of a message is invalid, RFC 6455 §8.1), then
   * resets the validator for the next message.
   */
  end(): boolean {
    const ok = !this.failed && this.need === 0;
    this.reset();
    return ok;
  }

  /** Forgets all state (a new message starts). */
  reset(): void {
    this.need = 0;
    this.lo = 0x80;
    this.hi = 0xbf;
    this.failed = false;
  }

  /** Feeds one byte to the state machine. */
  private step(b: number): boolean {
    if (this.need > 0) {
      if (b < this.lo || b > this.hi) return this.fail();
      this.need--;
      this.lo = 0x80;
      this.hi = 0xbf;
      return true;
    }
    if (b < 0x80) return true;
    // Lead bytes, RFC 3629 §4. C0, C1 (overlong 2-byte forms), F5..FF (beyond U+10FFFF) and
    // lone continuation bytes 80..BF are never valid.
    if (b >= 0xc2 && b <= 0xdf) {
      this.need = 1;
    } else if (b >= 0xe0 && b <= 0xef) {
      this.need = 2;
      if (b === 0xe0) this.lo = 0xa0; // overlong 3-byte forms
      else if (b === 0xed) this.hi = 0x9f; // surrogates U+D800..U+DFFF
    } else if (b >= 0xf0 && b <= 0xf4) {
      this.need = 3;
      if (b === 0xf0) this.lo = 0x90; // overlong 4-byte forms
      else if (b === 0xf4) this.hi = 0x8f; // above U+10FFFF
    } else {
      return this.fail();
    }
    return true;
  }

  private fail(): false {
    this.failed = true;
    return false;
  }
}

/** Whole-buffer check (close reasons, RFC 6455 §5.5.1). */
export function isValidUtf8(bytes: Uint8Array): boolean {
  return isUtf8(bytes);
}

/**
 * Index where a trailing, not yet complete character starts in `bytes[start, end)`, or `end`
 * when the range does not end inside a character. Only the lead byte's announced length is
 * looked at; whether the bytes are actually valid is left to the validators.
 */
function unfinishedTail(bytes: Uint8Array, start: number, end: number): number {
  // A character has at most 3 continuation bytes, so the lead byte is within the last 4.
  const floor = Math.max(start, end - 4);
  for (let i = end - 1; i >= floor; i--) {
    const b = bytes[i]!;
    if (b < 0x80) return end; // ASCII: the range ends on a boundary
    if (b >= 0xc0) {
      const len = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return end - i < len ? i : end;
    }
    // 80..BF: a continuation byte, keep looking for its lead byte
  }
  return end;
}
