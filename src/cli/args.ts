/** Command-line parsing for `remora` (server.md §1). */
import type { AppSpec } from '../app/config.js';

export const USAGE = `usage: remora [-c configfile] [-p port] [-w n] -l<name>:<prio>:<path> [-l...]
       remora DIR          serve DIR as the root app (same as -l::DIR)
       remora script.lua   run a Lua script once and exit when it ends
options:
  -c file    configuration file (Lua); default mako.conf next to remora, in the working directory, or in $HOME
  -l spec    load an app: <name>:<prio>:<path>; empty name = root app; the spec may follow -l directly or as the next argument
  -p port    HTTP port (overrides the configuration's 'port')
  -w n       run n server processes sharing the listeners (all cores: -w 0); default 1
  -h, --help show this text
  --version  show the version`;

export class UsageError extends Error {}

export interface CliOptions {
  config?: string;
  port?: number;
  workers?: number;
  apps: AppSpec[];
  positional: string[];
  help: boolean;
  version: boolean;
}

/** Parses `<name>:<prio>:<path>`; prio may be empty (0); the path may contain ':'. */
export function parseAppSpec(spec: string): AppSpec {
  const a = spec.indexOf(':');
  if (a < 0) throw new UsageError(`bad -l value '${spec}': expected <name>:<prio>:<path>`);
  const b = spec.indexOf(':', a + 1);
  if (b < 0) throw new UsageError(`bad -l value '${spec}': expected <name>:<prio>:<path>`);
  const name = spec.slice(0, a);
  const prioText = spec.slice(a + 1, b);
  const path = spec.slice(b + 1);
  if (!path) throw new UsageError(`bad -l value '${spec}': the path is empty`);
  const prio = prioText === '' ? 0 : Number(prioText);
  if (!Number.isInteger(prio)) throw new UsageError(`bad -l value '${spec}': priority '${prioText}' is not an integer`);
  return { name, prio, path };
}

export function parseArgs(argv: string[]): CliOptions {
  const o: CliOptions = { apps: [], positional: [], help: false, version: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (flag: string): string => {
      if (a.length > flag.length) return a.slice(flag.length);
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (a === '-h' || a === '--help') o.help = true;
    else if (a === '--version') o.version = true;
    else if (a.startsWith('-c')) o.config = value('-c');
    else if (a.startsWith('-l')) o.apps.push(parseAppSpec(value('-l')));
    else if (a.startsWith('-w')) {
      const n = Number(value('-w'));
      if (!Number.isInteger(n) || n < 0 || n > 64) throw new UsageError(`bad worker count '${a}'`);
      o.workers = n;
    } else if (a.startsWith('-p')) {
      const p = Number(value('-p'));
      if (!Number.isInteger(p) || p < 0 || p > 65535) throw new UsageError(`bad port '${a}'`);
      o.port = p;
    } else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option '${a}'`);
    else o.positional.push(a);
  }
  return o;
}
