/**
 * Sends a static file as the response of an exchange: status and fields from staticResponse
 * (conditional requests, ranges, 405), the bytes streamed from disk so a large file never sits
 * in memory, waiting for the socket to drain between pieces (back-pressure).
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { backlog, type HttpExchange } from './http-exchange.js';
import { staticResponse } from './static-files.js';

/** Files up to this size are read in one go and sent with one write. */
const SMALL_FILE = 64 * 1024;

export async function sendFile(exchange: HttpExchange, file: { path: string; stat: { size: number; mtimeMs: number } }): Promise<void> {
  const { head, response } = exchange;
  const r = staticResponse(head.method, head.headers, file);
  if (r.status === 405 || r.status === 412 || r.status === 416) {
    response.sendError(r.status, undefined, r.headers);
    return;
  }
  response.setStatus(r.status);
  for (const [name, value] of r.headers) response.setHeader(name, value);
  if (r.body === null) {
    response.end();
    return;
  }
  const { start, end } = r.body;
  if (end - start <= SMALL_FILE) {
    const data = await readFile(file.path);
    response.end(data.subarray(start, end));
    return;
  }
  // Content-Length is set, so flushing sends the head and then plain bytes (no chunking).
  response.flush();
  for await (const piece of createReadStream(file.path, { start, end: end - 1, highWaterMark: SMALL_FILE })) {
    if (exchange.closed) return;
    response.write(piece as Buffer);
    response.flush();
    const wait = backlog(exchange);
    if (wait) await wait;
  }
  response.end();
}
