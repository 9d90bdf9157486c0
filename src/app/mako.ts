/**
 * The global `mako` table (server.md §3) so Mako apps run unchanged. Members that need the
 * HTTP server (createapp, startapp, ...) are added by it when present.
 */
import type { Runtime } from './runtime.js';

export interface MakoInfo {
  argv: string[];
  execpath: string;
  cfgfname: string;
  port: number;
  sslport: number;
}

export function installMako(rt: Runtime, info: MakoInfo): void {
  const { vm } = rt;
  const L = vm.L;
  vm.newTable(L);
  vm.newTable(L, info.argv.length);
  info.argv.forEach((a, i) => {
    vm.pushString(L, a);
    vm.rawSetI(L, -2, i + 1);
  });
  vm.setField(L, -2, 'argv');
  vm.pushString(L, info.execpath);
  vm.setField(L, -2, 'execpath');
  vm.pushString(L, info.cfgfname);
  vm.setField(L, -2, 'cfgfname');
  vm.pushInteger(L, info.port);
  vm.setField(L, -2, 'port');
  vm.pushInteger(L, info.sslport);
  vm.setField(L, -2, 'sslport');
  vm.setHost(L, -1, 'exit', (L) => {
    const code = vm.toInteger(L, 1) ?? 0;
    void rt.shutdown(code);
    return 0;
  });
  vm.setGlobal(L, 'mako');
}
