/**
 * ba.pipe, as BAS has it on POSIX: `ba.pipe.mkfifo(path [, mode])` makes a named pipe and
 * `ba.pipe.open(path [, fn, ...])` opens one as a socket object: with a function, read-write and
 * run as that function's cosocket (`fn(sock, ...)`, as `ba.socket.event`); without, write only.
 * The object has the socket methods (read, write, close, ...) and prints as "[Pipe ...]".
 */
import { T_FUNCTION, type LState } from '../vm/lua-vm.js';
import { pushSubTable } from '../vm/lua-values.js';
import { ioErrorOf } from '../fs/fs-op.js';
import { makeFifo, openFifo } from '../fs/fifo.js';
import { fifoSocket } from '../net/fifo-socket.js';
import type { BaContext } from './context.js';
import type { SocketLib } from './socket.js';

/** mkfifo's default mode in BAS: S_IRWXU. */
const DEFAULT_MODE = 0o700;

export function installPipe(ctx: BaContext, sockets: SocketLib): void {
  const { vm, args } = ctx;
  const L0 = vm.L;
  const sysErr = (L: LState, e: unknown): number => sockets.nilSysErr(L, ioErrorOf(e).message);
  ctx.pushBa(L0);
  pushSubTable(vm, L0, 'pipe');
  vm.setHost(L0, -1, 'mkfifo', (L) => {
    const path = args.checkString(L, 1, 'mkfifo');
    const mode = args.isNoneOrNil(L, 2) ? DEFAULT_MODE : args.checkInteger(L, 2, 'mkfifo');
    try {
      makeFifo(path, mode);
    } catch (e) {
      return sysErr(L, e);
    }
    vm.pushBoolean(L, true);
    return 1;
  });
  vm.setHost(L0, -1, 'open', (L) => {
    const path = args.checkString(L, 1, 'open');
    const withFn = vm.type(L, 2) === T_FUNCTION;
    let fd: number;
    try {
      fd = openFifo(path, withFn);
    } catch (e) {
      return sysErr(L, e);
    }
    const s = sockets.newSock('tcp');
    s.hadNet = true;
    s.label = 'Pipe';
    if (!withFn) s.idleState = 'disabled';
    const so = fifoSocket(fd, withFn);
    so.on('error', () => undefined);
    sockets.attachConn(s, so);
    if (withFn) {
      const task = sockets.startCosocket(L, s, 2, Math.max(0, vm.top(L) - 2), false);
      if (task.done && s.closed) {
        vm.pushNil(L);
        return 1;
      }
    }
    sockets.pushSock(L, s);
    return 1;
  });
  vm.pop(L0, 2);
}
