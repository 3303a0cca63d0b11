// The shared DigitalOcean request budget, against a real Redis, with the windows shortened so
// that sliding-window behaviour shows in milliseconds rather than minutes.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DigitalOceanError } from '../../src/digitalocean/errors.js';
import { BUDGET_SPENT, RedisRateBudget, budgetId, type RateBudgetOptions } from '../../src/digitalocean/rate-budget.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

const TOKEN = 'dop_v1_budgettesttoken0123456789abcdef';
let redisA: Redis;
let redisB: Redis;
const prefixes: string[] = [];

beforeAll(() => {
  // Two connections stand for two processes of the bot.
  redisA = new Redis(redisUrl());
  redisB = new Redis(redisUrl());
});
afterEach(async () => {
  await Promise.all(prefixes.splice(0).map((p) => deleteKeys(p)));
});
afterAll(() => {
  redisA.disconnect();
  redisB.disconnect();
});

function budgets(opts: Partial<RateBudgetOptions> = {}): [RedisRateBudget, RedisRateBudget] {
  const prefix = opts.prefix ?? uniquePrefix('budget');
  prefixes.push(prefix);
  const base = { prefix, token: TOKEN, perMinute: 1000, perHour: 1000, minuteMs: 400, hourMs: 60_000, ...opts };
  return [new RedisRateBudget({ ...base, redis: redisA }), new RedisRateBudget({ ...base, redis: redisB })];
}

/** Takes a slot, "sends" a request that takes `latencyMs`, settles it; returns when it was granted. */
async function use(budget: RedisRateBudget, latencyMs = 0, answer = {}): Promise<number> {
  const ticket = await budget.acquire();
  const grantedAt = performance.now();
  if (latencyMs) await sleep(latencyMs);
  await ticket.settle({ status: 200, ...answer });
  return grantedAt;
}

describe('RedisRateBudget', () => {
  it('lets no more than perMinute through in any window, and makes the rest wait instead of failing', async () => {
    const [a, b] = budgets({ perMinute: 3 });
    const t0 = performance.now();
    const grants = (await Promise.all([...Array(4)].map(() => use(a)).concat([...Array(3)].map(() => use(b))))).sort((x, y) => x - y);
    expect(grants).toHaveLength(7);
    // Both "processes" draw from one budget: three at once, the next three a window later, then one more.
    expect(grants[2]! - t0).toBeLessThan(300);
    expect(grants[3]! - grants[0]!).toBeGreaterThanOrEqual(395);
    expect(grants[6]! - grants[3]!).toBeGreaterThanOrEqual(395);
    for (let i = 3; i < grants.length; i++) expect(grants[i]! - grants[i - 3]!).toBeGreaterThanOrEqual(395);
  });

  it('counts a slot from when the answer arrived, never earlier than DigitalOcean counted it', async () => {
    const [a] = budgets({ perMinute: 1 });
    const t0 = performance.now();
    await use(a, 250); // answered 250 ms after it was sent
    const second = await use(a);
    expect(second - t0).toBeGreaterThanOrEqual(250 + 395);
  });

  it('lets status reads use only four fifths of a window, so a POST still gets a slot when polling has used its share', async () => {
    const [a] = budgets({ perMinute: 10, minuteMs: 5000, maxWaitMs: 50 });
    const reads = a.statusReads();
    for (let i = 0; i < 8; i++) await (await reads.acquire()).settle({ status: 200 });
    // The ninth status read would have to wait for the window: polling slows first...
    await expect(reads.acquire()).rejects.toMatchObject({ id: BUDGET_SPENT });
    // ...while a POST still goes at once, twice.
    const start = performance.now();
    await use(a);
    await use(a);
    expect(performance.now() - start).toBeLessThan(1000);
    await expect(a.acquire()).rejects.toMatchObject({ id: BUDGET_SPENT });
  });

  it('keeps the hourly limit too', async () => {
    const [a, b] = budgets({ perMinute: 100, perHour: 2, hourMs: 500 });
    const t0 = performance.now();
    await use(a);
    await use(b);
    const third = await use(a);
    expect(third - t0).toBeGreaterThanOrEqual(495);
  });

  it('fails at once, without sending, when the wait would exceed maxWaitMs', async () => {
    const waits: number[] = [];
    const [a] = budgets({ perMinute: 1, minuteMs: 5000, maxWaitMs: 1000, onWait: (ms) => waits.push(ms) });
    await use(a);
    const err = await a.acquire().catch((e: unknown) => e);
    expect(waits).toEqual([]);
    expect(err).toBeInstanceOf(DigitalOceanError);
    expect(err).toMatchObject({ status: 429, id: BUDGET_SPENT });
    expect((err as DigitalOceanError).retryAfterMs).toBeGreaterThan(4000);
  });

  it('never spends more than ratelimit-remaining says is left, until DigitalOcean reports more', async () => {
    const [a, b] = budgets({ perMinute: 100, perHour: 100, maxWaitMs: 300 });
    const resetSoon = Math.ceil(Date.now() / 1000) + 3600;
    // Someone else uses the token too: DigitalOcean says 2 remain although we sent only one.
    await use(a, 0, { rateLimit: { limit: 100, remaining: 2, reset: resetSoon } });
    await use(b, 0, {});
    await use(a, 0, {});
    const err = await b.acquire().catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 429, id: BUDGET_SPENT });
  });

  it('lets one probe through once the reported reset time has passed', async () => {
    const [a] = budgets({ perMinute: 100, perHour: 100, maxWaitMs: 300 });
    const past = Math.floor(Date.now() / 1000) - 1;
    await use(a, 0, { rateLimit: { limit: 100, remaining: 0, reset: past } });
    const probe = await a.acquire();
    // Only one: until its answer comes, nobody knows how many more were freed.
    await expect(a.acquire()).rejects.toMatchObject({ status: 429, id: BUDGET_SPENT });
    // The probe's answer brings fresh numbers, and they free the budget again.
    await probe.settle({ status: 200, rateLimit: { limit: 100, remaining: 5, reset: Math.ceil(Date.now() / 1000) + 3600 } });
    await use(a);
  });

  it('takes requests still unanswered when the count was made off what remains', async () => {
    const [a, b] = budgets({ perMinute: 100, perHour: 100, maxWaitMs: 300 });
    const slow = await a.acquire(); // sent, answer not back yet
    const ticket = await b.acquire();
    // DigitalOcean answers the second first: 1 remains, but the first may be counted after it.
    await ticket.settle({ status: 200, rateLimit: { limit: 100, remaining: 1, reset: Math.ceil(Date.now() / 1000) + 3600 } });
    await slow.settle({ status: 200 });
    const err = await a.acquire().catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 429, id: BUDGET_SPENT });
  });

  it('pauses every process for retry-after when one of them gets a 429', async () => {
    const [a, b] = budgets();
    const t0 = performance.now();
    await use(a, 0, { status: 429, retryAfterMs: 300, rateLimit: { limit: 100, remaining: 0, reset: Math.ceil(Date.now() / 1000) + 3600 } });
    const next = await use(b);
    expect(next - t0).toBeGreaterThanOrEqual(295);
    // The burst 429's "remaining: 0" is not taken as the hourly count: no hour-long stall.
    expect(next - t0).toBeLessThan(2000);
  });

  it('keeps separate budgets for separate tokens, and never writes a token to Redis', async () => {
    const [a] = budgets({ perMinute: 1, minuteMs: 5000, maxWaitMs: 100 });
    const prefix = prefixes.at(-1)!;
    const other = new RedisRateBudget({ redis: redisB, prefix, token: 'dop_v1_someoneelse', perMinute: 1, perHour: 10, minuteMs: 5000, maxWaitMs: 100 });
    await use(a);
    await use(other); // not held up by the first token's spent minute
    await expect(a.acquire()).rejects.toMatchObject({ id: BUDGET_SPENT });

    const keys = await redisA.keys(`${prefix.replace(/([*?[\]])/g, '\\$1')}*`);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => k.startsWith(`${prefix}:do-budget:`))).toBe(true);
    expect(keys.some((k) => k.includes(budgetId(TOKEN)))).toBe(true);
    for (const key of keys) {
      expect(key).not.toContain(TOKEN);
      const type = await redisA.type(key);
      const dump = type === 'zset' ? await redisA.zrange(key, '0', '-1') : type === 'hash' ? Object.values(await redisA.hgetall(key)) : [await redisA.get(key)];
      expect(dump.join(' ')).not.toContain(TOKEN);
    }
  });
});
