// Small helpers shared by the integration tests.
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';

/** A TCP port that was free a moment ago on 127.0.0.1 (for code that must name its port). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
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
