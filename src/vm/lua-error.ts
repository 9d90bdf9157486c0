/**
 * One error type for every Lua error that reaches TypeScript: a failed chunk load, an error
 * raised in a coroutine, or a runaway script stopped by its CPU budget.
 */
export class LuaError extends Error {
  /** Chunk name as Lua prints it (`app/.preload`, `[string "..."]`), or '' when unknown. */
  readonly chunk: string;
  /** Line in that chunk, or 0 when unknown. */
  readonly line: number;
  /** The message without the `chunk:line: ` prefix. */
  readonly luaMessage: string;
  /** `stack traceback:` text, or '' when none was available. */
  readonly traceback: string;

  constructor(fullMessage: string, traceback = '') {
    super(fullMessage);
    this.name = 'LuaError';
    const m = /^(.*?):(\d+): ([\s\S]*)$/.exec(fullMessage);
    if (m && !m[1]!.includes('\n')) {
      this.chunk = m[1]!;
      this.line = Number(m[2]);
      this.luaMessage = m[3]!;
    } else {
      this.chunk = '';
      this.line = 0;
      this.luaMessage = fullMessage;
    }
    this.traceback = traceback;
  }

  /** Message followed by the traceback, as written to the trace log. */
  describe(): string {
    return this.traceback ? `${this.message}\n${this.traceback}` : this.message;
  }
}

/**
 * Thrown by host functions to raise a Lua error (`luaL_error` style: the caller's position is
 * prepended unless `level` is 0). The host-function wrapper turns it into `lua_error`.
 */
export class LuaRaise extends Error {
  constructor(message: string, readonly level = 1) {
    super(message);
    this.name = 'LuaRaise';
  }
}

/**
 * A bad argument, raised like lauxlib's luaL_argerror: the function name and the argument
 * number come from the call site when the error is raised (a method call `s:m(x)` does not
 * count self, a call without a name says '?'), so messages read as in BAS.
 */
export class LuaArgError extends LuaRaise {
  constructor(
    readonly arg: number,
    readonly fname: string,
    readonly detail: string,
  ) {
    super(`bad argument #${arg} to '${fname}' (${detail})`);
    this.name = 'LuaArgError';
  }
}
