/**
 * Data-driven Lua blocks (, after lua-nginx-module's t/*.t files).
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
 *   --- skip slow [reason]                      <- optional: not in slow-peer mode (the reason is printed)
 *
 * Peer steps: send "<bytes>" | expect "<bytes>" | expect-eof | expect-len N | delay MS |
 * close (FIN) | reset (RST) | half-close | pause | resume (stop/start reading) |
 * expect-discard N (read and drop N bytes) | discard-to-eof (read and drop until the end).
 * A "blackhole" peer is a listener that never completes a handshake (its accept queue is full), for connect timeouts. Strings take JSON escapes plus \xNN.
 * WebSocket steps (ws-upgrade, ws-handshake, send-ws, expect-ws, ...) are described in ws-peer.ts;
 * Lua also gets WS_ACCEPT(sock) and WSSERVER() from ws-bridge.ts.
 * TLS peers ("--- peer tls-listen [cert]", "--- peer tls-connect [cert]") and the TLS_* globals
 * are described in tls-peer.ts.
 * "listen" peers accept every connection and run the steps on each; "connect" peers start when
 * Lua calls PEER(port). Lua sees HOST, PEER_PORT, PEER(port), done() and READN(sock, n)
 * (read until n bytes have arrived).
 *
 * A block ends when Lua calls done(), else when the script has ended and every peer
 * connection has finished its steps. REMORA_SLOW_PEER=1 makes `send` dribble one byte at a
 * time. REMORA_LEAK_CHECK=1 fails a block that leaves sockets, servers, timers or file
 * handles open after the runtime is disposed, or more than REMORA_LUA_LEAK_KIB (32) KiB of Lua
 * memory behind once its objects are collected. Unknown sections and peer modes are errors.
 */
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { Runtime } from '../../src/app/runtime.js';
import { MemoryLog } from '../../src/sched/trace-log.js';
import { installWsBridge } from './ws-bridge.js';
import { installTlsBridge, tlsPeerConnect, tlsPeerListen } from './tls-peer.js';
import { WS_STEPS, SAMPLE_KEY, accept, encodeFrame, handshakeResponse, parseFrame, parseOpcode, upgradeRequest } from './ws-peer.js';

export interface Block {
  file: string;
  name: string;
  peerMode: 'listen' | 'connect' | 'blackhole' | 'tls-listen' | 'tls-connect' | null;
  /** Argument after the peer mode (tls-peer.ts: the certificate). */
  peerArg?: string;
  steps: string[];
  lua: string;
  out: string[];
  config: Record<string, number>;
  skip: string[];
  /** Why the block does not run with a one-byte peer (printed by the test runner). */
  skipReason?: string;
  timeoutMs: number;
}

/** The sections a block may have, and the peer modes `--- peer` accepts. */
const SECTIONS = ['lua', 'out', 'peer', 'config', 'skip', 'timeout'];
const PEER_MODES = ['listen', 'connect', 'blackhole', 'tls-listen', 'tls-connect'];

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
      if (!SECTIONS.includes(kw!)) throw new Error(`${file}: block "${cur.name}": unknown section "--- ${kw}"`);
      section = kw!;
      if (kw === 'peer') {
        const mode = rest[0] ?? 'listen';
        if (!PEER_MODES.includes(mode)) throw new Error(`${file}: block "${cur.name}": unknown peer mode "${mode}"`);
        cur.peerMode = mode as Block['peerMode'];
        if (mode === 'tls-listen' || mode === 'tls-connect') cur.peerArg = rest[1];
      }
      if (kw === 'config') {
        for (const kv of rest) {
          const [k, v] = kv.split('=');
          cur.config[k!] = Number(v);
        }
      }
      if (kw === 'skip') {
        cur.skip.push(rest[0]!);
        if (rest.length > 1) cur.skipReason = rest.slice(1).join(' ');
      }
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

/**
 * A listener that never accepts, with its accept queue filled, so further SYNs are dropped
 * and connects hang (a python3 child: node accepts automatically).
 */
async function startBlackhole(): Promise<{ port: number; stop(): void }> {
  const { spawn } = await import('node:child_process');
  const py = spawn('python3', ['-c', 'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((r) => py.stdout!.once('data', (d: Buffer) => r(Number(d.toString().trim()))));
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 3; i++) {
    const f = net.connect(port, '127.0.0.1');
    f.on('error', () => {});
    fillers.push(f);
  }
  await sleep(100);
  return {
    port,
    stop() {
      for (const f of fillers) f.destroy();
      py.kill('SIGKILL');
    },
  };
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
  /** WebSocket role once a handshake step ran: frames this peer sends are masked as a client. */
  private wsRole: 'client' | 'server' | null = null;
  /** Masking keys of the frames expect-ws has read (hex). */
  private wsMasks: string[] = [];

  private async write(b: Buffer, slow: boolean): Promise<void> {
    if (!slow) {
      this.sock.write(b);
      return;
    }
    for (let i = 0; i < b.length; i++) {
      this.sock.write(b.subarray(i, i + 1));
      await sleep(1);
    }
  }

  /** The WebSocket steps of test/harness/ws-peer.ts. */
  private async wsStep(op: string, arg: string, slow: boolean, deadline: number): Promise<void> {
    const [first = '', ...rest] = arg.split(' ');
    const readHead = async (): Promise<string> => {
      let end = -1;
      await this.until(() => (end = this.buf.indexOf('\r\n\r\n')) >= 0, 'an HTTP head', deadline);
      const head = this.buf.subarray(0, end).toString('latin1');
      this.buf = this.buf.subarray(end + 4);
      return head;
    };
    switch (op) {
      case 'expect-head': {
        const head = (await readHead()) + '\r\n\r\n';
        if (!new RegExp(parseBytes(arg).toString('latin1')).test(head)) throw new Error(`peer: head ${JSON.stringify(head)} does not match ${arg}`);
        return;
      }
      case 'ws-upgrade': {
        this.wsRole = 'client';
        await this.write(upgradeRequest(), slow);
        const head = await readHead();
        if (!head.startsWith('HTTP/1.1 101 ')) throw new Error(`peer: expected 101, got ${JSON.stringify(head)}`);
        if (!head.includes(`\r\nSec-WebSocket-Accept: ${accept(SAMPLE_KEY)}`)) throw new Error(`peer: bad accept in ${JSON.stringify(head)}`);
        return;
      }
      case 'ws-handshake': {
        this.wsRole = 'server';
        const head = await readHead();
        await this.write(handshakeResponse(head, first || 'ok'), slow);
        return;
      }
      case 'send-ws':
      case 'send-ws-big': {
        const payload = op === 'send-ws' ? parseBytes(rest.join(' ')) : Buffer.alloc(Number(rest[0]), 0x78);
        const flag = op === 'send-ws-big' ? rest[1] : undefined;
        const frame = encodeFrame(parseOpcode(first), payload, this.wsRole === 'client' || flag === 'masked', flag !== 'nofin');
        if (flag === 'split') {
          // Two TCP segments: the frame's first half, a pause, the rest.
          const half = frame.length >> 1;
          await this.write(frame.subarray(0, half), slow);
          await sleep(30);
          await this.write(frame.subarray(half), slow);
        } else await this.write(frame, slow);
        return;
      }
      case 'expect-ws':
      case 'expect-ws-big': {
        const want = op === 'expect-ws' ? parseBytes(rest.join(' ')) : Buffer.alloc(Number(rest[0]), 0x78);
        let f: ReturnType<typeof parseFrame> = null;
        await this.until(() => (f = parseFrame(this.buf)) !== null, `a WebSocket frame (${first})`, deadline);
        const fr = f!;
        this.buf = this.buf.subarray(fr.size);
        const show = (b: Buffer) => JSON.stringify(b.length > 64 ? `${b.length} bytes` : b.toString('latin1'));
        if (!fr.fin || fr.opcode !== parseOpcode(first) || !fr.payload.equals(want)) {
          throw new Error(`peer: expected frame ${first} ${show(want)}, got fin=${fr.fin} op=${fr.opcode} ${show(fr.payload)}`);
        }
        // RFC 6455 §5.1: a client masks every frame, a server none.
        if (this.wsRole && fr.masked !== (this.wsRole === 'server')) throw new Error(`peer: frame masked=${fr.masked} from the ${this.wsRole === 'server' ? 'client' : 'server'}`);
        if (fr.mask) this.wsMasks.push(fr.mask.toString('hex'));
        return;
      }
      case 'expect-distinct-masks':
        // D1: a fresh random masking key per client frame.
        if (this.wsMasks.length < 2 || new Set(this.wsMasks).size !== this.wsMasks.length) throw new Error(`peer: masks not distinct: ${this.wsMasks.join(' ')}`);
        return;
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
        case 'send-big': {
          // 20000 bytes in one write.
          this.sock.write(Buffer.alloc(20000, 0x62));
          break;
        }
        case 'pause':
          this.sock.pause();
          break;
        case 'resume':
          this.sock.resume();
          break;
        case 'expect-discard': {
          // Reads and drops N bytes (large transfers).
          const n = Number(arg);
          let got = 0;
          await this.until(() => {
            got += this.buf.length;
            this.buf = Buffer.alloc(0);
            return got >= n;
          }, `${n} bytes`, deadline);
          break;
        }
        case 'discard-to-eof':
          // Reads and drops everything until the connection ends (the script decides the size).
          await this.until(() => {
            this.buf = Buffer.alloc(0);
            return this.eof;
          }, 'EOF', deadline).catch((e: Error) => {
            if (!this.eof) throw e;
          });
          break;
        default:
          if (WS_STEPS.has(op)) {
            await this.wsStep(op, arg, slow, deadline);
            break;
          }
          throw new Error(`peer: unknown step ${step}`);
      }
    }
  }
}

export interface BlockResult {
  output: string;
  peerErrors: string[];
}

/** Lua memory (KiB, after a full collection) a block may leave behind (REMORA_LEAK_CHECK=1). */
const LUA_LEAK_KIB = Number(process.env.REMORA_LUA_LEAK_KIB ?? 32);

/** Lua memory in use after a full collection, in KiB. */
function luaMemoryKiB(rt: Runtime): number {
  const { vm } = rt;
  const L = vm.L;
  const err = vm.load(L, 'collectgarbage() collectgarbage() return collectgarbage("count")', '=leakcheck');
  if (err) throw err;
  const perr = vm.pcall(L, 0, 1);
  if (perr) throw perr;
  const kib = vm.toNumber(L, -1) ?? 0;
  vm.pop(L, 1);
  return kib;
}

/** Handles that a block must not leave behind (REMORA_LEAK_CHECK=1). */
const LEAK_TYPES = ['TCPSocketWrap', 'TCPServerWrap', 'TLSWrap', 'UDPWrap', 'Timeout', 'FSReqPromise', 'FileHandle'];

function countResources(): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of process.getActiveResourcesInfo()) if (LEAK_TYPES.includes(t)) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}

/** Names the resource types that grew since `before`, after giving closes a moment. */
async function leakedSince(before: Map<string, number>): Promise<string[]> {
  for (let i = 0; i < 20; i++) {
    await sleep(25);
    const now = countResources();
    const grew = [...now].filter(([t, n]) => n > (before.get(t) ?? 0)).map(([t, n]) => `${t} +${n - (before.get(t) ?? 0)}`);
    if (grew.length === 0) return [];
    if (i === 19) return grew;
  }
  return [];
}

export async function runBlock(b: Block, slow = false): Promise<BlockResult> {
  const leakCheck = process.env.REMORA_LEAK_CHECK === '1';
  const resourcesBefore = leakCheck ? countResources() : null;
  const log = new MemoryLog();
  let doneResolve!: () => void;
  const donePromise = new Promise<void>((r) => (doneResolve = r));
  // os.exit / shutdown ends the block like done() does.
  const rt = await Runtime.create({ log, config: b.config, onExit: () => doneResolve() });
  const luaBefore = leakCheck ? luaMemoryKiB(rt) : 0;
  const deadline = Date.now() + b.timeoutMs;
  const peerRuns: Promise<void>[] = [];
  const peerErrors: string[] = [];
  const conns: net.Socket[] = [];
  const track = (p: Promise<void>) => peerRuns.push(p.catch((e: Error) => void peerErrors.push(e.message)));
  let server: net.Server | null = null;
  let peerPort = 0;
  let blackhole: { port: number; stop(): void } | null = null;
  if (b.peerMode === 'blackhole') {
    blackhole = await startBlackhole();
    peerPort = blackhole.port;
  } else if (b.peerMode === 'listen') {
    server = net.createServer((so) => {
      conns.push(so);
      track(new PeerConn(so).run(b.steps, slow, deadline));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    peerPort = (server.address() as net.AddressInfo).port;
  } else if (b.peerMode === 'tls-listen') {
    server = await tlsPeerListen(b.peerArg, (so) => {
      conns.push(so);
      track(new PeerConn(so).run(b.steps, slow, deadline));
    });
    peerPort = (server.address() as net.AddressInfo).port;
  }
  const { vm } = rt;
  const L = vm.L;
  vm.pushString(L, '127.0.0.1');
  vm.setGlobal(L, 'HOST');
  vm.pushInteger(L, peerPort);
  vm.setGlobal(L, 'PEER_PORT');
  // READN(sock, n): reads until n bytes arrived (blocks stay correct with a slow peer).
  const e = vm.load(L, `function READN(s, n)
    local t, got = {}, 0
    while got < n do
      local d, err = s:read()
      if not d then return nil, err end
      t[#t + 1] = d
      got = got + #d
    end
    return table.concat(t)
  end`, '=harness');
  if (e) throw e;
  vm.pcall(L, 0, 0);
  vm.pushHost(L, 'done', () => {
    doneResolve();
    return 0;
  });
  vm.setGlobal(L, 'done');
  vm.pushHost(L, 'PEER', (L) => {
    const port = vm.toInteger(L, 1)!;
    const so = b.peerMode === 'tls-connect' ? tlsPeerConnect(port, b.peerArg) : net.connect(port, '127.0.0.1');
    conns.push(so);
    track(new Promise<void>((res, rej) => {
      so.once('connect', () => new PeerConn(so).run(b.steps, slow, deadline).then(res, rej));
      so.once('error', rej);
    }));
    return 0;
  });
  vm.setGlobal(L, 'PEER');
  installWsBridge(rt);
  installTlsBridge(rt, b.lua, b.peerMode);

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
      donePromise,
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
  // Leak check: the script's own objects must be gone before the runtime is disposed, so
  // collect garbage and let closes complete first; then the peers are closed and compared.
  if (leakCheck) {
    vm.exec('collectgarbage() collectgarbage()', '=leakcheck');
    await sleep(20);
    // Lua memory the block left behind once its objects are collected: coroutines, sockets,
    // timers or registry references that were never released.
    const grown = luaMemoryKiB(rt) - luaBefore;
    if (grown > LUA_LEAK_KIB) peerErrors.push(`Lua memory grew by ${Math.round(grown)} KiB after the block`);
  }
  rt.dispose();
  for (const c of conns) c.destroy();
  server?.close();
  blackhole?.stop();
  if (resourcesBefore) {
    const leaked = await leakedSince(resourcesBefore);
    if (leaked.length) peerErrors.push(`leaked handles after the block: ${leaked.join(', ')}`);
  }
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
