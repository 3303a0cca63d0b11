// Work that follows an ack (DigitalOcean lookups, Redis writes, Slack posts) runs a few at a time,
// each from a fresh event-loop turn. Without this, a burst of commands starts dozens of such
// chains at once and their callbacks crowd out the parsing and acking of the requests still
// arriving: the benchmark measured a p99 ack 3.7x that of a bare Bolt app, and about 1.2x with
// two at a time. A chain that waits on slow I/O gives up its place after `maxHoldMs`, so a slow
// DigitalOcean or an empty rate budget never holds everybody else's requests back.

export interface AfterAck {
  <T>(work: () => Promise<T>): Promise<T>;
  /** Resolves once every piece of work started so far has ended, or after `timeoutMs`; true if all ended. */
  drain(timeoutMs: number): Promise<boolean>;
  /** Work started and not yet ended. */
  readonly pending: number;
}

export function afterAckQueue(concurrency = 2, maxHoldMs = 250): AfterAck {
  const running = new Set<Promise<unknown>>();
  const queue = limited(concurrency, maxHoldMs);
  const run = (<T>(work: () => Promise<T>): Promise<T> => {
    const p = queue(work);
    const tracked = p.then(
      () => {},
      () => {},
    );
    running.add(tracked);
    void tracked.then(() => running.delete(tracked));
    return p;
  }) as AfterAck;
  run.drain = async (timeoutMs) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      while (running.size > 0) {
        if ((await Promise.race([Promise.all([...running]).then(() => true as const), timeout])) === false) return false;
      }
      return true;
    } finally {
      clearTimeout(timer);
    }
  };
  Object.defineProperty(run, 'pending', { get: () => running.size });
  return run;
}

function limited(concurrency: number, maxHoldMs: number): <T>(work: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  return async (work) => {
    if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    await new Promise((resolve) => setImmediate(resolve));
    let released = false;
    const timer = setTimeout(() => {
      released = true;
      release();
    }, maxHoldMs);
    try {
      return await work();
    } finally {
      clearTimeout(timer);
      if (!released) release();
    }
  };
}
