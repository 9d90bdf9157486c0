/**
 * WebSocket helpers for the block harness's scripted peer (test/harness/lua-blocks.ts), written
 * independently of src/ws so the peer checks the runtime rather than sharing its bugs.
 *
 * Peer steps (in `--- peer` sections):
 *   ws-upgrade                  client side: send an upgrade request (RFC 6455 §1.3 sample key),
 *                               expect "HTTP/1.1 101" and the matching Sec-WebSocket-Accept
 *   ws-handshake [ok|wrong|none|early|200]
 *                               server side: read a request head, answer 101 with the correct
 *                               accept value, a wrong one, none, the correct one followed by a
 *                               binary frame "early" in the same write; or "200": a plain 200
 *                               response with a 5-byte body "hello"
 *   send-ws OP "payload"        one frame, FIN=1, opcode OP (hex or decimal); masked with a
 *                               random key when this peer is the client
 *   send-ws-big OP N [nofin|masked|split]
 *                               the same with an N-byte payload of "x" (nofin: FIN=0; masked:
 *                               masked even from a server; split: in two TCP segments)
 *   expect-ws OP "payload"      read one frame and compare; frames from a server must be
 *                               unmasked, frames from a client masked
 *   expect-ws-big OP N          the same with an N-byte payload of "x"
 *   expect-distinct-masks       every frame expect-ws read had a masking key of its own (D1)
 *   expect-head "REGEX"         read an HTTP head (up to the empty line) and match it against
 *                               REGEX (JSON string escapes; the head includes its final CRLFCRLF)
 */
import { createHash, randomBytes } from 'node:crypto';

export const SAMPLE_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function accept(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

export const WS_STEPS = new Set(['ws-upgrade', 'ws-handshake', 'send-ws', 'send-ws-big', 'expect-ws', 'expect-ws-big', 'expect-head', 'expect-distinct-masks']);

export function upgradeRequest(): Buffer {
  return Buffer.from(
    'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${SAMPLE_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    'latin1',
  );
}

/** The answer of a test server to a request head, per `ws-handshake` mode. */
export function handshakeResponse(head: string, mode: string): Buffer {
  const key = /\r\nSec-WebSocket-Key:[ \t]*([^\r\n]*)/i.exec(head)?.[1]?.trim() ?? '';
  if (mode === '200') return Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello', 'latin1');
  let r = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n';
  if (mode === 'wrong') r += `Sec-WebSocket-Accept: ${accept(key + 'x')}\r\n`;
  else if (mode !== 'none') r += `Sec-WebSocket-Accept: ${accept(key)}\r\n`;
  // "early": a first frame in the same segment as the 101.
  const tail = mode === 'early' ? '\x82\x05early' : '';
  return Buffer.from(r + '\r\n' + tail, 'latin1');
}

export function encodeFrame(opcode: number, payload: Buffer, mask: boolean, fin = true): Buffer {
  const len = payload.length;
  const ext = len < 126 ? 0 : len <= 0xffff ? 2 : 8;
  const head = Buffer.alloc(2 + ext + (mask ? 4 : 0));
  head[0] = (fin ? 0x80 : 0) | opcode;
  if (ext === 0) head[1] = len;
  else if (ext === 2) {
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  if (!mask) return Buffer.concat([head, payload]);
  head[1]! |= 0x80;
  const key = randomBytes(4);
  key.copy(head, 2 + ext);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i]! ^= key[i & 3]!;
  return Buffer.concat([head, body]);
}

export interface Frame {
  fin: boolean;
  opcode: number;
  masked: boolean;
  /** The masking key, for masked frames. */
  mask: Buffer | null;
  payload: Buffer;
  /** Bytes the frame took in the buffer. */
  size: number;
}

/** Parses one frame at the start of `buf`, or null if incomplete. */
export function parseFrame(buf: Buffer): Frame | null {
  if (buf.length < 2) return null;
  const fin = (buf[0]! & 0x80) !== 0;
  const opcode = buf[0]! & 0x0f;
  const masked = (buf[1]! & 0x80) !== 0;
  let len = buf[1]! & 0x7f;
  let off = 2;
  if (len === 126) {
    if (buf.length < 4) return null;
    len = buf.readUInt16BE(2);
    off = 4;
  } else if (len === 127) {
    if (buf.length < 10) return null;
    len = Number(buf.readBigUInt64BE(2));
    off = 10;
  }
  const keyOff = off;
  if (masked) off += 4;
  if (buf.length < off + len) return null;
  const payload = Buffer.from(buf.subarray(off, off + len));
  if (masked) for (let i = 0; i < len; i++) payload[i]! ^= buf[keyOff + (i & 3)]!;
  return { fin, opcode, masked, mask: masked ? Buffer.from(buf.subarray(keyOff, keyOff + 4)) : null, payload, size: off + len };
}

export function parseOpcode(s: string): number {
  return s.startsWith('0x') ? parseInt(s.slice(2), 16) : Number(s);
}
