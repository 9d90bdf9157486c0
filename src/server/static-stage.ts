/**
 * Static files: anything routing found that is not a page is sent as is, with
 * conditional requests, ranges and MIME types (src/http/send-file.ts; a file of a zip, net
 * or Lua-implemented IO through src/server/io-files.ts).
 */
import { sendFile } from '../http/send-file.js';
import { sendIoFile } from './io-files.js';
import type { Stage } from './stages.js';

export function staticStage(): Stage {
  return (rc, next) => {
    const f = rc.file;
    if (!f || f.isLsp) return next();
    if (f.io) return sendIoFile(rc.exchange, f.io, f);
    return sendFile(rc.exchange, f);
  };
}
