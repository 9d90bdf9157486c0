/**
 * WebSocket close status codes (RFC 6455 §7.4) and the rule for which ones may travel in a
 * close frame.
 */

/** The codes this library sends or reports itself. */
export const CloseCode = {
  /** §7.4.1: normal closure; also what `read` reports for a close frame without a code. */
  Normal: 1000,
  /** §7.4.1: the peer broke the framing rules. */
  ProtocolError: 1002,
  /** §7.4.1: a text message (or close reason) that is not UTF-8. */
  InvalidPayload: 1007,
  /** §7.4.1: a message above `wsmaxsize` (docs/compat.md). */
  MessageTooBig: 1009,
} as const;

/**
 * Whether `code` may appear in a close frame on the wire (RFC 6455 §7.4.1, §7.4.2 and the IANA
 * registry of §11.7): 1000–1003 and 1007–1014 are defined; 1004 is reserved; 1005, 1006 and 1015
 * are for reporting only and "MUST NOT be set as a status code in a Close control frame";
 * 1016–2999 are unassigned; 3000–4999 belong to libraries and applications; everything else is
 * outside the defined range. A close frame carrying any other code is answered with 1002
 * (docs/compat.md).
 */
export function isValidWireCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}
