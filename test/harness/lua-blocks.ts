/**
 * Data-driven Lua blocks (style.md item 9, after lua-nginx-module's t/*.t files).
 *
 * A file in test/lua/*.blocks holds blocks:
 *
 *   === read returns the peer's data            <- block name
 *   --- peer listen                             <- or: --- peer connect  (optional)
 *   expect "hello"                              <- peer steps, one a line
 *   send "world"
 *   close
 *   --- lua                                     <- the script (a one-shot script)
 *   local s = ba.socket.connect(HOST, PEER_PORT)
 *   s:write("hello") print("read:", s:read())
 *   --- out                                     <- expected output, exact; "~ regex" lines match
 *   read:	world
 *   --- config cpuBudgetMs=200                  <- optional runtime config
 *   --- skip slow                               <- optional: not in slow-peer mode
 *
 * Peer steps: send "<bytes>" | expect "<bytes>" | expect-eof | expect-len N | delay MS |
 * close (FIN) | reset (RST) | half-close | wait-accept. Strings take JSON escapes plus \xNN.
 * "listen" peers accept every connection and run the steps on each; "connect" peers start when
 * Lua calls PEER(port). Lua sees HOST, PEER_PORT, PEER(port) and done().
 *
 * A block ends when Lua calls done(), else when the script has ended and every peer
 * connection has finished its steps. REMORA_SLOW_PEER=1 makes `send` dribble one byte at a
 * time.
 */
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { Runtime } from '../../src/app/runtime.js';
import { MemoryLog } from '../../src/sched/trace-log.js';

export interface Block {
  file: string;
  name: string;
  peerMode: 'listen' | 'connect' | null;
  steps: string[];
  lua: string;
  out: string[];
  config: Record<string, number>;
  skip: string[];
  timeoutMs: number;
}

export function parseBlocks(file: string): Block[] {
  const text = readFileSync(file, 'utf8');
  const blocks: Block[] = [];
  let cur: Block | null = null;
  let section = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('=== ')) {
      cur = { file, name: line.slice(4).trim(), peerMode: null, steps: [], lua: '', out: [], config: {}, skip: [], timeoutMs: 5000 };
      blocks.push(cur);
      section = '';
      continue;
    }
    if (!cur) continue;
    if (line.startsWith('--- ')) {
      const [kw, ...rest] = line.slice(4).trim().split(/\s+/);
      section = kw!;
      if (kw === 'peer') cur.peerMode = rest[0] === 'connect' ? 'connect' : 'listen';
      if (kw === 'config') {
        for (const kv of rest) {
          const [k, v] = kv.split('=');
          cur.config[k!] = Number(v);
        }
      }
      if (kw === 'skip') cur.skip.push(...rest);
      if (kw === 'timeout') cur.timeoutMs = Number(rest[0]);
      continue;
    }
    if (section === 'peer' && line.trim() && !line.trim().startsWith('#')) cur.steps.push(line.trim());
    else if (section === 'lua') cur.lua += line + '\n';
    else if (section === 'out') cur.out.push(line);
  }
  for (const b of blocks) {
    while (b.out.length && b.out[b.out.length - 1] === '') b.out.pop();
  }
  return blocks;
}

/** Parses a quoted step argument into bytes. */
export function parseBytes(arg: string): Buffer {
  const s = arg.trim();
  if (!s.startsWith('"')) throw new Error(`bad string ${arg}`);
  const json = s.replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1');
  return Buffer.from(JSON.parse(json) as string, 'latin1');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class PeerConn {
  private buf = Buffer.alloc(0);
  private eof = false;
  private wake: (() => void) | null = null;
  constructor(readonly sock: net.Socket) {
    sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    sock.on('end', () => {
      this.eof = true;
      this.wake?.();
    });
    sock.on('error', () => {
      this.eof = true;
      this.wake?.();
    });
    sock.on('close', () => {
      this.eof = true;
      this.wake?.();
    });
  }
  private async until(pred: () => boolean, what: string, deadline: number): Promise<void> {
    while (!pred()) {
      if (this.eof) throw new Error(`peer: connection ended while waiting for ${what}; got ${JSON.stringify(this.buf.toString('latin1'))}`);
      if (Date.now() > deadline) throw new Error(`peer: timeout waiting for ${what}; got ${JSON.stringify(this.buf.toString('latin1'))}`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 50);
      });
      this.wake = null;
    }
  }
  async run(steps: string[], slow: boolean, deadline: number): Promise<void> {
    for (const step of steps) {
      const sp = step.indexOf(' ');
      const op = sp < 0 ? step : step.slice(0, sp);
      const arg = sp < 0 ? '' : step.slice(sp + 1);
      switch (op) {
        case 'send': {
          const b = parseBytes(arg);
          if (slow) {
            for (let i = 0; i < b.length; i++) {
              this.sock.write(b.subarray(i, i + 1));
              await sleep(1);
            }
          } else this.sock.write(b);
          break;
        }
        case 'expect': {
          const want = parseBytes(arg);
          await this.until(() => this.buf.length >= want.length, `"${want.toString('latin1')}"`, deadline);
          const got = this.buf.subarray(0, want.length);
          this.buf = this.buf.subarray(want.length);
          if (!got.equals(want)) throw new Error(`peer: expected ${JSON.stringify(want.toString('latin1'))}, got ${JSON.stringify(got.toString('latin1'))}`);
          break;
        }
        case 'expect-len': {
          const n = Number(arg);
          await this.until(() => this.buf.length >= n, `${n} bytes`, deadline);
          this.buf = this.buf.subarray(n);
          break;
        }
        case 'expect-eof':
          await this.until(() => this.eof && true, 'EOF', deadline).catch((e: Error) => {
            if (!this.eof) throw e;
          });
          if (this.buf.length) throw new Error(`peer: expected EOF, got ${JSON.stringify(this.buf.toString('latin1'))}`);
          break;
        case 'delay':
          await sleep(Number(arg));
          break;
        case 'close':
          this.sock.end();
          break;
        case 'half-close':
          this.sock.end();
          break;
        case 'reset':
          this.sock.resetAndDestroy();
          break;
        default:
          throw new Error(`peer: unknown step ${step}`);
      }
    }
  }
}

export interface BlockResult {
  output: string;
  peerErrors: string[];
}

export async function runBlock(b: Block, slow = false): Promise<BlockResult> {
  const log = new MemoryLog();
  const rt = await Runtime.create({ log, config: b.config, onExit: () => {} });
  const deadline = Date.now() + b.timeoutMs;
  const peerRuns: Promise<void>[] = [];
  const peerErrors: string[] = [];
  const conns: net.Socket[] = [];
  const track = (p: Promise<void>) => peerRuns.push(p.catch((e: Error) => void peerErrors.push(e.message)));
  let server: net.Server | null = null;
  let peerPort = 0;
  if (b.peerMode === 'listen') {
    server = net.createServer((so) => {
      conns.push(so);
      track(new PeerConn(so).run(b.steps, slow, deadline));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    peerPort = (server.address() as net.AddressInfo).port;
  }
  let doneResolve!: () => void;
  const donePromise = new Promise<void>((r) => (doneResolve = r));
  const { vm } = rt;
  const L = vm.L;
  vm.pushString(L, '127.0.0.1');
  vm.setGlobal(L, 'HOST');
  vm.pushInteger(L, peerPort);
  vm.setGlobal(L, 'PEER_PORT');
  vm.pushHost(L, 'done', () => {
    doneResolve();
    return 0;
  });
  vm.setGlobal(L, 'done');
  vm.pushHost(L, 'PEER', (L) => {
    const port = vm.toInteger(L, 1)!;
    const so = net.connect(port, '127.0.0.1');
    conns.push(so);
    track(new Promise<void>((res, rej) => {
      so.once('connect', () => new PeerConn(so).run(b.steps, slow, deadline).then(res, rej));
      so.once('error', rej);
    }));
    return 0;
  });
  vm.setGlobal(L, 'PEER');

  const usesDone = /\bdone\(\)/.test(b.lua);
  let timer: NodeJS.Timeout | null = null;
  const timeout = new Promise<void>((r) => (timer = setTimeout(() => {
    peerErrors.push(`block timed out after ${b.timeoutMs} ms`);
    r();
  }, b.timeoutMs)));
  const scriptEnd = rt.run(b.lua, `=${b.name.replace(/\s+/g, '_').slice(0, 40)}`).catch((e: Error) => {
    log.write(`load error: ${e.message}\n`);
    return null;
  });
  if (usesDone) await Promise.race([donePromise, timeout]);
  else {
    await Promise.race([
      (async () => {
        await scriptEnd;
        // Peers started by the script's cosockets may still be arriving.
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        let n = -1;
        while (n !== peerRuns.length) {
          n = peerRuns.length;
          await Promise.all(peerRuns);
          await sleep(10);
        }
      })(),
      timeout,
    ]);
  }
  // Let output of cosockets woken by the last peer step land.
  await sleep(20);
  const output = log.text();
  clearTimeout(timer!);
  rt.dispose();
  for (const c of conns) c.destroy();
  server?.close();
  return { output, peerErrors };
}

/** Compares output lines with the expectation ("~ regex" lines match a regex). */
export function matchOutput(expected: string[], output: string): string | null {
  const got = output.replace(/\n$/, '').split('\n');
  if (output === '' && expected.length === 0) return null;
  for (let i = 0; i < Math.max(expected.length, got.length); i++) {
    const e = expected[i];
    const g = got[i];
    if (e === undefined) return `unexpected line ${i + 1}: ${JSON.stringify(g)}`;
    if (g === undefined) return `missing line ${i + 1}: ${JSON.stringify(e)}`;
    if (e.startsWith('~ ')) {
      if (!new RegExp(e.slice(2)).test(g)) return `line ${i + 1}: ${JSON.stringify(g)} does not match /${e.slice(2)}/`;
    } else if (e !== g) return `line ${i + 1}: expected ${JSON.stringify(e)}, got ${JSON.stringify(g)}`;
  }
  return null;
}
