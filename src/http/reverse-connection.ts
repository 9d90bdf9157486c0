/**
 * A reverse connection (BAS's ba.revcon): the server dials out to a broker with
 * `GET <path>` and the broker's header fields; a `202` answer means "keep this connection": once
 * the broker sends the first byte of a request over it, the connection becomes an ordinary
 * inbound connection of the HTTP server, and a new GET is made right away (so one connection
 * always waits at the broker). Any other answer, or a failure, is reported and retried after
 * 10 seconds. No Lua here: src/ba/revcon.ts is the Lua face.
 */
import type { Socket } from 'node:net';
import { ResponseHeadParser } from './response-head-parser.js';

/** Wait between attempts after a refusal or a failure (BAS: 20 x 500 ms). */
const RETRY_MS = 10_000;
/** How long a kept connection may wait for its first request (BAS: 54 minutes). */
const FIRST_BYTE_MS = 54 * 60 * 1000;
/** How long the broker may take to answer the GET. */
const HEAD_MS = 60_000;

export interface ReverseTarget {
  host: string;
  port: number;
  secure: boolean;
  /** Path and query of the GET. */
  path: string;
}

export interface ReverseHooks {
  /** Opens the connection (TLS done for a secure target); rejects with a BAS error name. */
  dial(target: ReverseTarget): Promise<Socket>;
  /** Hands a connection whose first request is arriving to the HTTP server. */
  serve(socket: Socket, pending: Buffer): void;
  /** A refused attempt: HTTP status and X-Reason, or a negative status and the error name. */
  failed(status: number, text: string): void;
  /** BAS's number for an error name (negative), for status(). */
  errorCode(name: string): number;
}

class Closed extends Error {}

export class ReverseConnector {
  /** Last HTTP status (202 while connected) or negative error code; 0 before the first try. */
  status = 0;
  /** How many connections the broker accepted (202). */
  accepted = 0;
  private headers: [string, string][] = [];
  private running = false;
  private closed = false;
  private sock: Socket | null = null;
  private wake: (() => void) | null = null;

  constructor(
    readonly target: ReverseTarget,
    private readonly hooks: ReverseHooks,
  ) {}

  /** Sets the header fields of the GET (the first call starts the loop). */
  setHeaders(h: [string, string][]): void {
    this.headers = h;
    if (!this.running && !this.closed) {
      this.running = true;
      void this.loop();
    }
  }

  close(): void {
    this.closed = true;
    this.sock?.destroy();
    this.sock = null;
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      let so: Socket;
      try {
        so = await this.hooks.dial(this.target);
      } catch (e) {
        if (this.closed) break;
        const name = e instanceof Error ? e.message : String(e);
        this.status = this.hooks.errorCode(name);
        this.hooks.failed(this.status, name);
        await this.sleep(RETRY_MS);
        continue;
      }
      if (this.closed) {
        so.destroy();
        break;
      }
      this.sock = so;
      try {
        const ok = await this.exchange(so);
        if (!ok) await this.sleep(RETRY_MS);
      } catch (e) {
        if (!(e instanceof Closed)) {
          so.destroy();
          this.status = this.hooks.errorCode('socketclosed');
        }
      }
      if (this.sock === so) this.sock = null;
    }
  }

  /** One GET: false when refused (retry later); true when the connection went to the server or ended. */
  private exchange(so: Socket): Promise<boolean> {
    const t = this.target;
    const defPort = t.secure ? 443 : 80;
    const host = t.port === defPort ? t.host : `${t.host}:${t.port}`;
    let head = `GET ${t.path} HTTP/1.1\r\nHost: ${host}\r\n`;
    for (const [k, v] of this.headers) head += `${k}: ${v}\r\n`;
    return new Promise<boolean>((resolve, reject) => {
      const parser = new ResponseHeadParser();
      let phase: 'head' | 'body' | 'wait' = 'head';
      let skip = 0;
      let pending: Buffer[] = [];
      let timer = setTimeout(() => fail(), HEAD_MS);
      const cleanup = (): void => {
        clearTimeout(timer);
        so.removeListener('data', onData);
        so.removeListener('close', onClose);
        so.removeListener('error', onError);
      };
      const fail = (): void => {
        cleanup();
        so.destroy();
        if (this.closed) return reject(new Closed());
        // Dropped while waiting for a request: dial again at once (as BAS's loop does).
        if (phase === 'wait') return resolve(true);
        this.status = this.hooks.errorCode(phase === 'head' ? 'invalidresponse' : 'socketclosed');
        resolve(false);
      };
      const onClose = (): void => fail();
      const onError = (): void => fail();
      const handOver = (): void => {
        cleanup();
        so.pause();
        this.sock = null;
        this.hooks.serve(so, Buffer.concat(pending));
        resolve(true);
      };
      const onData = (chunk: Buffer): void => {
        if (phase === 'head') {
          const r = parser.feed(chunk);
          if (r.state === 'incomplete') return;
          if (r.state === 'error') return fail();
          const status = r.head.status;
          this.status = status;
          if (status !== 202) {
            const reason = r.head.fields.find(([k]) => k.toLowerCase() === 'x-reason')?.[1] ?? '';
            this.hooks.failed(status, reason);
            cleanup();
            so.destroy();
            return resolve(false);
          }
          this.accepted++;
          const cl = r.head.fields.find(([k]) => k.toLowerCase() === 'content-length')?.[1];
          skip = cl && /^\d+$/.test(cl.trim()) ? Number(cl.trim()) : 0;
          chunk = chunk.subarray(r.consumed);
          phase = 'body';
          clearTimeout(timer);
          timer = setTimeout(() => fail(), FIRST_BYTE_MS);
          so.setKeepAlive(true, 240_000);
        }
        if (phase === 'body') {
          const n = Math.min(skip, chunk.length);
          skip -= n;
          chunk = chunk.subarray(n);
          if (skip > 0) return;
          phase = 'wait';
        }
        if (chunk.length) {
          pending.push(chunk);
          handOver();
        }
      };
      so.on('data', onData);
      so.once('close', onClose);
      so.once('error', onError);
      so.resume();
      so.write(head + '\r\n');
      pending = [];
    });
  }
}
