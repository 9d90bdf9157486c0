#!/usr/bin/env node
/**
 * The `remora` command, Mako-compatible (server.md §1):
 *
 *   remora [-c configfile] [-p port] -l<name>:<prio>:<path> [-l ...]
 *   remora DIR            (same as -l::DIR)
 *   remora script.lua     (one-shot script; exits when it ends)
 *
 * Usage, configuration and path problems print one line and exit with status 2.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Runtime } from '../app/runtime.js';
import { ConfigError, defaultServerConfig, loadConfig, type AppSpec, type ServerConfig } from '../app/config.js';
import { AppError } from '../app/app-loader.js';
import { startAppServer } from '../app/app-server.js';
import { AuthConfigError } from '../app/auth.js';
import { HttpsConfigError } from '../app/https-listener.js';
import { installMako } from '../app/mako.js';
import { parseArgs, UsageError, USAGE } from './args.js';

const VERSION = '0.1.0';

function fail(msg: string, code = 2): never {
  process.stderr.write(`remora: ${msg}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) fail(`${e.message}\n${USAGE}`);
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

  // remora DIR / remora script.lua
  if (opts.positional.length > 1) fail(`only one script or directory may be given (got ${opts.positional.join(', ')})`);
  let script: string | null = null;
  const apps: AppSpec[] = [...opts.apps];
  if (opts.positional.length === 1) {
    const p = opts.positional[0]!;
    if (!existsSync(p)) fail(`no such script or directory: ${p}`);
    if (statSync(p).isDirectory()) apps.push({ name: '', prio: 0, path: p });
    else script = p;
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

  const rt = await Runtime.create({
    config: { threadcnt: config.threadcnt, wsmaxsize: config.wsmaxsize, cpuBudgetMs: config.cpubudget },
  });
  installMako(rt, { argv: process.argv.slice(2), execpath: execDir, cfgfname, port: config.port, sslport: config.sslport });
  const stop = (): void => void rt.shutdown(0);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  if (script) {
    let err;
    try {
      err = await rt.runFile(script);
    } catch (e) {
      fail((e as Error).message);
    }
    process.exit(err ? 1 : 0);
  }

  if (apps.length === 0 && config.apps.length === 0) fail(`nothing to run: give -l<name>:<prio>:<path>, a directory, or a script\n${USAGE}`);
  // Listeners first (mako.port is known to .preload), then the apps from the configuration
  // and the -l options in order; requests wait until every .preload has finished (server.md §3).
  // Path problems are reported before any listener opens (one line, status 2).
  for (const spec of [...config.apps, ...apps]) {
    if (!existsSync(spec.path)) fail(`app directory not found: ${spec.path}`);
    if (!statSync(spec.path).isDirectory()) fail(`app path is not a directory: ${spec.path}`);
  }
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

main().catch((e: unknown) => {
  process.stderr.write(`remora: internal error: ${(e as Error)?.stack ?? e}\n`);
  process.exit(70);
});
