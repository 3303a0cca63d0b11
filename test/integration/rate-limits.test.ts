// DigitalOcean's rate limits, end to end against the simulator (which limits per token like
// DigitalOcean: a sliding minute and hour, 429 + retry-after) and a real Redis: the budget shared
// by processes, ratelimit-remaining, retry-after, and which failures are retried.
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DigitalOceanClient } from '../../src/digitalocean/client.js';
import { DigitalOceanError } from '../../src/digitalocean/errors.js';
import { BUDGET_SPENT, RedisRateBudget, budgetId } from '../../src/digitalocean/rate-budget.js';
import { startDigitalOceanSimulator, type DigitalOceanSimulator, type SimulatorOptions } from 'droplet-bot-sandbox';
import { startHarness } from '../support/harness.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

const TOKEN = 'dop_v1_ratelimittest0123456789abcdef01';
const DROPLET = 3164444; // web-1 in the simulator's seed

let redis: Redis[] = [];
let sims: DigitalOceanSimulator[] = [];
let clients: DigitalOceanClient[] = [];
let prefixes: string[] = [];

beforeAll(() => {
  // Each connection stands for one process of the bot.
  redis = [new Redis(redisUrl()), new Redis(redisUrl())];
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(sims.splice(0).map((s) => s.close()));
  await Promise.all(prefixes.splice(0).map((p) => deleteKeys(p)));
});
afterAll(() => {
  for (const r of redis) r.disconnect();
});

async function simulator(opts: SimulatorOptions = {}): Promise<DigitalOceanSimulator> {
  const sim = await startDigitalOceanSimulator({ token: TOKEN, timeScale: 0.01, ...opts });
  sims.push(sim);
  return sim;
}

/** One client per "process", all drawing from the same budget in Redis. */
function processes(sim: DigitalOceanSimulator, n: number, limits: { perMinute: number; perHour: number; maxWaitMs?: number }): DigitalOceanClient[] {
  const prefix = uniquePrefix('rl');
  prefixes.push(prefix);
  const made = [...Array(n)].map(
    (_, i) =>
      new DigitalOceanClient({
        apiUrl: sim.url,
        token: TOKEN,
        budget: new RedisRateBudget({ redis: redis[i % redis.length]!, prefix, token: TOKEN, ...limits }),
      }),
  );
  clients.push(...made);
  return made;
}

const status429 = (sim: DigitalOceanSimulator) => sim.requests.length; // every recorded request, for counting

describe('the shared request budget', () => {
  it('keeps two processes together under the per-minute limit: the rest wait, none gets a 429', async () => {
    const sim = await simulator({ rateLimit: { perMinute: 6, perHour: 1000 } });
    const [a, b] = processes(sim, 2, { perMinute: 6, perHour: 1000, maxWaitMs: 500 });
    const results = await Promise.allSettled([...Array(5)].flatMap(() => [a!.getDroplet(DROPLET), b!.getDroplet(DROPLET)]));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const held = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
    expect(ok).toHaveLength(6);
    // The other four were never sent: each would have had to wait ~a minute for a free slot.
    expect(held).toHaveLength(4);
    for (const err of held) expect(err).toMatchObject({ status: 429, id: BUDGET_SPENT });
    expect(status429(sim)).toBe(6);
  });

  it('never spends more than ratelimit-remaining says is left when someone else uses the token', async () => {
    const sim = await simulator({ rateLimit: { perMinute: 100, perHour: 10 } });
    // Another tool spends 7 of the token's 10 requests this hour.
    for (let i = 0; i < 7; i++) await fetch(`${sim.url}/v2/droplets/${DROPLET}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const [a, b] = processes(sim, 2, { perMinute: 100, perHour: 10, maxWaitMs: 500 });
    await a!.getDroplet(DROPLET); // DigitalOcean: 2 left
    await b!.getDroplet(DROPLET);
    await a!.getDroplet(DROPLET); // 0 left
    const err = await b!.getDroplet(DROPLET).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 429, id: BUDGET_SPENT });
    expect((err as DigitalOceanError).retryAfterMs).toBeGreaterThan(3_000_000); // until the hourly reset
    expect(sim.requests).toHaveLength(10);
  });

  it('waits out retry-after after a 429 on a read, in every process, then reads again', async () => {
    const sim = await simulator();
    const [a, b] = processes(sim, 2, { perMinute: 250, perHour: 5000 });
    sim.failNext({ method: 'GET', path: `/v2/droplets/${DROPLET}` }, { status: 429, headers: { 'retry-after': '1', 'ratelimit-remaining': '0' } });
    const t0 = performance.now();
    const first = a!.getDroplet(DROPLET);
    // The pause every process obeys is in Redis once the first read's 429 has been settled.
    const pauseKey = (a as unknown as { budget: RedisRateBudget }).budget.redisKeys.find((k) => k.endsWith(':pause'))!;
    while ((await redis[0]!.exists(pauseKey)) === 0) await new Promise((r) => setTimeout(r, 5));
    // The other process asks during the pause: it waits too instead of meeting a 429 of its own.
    const other = await b!.getAction(0).catch((e: unknown) => e);
    expect((await first).id).toBe(DROPLET);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(990);
    expect(other).toMatchObject({ status: 404 });
    const [limited, retried, second] = sim.requests;
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(990);
    expect(second!.at - limited!.at).toBeGreaterThanOrEqual(990);
  });
});

describe('the client without a budget', () => {
  function client(sim: DigitalOceanSimulator): DigitalOceanClient {
    const c = new DigitalOceanClient({ apiUrl: sim.url, token: TOKEN });
    clients.push(c);
    return c;
  }

  it('retries reads on 5xx and dropped connections with backoff', async () => {
    const sim = await simulator();
    sim.failNext({ method: 'GET' }, { status: 503 });
    sim.failNext({ method: 'GET' }, { dropConnection: true });
    expect((await client(sim).getDroplet(DROPLET)).id).toBe(DROPLET);
    expect(sim.requests).toHaveLength(3);
  });

  it('honours retry-after on a read', async () => {
    const sim = await simulator();
    sim.failNext({ method: 'GET' }, { status: 429, headers: { 'retry-after': '1' } });
    const t0 = performance.now();
    expect((await client(sim).getDroplet(DROPLET)).id).toBe(DROPLET);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(990);
    expect(sim.requests).toHaveLength(2);
  });

  it('fails other 4xx at once with DigitalOcean\'s message, and never retries a POST', async () => {
    const sim = await simulator();
    const c = client(sim);
    await expect(c.getDroplet(999)).rejects.toMatchObject({ status: 404, message: 'The resource you were accessing could not be found.' });
    expect(sim.requests).toHaveLength(1);

    sim.failNext({ method: 'POST' }, { status: 422, body: { id: 'unprocessable_entity', message: 'Droplet already has a pending event.' } });
    await expect(c.postAction(DROPLET, { type: 'reboot' })).rejects.toMatchObject({ status: 422, message: 'Droplet already has a pending event.' });
    sim.failNext({ method: 'POST' }, { status: 503 });
    await expect(c.postAction(DROPLET, { type: 'reboot' })).rejects.toMatchObject({ status: 503 });
    sim.failNext({ method: 'POST' }, { status: 429, headers: { 'retry-after': '7' } });
    const limited = await c.postAction(DROPLET, { type: 'reboot' }).catch((e: unknown) => e);
    expect(limited).toMatchObject({ status: 429, retryAfterMs: 7000 });
    expect(sim.requests.filter((r) => r.method === 'POST')).toHaveLength(3);
  });
});

describe('the bot', () => {
  it('draws every DigitalOcean request of both halves from one budget keyed by a hash of the token', async () => {
    const h = await startHarness({ env: { DIGITALOCEAN_RATE_PER_MINUTE: '200', DIGITALOCEAN_RATE_PER_HOUR: '4000' } });
    try {
      await h.command('reboot web-1');
      await h.slack.waitFor(() => h.roots().find((m) => /reboot on web-1: completed/.test(m.text ?? '')), 15_000);
      const r = redis[0]!;
      const keys = await r.keys(`${h.prefix.replace(/([*?[\]])/g, '\\$1')}:do-budget:*`);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.every((k) => k.includes(budgetId(h.config.digitalocean.token)) && !k.includes(h.config.digitalocean.token))).toBe(true);
      const log = keys.find((k) => k.endsWith(':log'))!;
      // The receiver's lookup, the worker's POST and its status reads: all counted, once each.
      expect(await r.zcard(log)).toBe(h.digitalocean.requests.length);
      expect(h.digitalocean.requests.map((q) => q.method)).toContain('POST');
    } finally {
      await h.stop();
    }
  });

  it('on a 429 to the action POST waits retry-after, then sends the action once', async () => {
    const h = await startHarness();
    try {
      h.digitalocean.failNext({ method: 'POST' }, { status: 429, headers: { 'retry-after': '1' } });
      await h.command('reboot web-1');
      await h.slack.waitFor(() => h.roots().find((m) => /reboot on web-1: completed/.test(m.text ?? '')), 15_000);
      const posts = h.digitalocean.requests.filter((q) => q.method === 'POST');
      expect(posts).toHaveLength(2);
      expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(990);
      expect(h.digitalocean.state.actions.filter((a) => a.resource_id === DROPLET)).toHaveLength(1);
    } finally {
      await h.stop();
    }
  });
});
