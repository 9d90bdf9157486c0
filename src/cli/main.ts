#!/usr/bin/env -S node --max-semi-space-size=32
/**
 * The `remora` command, Mako-compatible (Mako's -c and -l, a directory, or a script):
 *
 *   remora [-c configfile] [-p port] -l<name>:<prio>:<path> [-l ...]
 *   remora DIR            (same as -l::DIR)
 *   remora script.lua     (one-shot script; exits when it ends)
 *
 * Usage, configuration and path problems print one line and exit with status 2.
 */
import cluster from 'node:cluster';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { availableParallelism, homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Runtime } from '../app/runtime.js';
import { ConfigError, defaultServerConfig, loadConfig, type AppSpec, type ServerConfig } from '../app/config.js';
import { AppError, isZipFile } from '../app/app-loader.js';
import { startAppServer } from '../server/app-server.js';
import { installCreateLoader } from '../server/mako-apps.js';
import { AuthConfigError } from '../server/auth.js';
import { HttpsConfigError } from '../server/https-listener.js';
import { installMako } from '../app/mako.js';
import { parseArgs, UsageError, USAGE } from './args.js';

const VERSION = '0.1.0';

function fail(msg: string, code = 2): never {
  process.stderr.write(`remora: ${msg}\n`);
  process.exit(code);
}

/**
 * Exits once everything written to stdout and stderr has been handed to them. Node writes to a
 * pipe that is full (a reader that is slower than the script's prints) later, from its event
 * loop, and process.exit drops what is still queued: the last lines a script printed before
 * mako.exit() were lost. A write's callback runs after the writes queued before it.
 */
function exitFlushed(code: number): void {
  let pending = 2;
  const done = (): void => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

/** A numeric key of the configuration file, or undefined. */
function rawNum(config: ServerConfig, key: string): number | undefined {
  const v = config.raw[key];
  return typeof v === 'number' ? v : undefined;
}

async function main(): Promise<void> {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) fail(e.message);
    throw e;
  }
  if (opts.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (opts.version) {
    process.stdout.write(`remora ${VERSION}\n`);
    return;
  }

  // remora script.lua / remora DIR. As in Mako, a single argument that does not start with
  // "-" is a one-shot script (here also a directory); other words are arguments for the apps
  // (mako.argv), so `remora -l::www digest` starts the app with "digest" in mako.argv. remora
  // also takes one script or directory after options when no app is given with -l.
  let script: string | null = null;
  const apps: AppSpec[] = [...opts.apps];
  const words = process.argv.slice(2);
  const single = words.length === 1 && !words[0]!.startsWith('-') ? words[0]! : null;
  const target = single ?? (opts.apps.length === 0 && opts.positional.length === 1 ? opts.positional[0]! : null);
  if (target !== null) {
    if (!existsSync(target)) fail(`no such script or directory: ${target}`);
    if (statSync(target).isDirectory()) apps.push({ name: '', prio: 0, path: target });
    else script = target;
  } else if (opts.apps.length === 0 && opts.positional.length > 1) {
    fail(`only one script or directory may be given (got ${opts.positional.join(', ')})`);
  }

  let config: ServerConfig = defaultServerConfig();
  let cfgfname = '';
  const execDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  const candidates = opts.config ? [opts.config] : [join(execDir, 'mako.conf'), resolve('mako.conf'), join(homedir(), 'mako.conf')];
  for (const c of candidates) {
    if (opts.config || existsSync(c)) {
      try {
        config = await loadConfig(c);
      } catch (e) {
        if (e instanceof ConfigError) fail(e.message);
        throw e;
      }
      cfgfname = resolve(c);
      break;
    }
  }
  if (opts.port !== undefined) config.port = opts.port;
  if (opts.sslport !== undefined) {
    config.sslport = opts.sslport;
    config.https = true;
  }
  if (opts.noHttps) config.https = false;
  if (opts.host !== undefined) config.host = config.sslhost = opts.host;
  let workers = opts.workers ?? config.workers;
  if (workers === 0) workers = availableParallelism();
  if (config.maxworkers > 0 && workers > config.maxworkers && !script && cluster.isPrimary) {
    // Apps that keep state in one Lua VM (a chat's member list) say so in their configuration.
    process.stderr.write(
      `remora: running ${config.maxworkers} worker${config.maxworkers === 1 ? '' : 's'}, not ${workers}: ` +
        `${cfgfname ? relative(process.cwd(), cfgfname) : 'the configuration'} sets maxworkers = ${config.maxworkers}${config.maxworkersnote ? ` (${config.maxworkersnote})` : ''}\n`,
    );
    workers = config.maxworkers;
  }
  if (!script) {
    if (apps.length === 0 && config.apps.length === 0) fail(`nothing to run: give -l<name>:<prio>:<path>, a directory, or a script (remora --help lists the options)`);
    // Path problems are reported before any listener opens (one line, status 2).
    for (const spec of [...config.apps, ...apps]) {
      if (!existsSync(spec.path)) fail(`app directory not found: ${spec.path}`);
      if (!statSync(spec.path).isDirectory() && !isZipFile(spec.path)) fail(`app path is neither a directory nor a zip file: ${spec.path}`);
    }
  }
  if (!script && cluster.isPrimary && workers !== 1) {
    runPrimary(workers);
    return;
  }

  const rt = await Runtime.create({
    onExit: exitFlushed,
    config: { threadcnt: config.threadcnt, wsmaxsize: config.wsmaxsize, wsdeflate: config.wsdeflate, cpuBudgetMs: config.cpubudget, homeio: config.homeio, handshakeTimeoutMs: rawNum(config, 'handshaketimeout'), shutdownGraceMs: rawNum(config, 'shutdowngrace'), binaryChunks: config.raw.binarychunks === true, ioSymlinks: config.raw.iosymlinks === true, modules: config.modules },
  });
  installMako(rt, { argv: process.argv.slice(2), execpath: execDir, cfgfname, port: config.port, sslport: config.https ? config.sslport : 0 });
  // The first SIGINT/SIGTERM shuts down gracefully (bounded by shutdowngrace); a second one
  // exits at once with the shell's status for the signal (issue 14).
  let signalled = false;
  const stop = (sig: NodeJS.Signals): void => {
    // A worker may get a terminal's Ctrl-C twice (from the terminal and from the primary);
    // the primary handles a second signal by killing the workers.
    if (signalled && !cluster.isWorker) {
      process.stderr.write(`remora: second ${sig}: exiting now\n`);
      process.exit(sig === 'SIGINT' ? 130 : 143);
    }
    signalled = true;
    void rt.shutdown(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  if (script) {
    installCreateLoader(rt);
    let err;
    try {
      err = await rt.runFile(script);
    } catch (e) {
      fail((e as Error).message);
    }
    // mako.exit(code) / os.exit(code) in the script: the process exits with that code.
    // (the shutdown ends with onExit, which exits with the script's code)
    if (rt.exiting) await rt.shutdown();
    else exitFlushed(err ? 1 : 0);
    return;
  }

  // Listeners first (mako.port is known to .preload), then the apps from the configuration
  // and the -l options in order; requests wait until every .preload has finished.
  try {
    const server = await startAppServer(rt, config, apps, {}, (line) => process.stderr.write(line));
    await server.ready;
  } catch (e) {
    if (e instanceof AppError || e instanceof AuthConfigError || e instanceof HttpsConfigError) fail(e.message);
    if (e instanceof Error && /cannot open a listening port/.test(e.message)) fail(e.message);
    throw e;
  }
  // An app server keeps running until it is told to stop.
  setInterval(() => {}, 1 << 30);
}

/**
 * Cluster mode: `n` worker processes, each a complete server (its own Lua VM and apps), share
 * the listening sockets through node:cluster, so all cores serve. SIGINT/SIGTERM are passed to
 * every worker (each runs its graceful shutdown); the primary exits when all have, with the
 * first non-zero status. A worker that dies on its own is restarted.
 */
function runPrimary(n: number): void {
  let stopping = false;
  let status = 0;
  let nextId = 1;
  const start = (): void => {
    // Scripts can tell the workers apart: os.getenv("REMORA_WORKER") is 1, 2, ...
    const w = cluster.fork({ REMORA_WORKER: String(nextId++) });
    w.on('exit', (code, signal) => {
      if (code) status ||= code;
      // Status 2 is a configuration problem: every worker would fail the same way.
      if (code === 2 && !stopping) stop('SIGTERM');
      if (stopping) {
        if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(status);
        return;
      }
      process.stderr.write(`remora: worker ${w.process.pid} exited (${signal ?? code}); starting another\n`);
      setTimeout(start, 500);
    });
  };
  function stop(sig: NodeJS.Signals): void {
    if (stopping && (sig === 'SIGINT' || sig === 'SIGTERM') && signalled) {
      // A second signal: the workers are killed and the primary exits at once.
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
      process.exit(sig === 'SIGINT' ? 130 : 143);
    }
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(sig);
  }
  for (let i = 0; i < n; i++) start();
  let signalled = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    stop(sig);
    signalled = true;
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}

main().catch((e: unknown) => {
  process.stderr.write(`remora: internal error: ${(e as Error)?.stack ?? e}\n`);
  process.exit(70);
});
