// Shared loop of the load clients: opens `conns` connections, lets them run through a warm-up,
// counts completed messages during the measured window, prints "warm" when measuring starts
// and one JSON line at the end, then exits. Bounded by time; stops by itself.

export interface Counter {
  /** Messages completed while measuring. */
  msgs: number;
  errors: number;
  /** Echoes that did not match what was sent. */
  bad: number;
  /** Counts `n` completed messages (only during the measured window). */
  add(n: number): void;
}

export interface LoadConn {
  /** Still usable at the end of the run? */
  open(): boolean;
  close(): void;
}

export interface LoadArgs {
  port: number;
  conns: number;
  size: number;
  warmMs: number;
  measureMs: number;
  depth: number;
  /** Arguments after the six numbers (a request path, say). */
  rest: string[];
}

/** argv: port conns size warmMs measureMs depth [rest...] */
export function loadArgs(argv = process.argv.slice(2)): LoadArgs {
  const [port, conns, size, warmMs, measureMs, depth] = argv.slice(0, 6).map(Number) as [number, number, number, number, number, number];
  return { port, conns, size, warmMs, measureMs, depth, rest: argv.slice(6) };
}

export function drive(a: LoadArgs, open: (counter: Counter) => LoadConn): void {
  let counting = false;
  const counter: Counter = {
    msgs: 0,
    errors: 0,
    bad: 0,
    add(n) {
      if (counting) this.msgs += n;
    },
  };
  const conns: LoadConn[] = [];
  for (let i = 0; i < a.conns; i++) conns.push(open(counter));
  setTimeout(() => {
    counting = true;
    const t0 = performance.now();
    process.stdout.write('warm\n');
    setTimeout(() => {
      counting = false;
      const ms = performance.now() - t0;
      const stillOpen = conns.filter((c) => c.open()).length;
      const { msgs, errors, bad } = counter;
      process.stdout.write(JSON.stringify({ msgs, ms, bytes: msgs * a.size, errors, bad, open: stillOpen }) + '\n');
      for (const c of conns) c.close();
      process.exit(0);
    }, a.measureMs);
  }, a.warmMs);
}

/** Counts whole echoes of `size` bytes in a byte stream and sends one message per echo. */
export function streamEcho(size: number, counter: Counter, send: () => void): (d: Buffer) => void {
  let pending = 0;
  return (d) => {
    pending += d.length;
    let n = 0;
    while (pending >= size) {
      pending -= size;
      n++;
    }
    if (n) {
      counter.add(n);
      for (let i = 0; i < n; i++) send();
    }
  };
}
