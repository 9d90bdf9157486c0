/**
 * Static files: anything routing found that is not a page is sent as is, with
 * conditional requests, ranges and MIME types (src/http/send-file.ts).
 */
import { sendFile } from '../http/send-file.js';
import type { Stage } from './stages.js';

export function staticStage(): Stage {
  return (rc, next) => {
    const f = rc.file;
    if (!f || f.isLsp) return next();
    return sendFile(rc.exchange, f);
  };
}
