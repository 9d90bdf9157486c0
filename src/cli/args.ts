/** Command-line parsing for `remora` (Mako's -c and -l, plus this runtime's own options). */
import type { AppSpec } from '../app/config.js';

export const USAGE = `usage: remora [options] -l<name>:<prio>:<path> [-l...] [word...]
       remora [options] DIR   serve DIR as the root app (same as -l::DIR)
       remora script.lua      run a Lua script once and exit when it ends
  Words that are not options are left to the apps: every command-line word is in mako.argv.
options:
  -c file          configuration file (Lua); default mako.conf next to remora, in the working directory, or in $HOME
  -l spec          load an app: <name>:<prio>:<path> (a directory or a zip file); empty name = root app; the spec may follow -l directly or as the next argument
  -p port          HTTP port (overrides the configuration's 'port'; 0 = any free port)
  --host addr      interface for the HTTP and HTTPS listeners (overrides 'host' and 'sslhost')
  --sslport port   HTTPS port (overrides 'sslport'; 0 = any free port)
  --no-https       open no HTTPS listener (as 'sslport = false' in the configuration)
  -w n             run n server processes sharing the listeners (all cores: -w 0); default 1
  -h, --help       show this text
  --version        show the version`;

/** A bad command line: one line on stderr (`remora: ...`), status 2, no usage text. */
export class UsageError extends Error {}

export interface CliOptions {
  config?: string;
  port?: number;
  sslport?: number;
  noHttps: boolean;
  host?: string;
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

function portValue(flag: string, v: string): number {
  const p = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(p) || p < 0 || p > 65535) throw new UsageError(`bad port '${v}' for ${flag}: expected 0-65535`);
  return p;
}

const LONG_WITH_VALUE = ['--sslport', '--host'];

export function parseArgs(argv: string[]): CliOptions {
  const o: CliOptions = { apps: [], positional: [], help: false, version: false, noHttps: false };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i]!;
    let inline: string | undefined;
    // --name=value and --name value
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    if (eq > 0) {
      inline = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const value = (flag: string): string => {
      if (inline !== undefined) return inline;
      if (!flag.startsWith('--') && a.length > flag.length) return a.slice(flag.length);
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (inline !== undefined && !LONG_WITH_VALUE.includes(a)) throw new UsageError(`option '${a}' takes no value`);
    if (a === '-h' || a === '--help') o.help = true;
    else if (a === '--version') o.version = true;
    else if (a === '--no-https') o.noHttps = true;
    else if (a === '--sslport') o.sslport = portValue('--sslport', value('--sslport'));
    else if (a === '--host') {
      const h = value('--host');
      if (!h) throw new UsageError(`--host needs an address`);
      o.host = h;
    } else if (a.startsWith('--')) throw new UsageError(`unknown option '${a}' (remora --help lists the options)`);
    else if (a.startsWith('-c')) o.config = value('-c');
    else if (a.startsWith('-l')) o.apps.push(parseAppSpec(value('-l')));
    else if (a.startsWith('-w')) {
      const v = value('-w');
      const n = /^\d+$/.test(v) ? Number(v) : NaN;
      if (!Number.isInteger(n) || n < 0 || n > 64) throw new UsageError(`bad worker count '${v}' for -w: expected 0-64`);
      o.workers = n;
    } else if (a.startsWith('-p')) o.port = portValue('-p', value('-p'));
    else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option '${a}' (remora --help lists the options)`);
    else o.positional.push(a);
  }
  if (o.noHttps && o.sslport !== undefined) throw new UsageError(`--no-https and --sslport contradict each other`);
  return o;
}
