// A Slack 429 pauses the outbox everywhere: two outbox workers (as in two worker processes, each
// with its own Redis connection) share one queue, and after either is told to wait, neither
// delivers anything until the time Slack asked for has passed.
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { SlackDeliveryError, SlackOutbox, createOutboxWorker, type OutboxTarget } from '../../src/queue/slack-outbox.js';
import { createLogger } from '../../src/log.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';
import { until } from '../support/until.js';

const prefix = uniquePrefix('outbox-429');
const connections: Redis[] = [];
const connect = () => {
  const r = new Redis(redisUrl(), { maxRetriesPerRequest: null });
  connections.push(r);
  return r;
};
afterAll(async () => {
  for (const r of connections) r.disconnect();
  await deleteKeys(prefix);
});

describe('the Slack outbox on a 429', () => {
  it('pauses every worker for the time Slack asked', async () => {
    const calls: Array<{ at: number; key: string; limited: boolean }> = [];
    const delivery = {
      async deliver(_target: OutboxTarget, entry: { key?: string }) {
        const limited = calls.length === 0;
        calls.push({ at: Date.now(), key: entry.key ?? '', limited });
        if (limited) throw new SlackDeliveryError('ratelimited', false, 1000);
      },
    };
    const logger = createLogger({ level: 'silent' });
    const workers = [createOutboxWorker({ connection: connect(), prefix, delivery, logger }), createOutboxWorker({ connection: connect(), prefix, delivery, logger })];
    const redis = connect();
    const queue = SlackOutbox.createQueue(redis, prefix);
    const outbox = new SlackOutbox(redis, prefix, queue);
    try {
      const publish = (i: number) => outbox.publish({ requestId: `r${i}`, channel: 'C1', rootTs: '' }, [{ kind: 'post', channel: 'C1', key: `k${i}`, text: `line ${i}` }]);
      await publish(1);
      await until('the 429', () => calls.length === 1);
      // Lines that come in during the pause wait for it, whichever worker takes them.
      for (let i = 2; i <= 6; i++) await publish(i);
      await until('every line delivered', () => new Set(calls.filter((c) => !c.limited).map((c) => c.key)).size === 6, 15_000);
      const limited = calls.find((c) => c.limited)!;
      const after = calls.filter((c) => c.at > limited.at);
      expect(after.length).toBeGreaterThanOrEqual(6);
      for (const c of after) expect(c.at - limited.at).toBeGreaterThanOrEqual(900);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
      await queue.close();
    }
  });
});
