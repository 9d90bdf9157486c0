// Small helpers shared by the integration tests.
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * A TCP port that was free a moment ago on 127.0.0.1 (for code that must name its port). It is
 * chosen below the kernel's ephemeral range: a port from listen(0) goes to the next listen(0)
 * or outgoing connection of any process once it is closed, and on a loaded machine another
 * test had it before the server bound it (a compat probe's bind failed; a redirector meant to
 * find nothing there reached another test's server).
 */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  for (let i = 0; i < 50; i++) {
    const p = 10000 + Math.floor(Math.random() * (low - 10000));
    if (await canListen(p)) return p;
  }
  return listenPort(0);
}

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (low > 11000) return low;
  } catch {
    // not Linux: the usual range starts at 49152
  }
  return 32768;
}

function canListen(port: number): Promise<boolean> {
  return listenPort(port).then(
    () => true,
    () => false,
  );
}

function listenPort(port: number): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.on('error', rej);
    s.listen(port, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => res(p));
    });
  });
}

export interface CliProc {
  child: ChildProcess;
  /** Everything printed so far (stdout and stderr). */
  out(): string;
  port: number;
  /** HTTPS port, when the start-up line named one (else 0). */
  sslport: number;
  exited: Promise<number | null>;
}

/** Starts the `remora` command and waits for its "HTTP server listening on port N" line. */
export function startCli(args: string[]): Promise<CliProc> {
  return startCliCommand(process.execPath, ['dist/src/cli/main.js', ...args]);
}

/** startCli with extra environment variables. */
export function startCliEnv(args: string[], env: Record<string, string>): Promise<CliProc> {
  return startCliCommand(process.execPath, ['dist/src/cli/main.js', ...args], undefined, env);
}

/** The same for another command line (an installed `remora`), optionally in another directory. */
export async function startCliCommand(command: string, args: string[], cwd?: string, env?: Record<string, string>): Promise<CliProc> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd, env: env ? { ...process.env, ...env } : undefined });
  let text = '';
  child.stdout!.on('data', (b: Buffer) => (text += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (text += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const deadline = Date.now() + 15_000;
  let m: RegExpExecArray | null = null;
  while (!(m = /HTTP server listening on port (\d+)(?:, HTTPS on port (\d+))?/.exec(text))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`server did not start: ${text}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, out: () => text, port: Number(m[1]), sslport: Number(m[2] ?? 0), exited };
}
