// Work that follows an ack (DigitalOcean lookups, Redis writes, Slack posts) runs a few at a time,
// each from a fresh event-loop turn. Without this, a burst of commands starts dozens of such
// chains at once and their callbacks crowd out the parsing and acking of the requests still
// arriving: the benchmark measured a p99 ack 3.7x that of a bare Bolt app, and about 1.2x with
// two at a time. A chain that waits on slow I/O gives up its place after `maxHoldMs`, so a slow
// DigitalOcean or an empty rate budget never holds everybody else's requests back.

export type AfterAck = <T>(work: () => Promise<T>) => Promise<T>;

export function afterAckQueue(concurrency = 2, maxHoldMs = 250): AfterAck {
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
