/**
 * What every `ba.*` namespace module gets: the VM, the dispatcher, the trace log, argument
 * checks, and a few cross-module hooks (so socket.ts can accept bytearrays without importing
 * bytearray.ts, and so on).
 */
import type { Scheduler } from '../sched/scheduler.js';
import type { TraceLog } from '../sched/trace-log.js';
import type { LState, LuaVM } from '../vm/lua-vm.js';
import { Args } from './args.js';

export interface RuntimeConfig {
  /** ba.thread pool size (threadcnt). */
  threadcnt: number;
  /** Largest WebSocket message (wsmaxsize). */
  wsmaxsize: number;
  /** Default of req2sock's `deflate` option: negotiate permessage-deflate (wsdeflate). */
  wsdeflate?: boolean;
  /** CPU budget per resume in ms; 0 = unlimited. */
  cpuBudgetMs: number;
  /** Root of ba.openio"home" (config key homeio); default: the working directory. */
  homeio?: string;
  /** An app's IO follows symbolic links that lead out of the app (iosymlinks; default false). */
  ioSymlinks?: boolean;
  /** Allow precompiled (binary) chunks in load/loadfile/require (binarychunks; default false). */
  binaryChunks?: boolean;
  /** ms the whole graceful shutdown may take (shutdowngrace, default 5000). */
  shutdownGraceMs?: number;
  /** ms an accepted TLS connection has to complete its handshake (handshaketimeout). */
  handshakeTimeoutMs?: number;
  /**
   * Folders whose modules `require` finds before package.path (config key `modules`), each
   * the `.lua` folder itself; the vm resources' `.lua` folder is searched after them.
   */
  modules?: string[];
}

export const defaultConfig: RuntimeConfig = {
  threadcnt: 3,
  wsmaxsize: 16 * 1024 * 1024,
  cpuBudgetMs: 1_000,
};

export class BaContext {
  readonly args: Args;
  /** Registry reference of the `ba` table. */
  baRef = 0;
  /** Returns the bytes of a non-string value that sockets accept as data (bytearrays). */
  extraBytes: Array<(L: LState, idx: number) => Uint8Array | null> = [];
  /** Functions run at shutdown after onunload, before waiting cosockets are resumed. */
  readonly shutdownHooks: Array<() => void> = [];

  constructor(
    readonly vm: LuaVM,
    readonly sched: Scheduler,
    readonly log: TraceLog,
    readonly config: RuntimeConfig,
  ) {
    this.args = new Args(vm);
  }

  /** Pushes the `ba` table. */
  pushBa(L: LState): void {
    this.vm.pushRef(L, this.baRef);
  }

  /** Bytes of a value a socket may send: string, number, or an extension type; else null. */
  dataBytes(L: LState, idx: number): Uint8Array | null {
    const v = this.vm.viewBytes(L, idx);
    if (v) return v;
    for (const f of this.extraBytes) {
      const b = f(L, idx);
      if (b) return b;
    }
    return null;
  }
}
