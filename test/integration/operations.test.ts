// Every process answers GET /healthz and GET /metrics: a bot with both halves on its one port,
// and a worker process on its own PORT. The metrics move when actions run, and no label holds
// a user ID or free text.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnRedisServer } from 'droplet-bot-sandbox';
import { roleMapSchema } from '../../src/domain/policy.js';
import { botEnv, startHarness, USERS, type Harness } from '../support/harness.js';
import { runBot, waitForHealthStatus, writeRoleMap, type BotProcess } from '../support/processes.js';
import { redisUrl, uniquePrefix, deleteKeys } from '../support/redis.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ digitalocean: { durations: { reboot: 1500 } } });
});
afterAll(async () => {
  await h?.stop();
});

/** One sample's value from the exposition text, or undefined when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',').filter(Boolean);
    if (want.every((w) => have.includes(w)) && have.length === want.length) return Number(m[3]);
  }
  return undefined;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe('one process with both halves', () => {
  it('answers /healthz for both halves on its one port', async () => {
    const res = await fetch(`http://127.0.0.1:${h.bot.port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, redis: 'up', workers: 'running' });
  });

  it('serves Prometheus metrics that move when actions run', async () => {
    const before = await scrape(h.bot.port!);
    // Default process metrics, named for the bot.
    expect(sample(before, 'droplet_bot_process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(sample(before, 'droplet_bot_requests_total', { action: 'reboot', outcome: 'completed' })).toBe(0);
    const d = h.digitalocean.addDroplet({ name: 'metrics-1' });
    await h.command('reboot metrics-1');
    expect((await h.waitForFinal('reboot', 'metrics-1')).text).toBe('reboot on metrics-1: completed');
    // The outbox delivered "completed": its lag is observed once that message is in Slack.
    await until('an outbox delivery', async () => ((sample(await scrape(h.bot.port!), 'droplet_bot_slack_outbox_delivery_lag_seconds_count') ?? 0) > 0 ? true : undefined));
    const after = await scrape(h.bot.port!);
    expect(sample(after, 'droplet_bot_requests_total', { action: 'reboot', outcome: 'queued' })).toBe(1);
    expect(sample(after, 'droplet_bot_requests_total', { action: 'reboot', outcome: 'completed' })).toBe(1);
    expect(sample(after, 'droplet_bot_action_duration_seconds_count', { action: 'reboot' })).toBe(1);
    expect(sample(after, 'droplet_bot_action_duration_seconds_sum', { action: 'reboot' })).toBeGreaterThan(0);
    expect(sample(after, 'droplet_bot_digitalocean_requests_total', { endpoint: 'POST /v2/droplets/{id}/actions', status: '201' })).toBe(1);
    expect(sample(after, 'droplet_bot_digitalocean_rate_budget_remaining')).toBeGreaterThan(0);
    expect(sample(after, 'droplet_bot_status_poller_round_seconds_count')).toBeGreaterThan(0);
    expect(sample(after, 'droplet_bot_jobs', { state: 'active' })).toBe(0);
    expect(sample(after, 'droplet_bot_jobs', { state: 'delayed' })).toBe(0);
    expect(sample(after, 'droplet_bot_approvals_pending')).toBe(0);
    expect(sample(after, 'droplet_bot_slack_outbox_depth')).toBeGreaterThanOrEqual(0);
    // Bounded labels: no Droplet ID, name, user or channel anywhere.
    for (const word of [String(d.id), 'metrics-1', USERS.admin]) expect(after).not.toContain(word);
  });

  it('counts a refusal', async () => {
    await h.command('reboot metrics-none', USERS.nobody);
    // The refusal is recorded after the ack: the count moving is the signal.
    const refused = await until('the refusal to be counted', async () => {
      const n = sample(await scrape(h.bot.port!), 'droplet_bot_requests_total', { action: 'reboot', outcome: 'refused' }) ?? 0;
      return n > 0 ? n : undefined;
    });
    expect(refused).toBe(1);
  });
});

describe('approvals', () => {
  it('counts requests waiting for a second person', async () => {
    const roleMap = roleMapSchema.parse({
      roles: { admin: ['droplet:update', 'droplet:create', 'droplet:admin', 'image:create'] },
      members: { [USERS.admin]: ['admin'] },
      approvals: { actions: ['power_off'], approvers: ['admin'], expires_after: '30m' },
    });
    const a = await startHarness({ roleMap });
    try {
      a.digitalocean.addDroplet({ name: 'metrics-approve' });
      expect(sample(await scrape(a.bot.port!), 'droplet_bot_approvals_pending')).toBe(0);
      await a.command('power-off metrics-approve');
      await until('the request to wait for approval', async () => ((sample(await scrape(a.bot.port!), 'droplet_bot_approvals_pending') ?? 0) === 1 ? true : undefined));
      // Nothing was queued: it waits.
      expect(sample(await scrape(a.bot.port!), 'droplet_bot_requests_total', { action: 'power_off', outcome: 'queued' })).toBe(0);
      expect(a.posts()).toHaveLength(0);
    } finally {
      await a.stop();
    }
  });
});

describe('a worker process', () => {
  const prefix = uniquePrefix('ops-worker');
  let worker: BotProcess | undefined;
  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await worker?.exited();
    await deleteKeys(prefix);
  });

  it('answers /healthz and /metrics on PORT', async () => {
    const port = await freePort();
    worker = runBot('worker', botEnv({ slackUrl: h.slack.url, digitaloceanUrl: h.digitalocean.url, redisUrl: redisUrl(), prefix, roleMap: writeRoleMap() }, { PORT: String(port) }));
    const health = await until('the worker to answer /healthz', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      return res?.status === 200 ? res : undefined;
    }, 20_000);
    expect(await health.json()).toEqual({ ok: true, redis: 'up', workers: 'running' });
    const text = await scrape(port);
    expect(sample(text, 'droplet_bot_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sample(text, 'droplet_bot_jobs', { state: 'waiting' })).toBe(0);
    expect((await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST' })).status).toBe(404);
  });

  it('stops with what to do when its PORT is taken, before its workers start', async () => {
    const taken = runBot('worker', botEnv({ slackUrl: h.slack.url, digitaloceanUrl: h.digitalocean.url, redisUrl: redisUrl(), prefix, roleMap: writeRoleMap() }, { PORT: String(h.bot.port) }));
    expect(await taken.exited()).toBe(1);
    expect(taken.output()).toContain(`PORT ${h.bot.port} is already in use: give each process on this host its own PORT (0 picks a free one).`);
    expect(taken.output()).not.toContain('worker started');
  });

  it('says 503 while its Redis is down and 200 once Redis is back; its role map can come from ROLE_MAP_YAML', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'droplet-bot-ops-redis-'));
    const redisPort = await freePort();
    let redis = await spawnRedisServer(redisPort, dir, ['--save', '', '--appendonly', 'no']);
    const port = await freePort();
    const rules = roleMapSchema.parse({ roles: { operator: ['droplet:update'] }, members: { [USERS.operator]: ['operator'] } });
    const p = runBot(
      'worker',
      botEnv(
        { slackUrl: h.slack.url, digitaloceanUrl: h.digitalocean.url, redisUrl: `redis://127.0.0.1:${redisPort}`, prefix, roleMap: '' },
        { PORT: String(port), ROLE_MAP_YAML: JSON.stringify(rules) },
      ),
    );
    try {
      expect(await (await waitForHealthStatus(port, 200, 20_000)).json()).toEqual({ ok: true, redis: 'up', workers: 'running' });
      redis.kill('SIGKILL');
      const down = (await (await waitForHealthStatus(port, 503)).json()) as { ok: boolean; redis: string };
      expect(down.ok).toBe(false);
      expect(down.redis).not.toBe('up');
      redis = await spawnRedisServer(redisPort, dir, ['--save', '', '--appendonly', 'no']);
      expect(await (await waitForHealthStatus(port, 200, 20_000)).json()).toEqual({ ok: true, redis: 'up', workers: 'running' });
      expect(p.child.exitCode).toBeNull();
    } finally {
      p.child.kill('SIGKILL');
      await p.exited();
      redis.kill('SIGKILL');
    }
  }, 60_000);
});
