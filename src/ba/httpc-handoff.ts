/**
 * How an httpc object is handed over to ba.socket.http2sock (src/ba/websocket.ts): the
 * connection after a response (a WebSocket after a 101, else a plain socket), or the bare proxy
 * tunnel after "prxready". Also the Lua wrapper that makes http2sock wait for the response head.
 */
import { fieldValues } from '../http/client-exchange.js';
import type { HttpcObj } from './httpc-conn.js';
import type { HttpcHandoff } from './websocket.js';

/**
 * For ba.socket.http2sock: what an httpc object hands over when it has a live connection and a
 * response, an open tunnel (proxycon), or, as in BAS, the connection of a proxy that refused a
 * tunnel; null otherwise.
 */
export function httpcHandoff(h: HttpcObj): HttpcHandoff | null {
  if (h.closed || h.busy) return null;
  const conn = h.conn;
  if (!conn) return null;
  // (A proxy that closed after its answer still gives a socket, as in Mako.)
  if (h.prx === 'ready' || (h.connectError !== null && h.proxyAnswered)) {
    return {
      wsKey: null,
      accept: [],
      extensions: [],
      deflateOffered: false,
      host: h.host,
      tunnel: true,
      take: () => {
        // The object keeps its state (status() still answers), as in BAS.
        h.conn = null;
        h.tlsSock = null;
        conn.onReadable = null;
        return conn;
      },
    };
  }
  const ex = h.ex;
  if (!ex || !ex.head || conn.closed) return null;
  const head = ex.head;
  return {
    wsKey: ex.wsKey,
    accept: fieldValues(head, 'sec-websocket-accept'),
    extensions: fieldValues(head, 'sec-websocket-extensions'),
    deflateOffered: ex.wsDeflate,
    host: ex.url.host,
    tunnel: false,
    take: () => {
      h.conn = null;
      h.tlsSock = null;
      h.ex = null;
      h.closed = true;
      conn.onReadable = null;
      return conn;
    },
  };
}

/**
 * As in Mako, ba.socket.http2sock(h) right after h:request waits for the response head itself
 * (LSP-Examples' TraceLogger client calls it without h:status()).
 */
export const HTTP2SOCK_LUA = `local s = ...
local orig, type, rawget, pcall, select, error = s.http2sock, type, rawget, pcall, select, error
local function head(raw) return raw:status() end
s.http2sock = function(...)
  local h = ...
  local t = type(h)
  if t ~= "table" and t ~= "userdata" then
    error(("bad argument #1 to '?' (HTTPCLIENT expected, got %s)"):format(select("#", ...) == 0 and "no value" or t), 0)
  end
  local raw = h
  if t == "table" then raw = rawget(h, "raw") end
  if type(raw) == "userdata" then pcall(head, raw) end
  return orig(...)
end`;
