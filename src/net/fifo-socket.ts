/** A stream over an open FIFO (or other pipe) file descriptor, read and written like a TCP socket. */
import net from 'node:net';

export function fifoSocket(fd: number, readable: boolean): net.Socket {
  return new net.Socket({ fd, readable, writable: true, allowHalfOpen: true });
}
