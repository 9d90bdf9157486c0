/**
 * HTTP sessions: the store lives with the authentication core (src/ba/auth-core.ts), which the
 * Lua API and the configuration-file rules share; re-exported here for the server.
 */
export { SESSION_COOKIE, SessionStore, RequestSession, type Session } from '../ba/auth-core.js';
