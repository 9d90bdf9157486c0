/**
 * V8 flags the `remora` command runs with (its `#!` line, `npm start`, the benchmarks and
 * cluster workers, which inherit them). A 32 MiB young generation: a server allocates many
 * short-lived objects per request (request heads, Buffers, strings), and with V8's default
 * semi-space the scavenger ran often enough to take 15% of an LSP page's CPU (measured with
 * `npm run bench:lsp`: +25–30% requests/s). The flag has to be on the command line: set
 * later with `v8.setFlagsFromString` it has no effect. test/unit/cli/node-flags.test.ts keeps
 * the `#!` line and package.json in step with this list.
 */
export const REMORA_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];
