/**
 * The one internal IO interface: what the server's file serving, LSP compilation and the
 * functions that take an IO (`ba.create.resrdr`, `ba.mkio`, `ba.create.upload`, `ba.loadfile`)
 * need from an IO object, whatever kind it is. Each kind implements it once: a disk tree, a
 * zip file and the net IO (`IoDef`, src/ba/io-def.ts), a Lua-implemented IO
 * (`ba.create.luaio`, src/ba/luaio.ts).
 *
 * Names are relative to the IO, "/" separated, without a leading "/" ("" is the root).
 * Failures reject with an `IoError` (src/fs/fs-op.ts) carrying BAS's code.
 */

export interface IoStat {
  size: number;
  mtimeMs: number;
  isdir: boolean;
}

export interface IoEntry {
  name: string;
  isdir: boolean;
  /** Seconds. */
  mtime: number;
  size: number;
}

/** A file opened for reading. */
export interface IoReader {
  /** Up to `max` bytes; null at the end of the file. */
  read(max: number): Promise<Buffer | null>;
  /** Moves to byte `pos` from the start. */
  seek(pos: number): Promise<void>;
  close(): Promise<void>;
}

/** A file opened for writing (created or truncated). */
export interface IoWriter {
  write(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface IoSource {
  /**
   * The directory on disk when the IO is a plain disk tree: the server serves it through its
   * own file path (lookup cache, streaming from the file); null for every other kind.
   */
  readonly diskRoot: string | null;
  /** Unique per IO object of the process (keys the compiled pages of its files). */
  readonly uid: string;
  /** null when there is nothing at `name`. */
  stat(name: string): Promise<IoStat | null>;
  open(name: string): Promise<IoReader>;
  /** Creates or truncates `name`; rejects with "noaccess" on a read-only IO. */
  create(name: string): Promise<IoWriter>;
  list(dir: string): Promise<IoEntry[]>;
  /**
   * The whole file at once, for callers that cannot wait (a certificate made where Lua cannot
   * yield); null when this IO can only answer later. Throws IoError.
   */
  readNow?(name: string): Buffer | null;

  // Mako's IO properties beyond files (io:encrypted, io:setpasswd, io:netconf, io:close). A
  // kind without one answers as Mako's IOs that lack the property: see each default.

  /** Whether entry `name` is AES encrypted (zip files); throws IoError. Default: "noimplementation". */
  encrypted?(name: string): boolean;
  /** Sets the password of AES entries; false when the kind has none (the default). */
  setPassword?(pwd: Buffer, bin: boolean, required: boolean): boolean;
  /**
   * Network settings: 'set' (the net IO), 'failed' (an IO that refuses them), 'notnet' (the
   * default: "Not a NetIo object").
   */
  netconf?(cfg: NetConf): 'set' | 'failed' | 'notnet';
  /** io:close: 'closed' (zip files, once), 'static' (the named IOs), 'unsupported' (the default). */
  closeIo?(): 'closed' | 'static' | 'unsupported';
}

/** io:netconf's settings (the fields of its table that are present). */
export interface NetConf {
  user?: string;
  pass?: string;
  proxy?: string;
  proxyport?: number;
  proxyuser?: string;
  proxypass?: string;
  socks?: boolean;
  ipv6?: boolean;
  intf?: string;
  /** The TLS client context (`shark`); its type is the net IO client's business. */
  shark?: object;
}

let uids = 0;

/** A new value for `IoSource.uid`. */
export function newIoUid(): string {
  return `\0io${++uids}:`;
}

/** The whole file `name` of `io`. */
export async function readWhole(io: IoSource, name: string): Promise<Buffer> {
  const f = await io.open(name);
  const parts: Buffer[] = [];
  try {
    for (;;) {
      const b = await f.read(64 * 1024);
      if (b === null) break;
      parts.push(b);
    }
  } finally {
    await f.close();
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** A reader over bytes in memory (a zip entry, a fetched body). */
export class BufferReader implements IoReader {
  private pos = 0;
  constructor(private readonly data: Buffer) {}

  async read(max: number): Promise<Buffer | null> {
    if (this.pos >= this.data.length) return null;
    const b = this.data.subarray(this.pos, this.pos + max);
    this.pos += b.length;
    return b;
  }

  async seek(pos: number): Promise<void> {
    this.pos = Math.max(0, pos);
  }

  async close(): Promise<void> {}
}
