// The baseline of bench/ws.ts: a `ws` package echo server on ECHO_PORT, messages echoed with
// their type; no compression unless the argument `deflate` is given (permessage-deflate, every
// message compressed).
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.env.ECHO_PORT), perMessageDeflate: process.argv.includes('deflate') ? { threshold: 0 } : false, maxPayload: 64 * 1024 * 1024 });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
