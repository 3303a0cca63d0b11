// Two publishes of one person's Home tab that cross: a receiver still reading DigitalOcean while a
// worker publishes something newer. The older one must not land last. A real Redis, the Slack
// simulator's views.publish (which answers hash_conflict to a stale hash, as Slack does).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { webApi } from '@slack/bolt';
import { startSlackSimulator, type SlackSimulator } from 'droplet-bot-sandbox';
import { roleMapSchema } from '../../src/domain/policy.js';
import { AccessResolver } from '../../src/domain/access.js';
import type { Droplet } from '../../src/digitalocean/types.js';
import { HomeViewers } from '../../src/store/home-viewers.js';
import { publishHome } from '../../src/slack/home-publish.js';
import { HomeRefresh, createHomeRefreshWorker } from '../../src/queue/home-refresh.js';
import { until } from '../support/until.js';
import { createLogger } from '../../src/log.js';
import type { HomeSources } from '../../src/slack/home-model.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

const USER = 'U0PUBLISH1';
const TOKEN = 'xoxb-home-publish-test';
let redis: Redis;
let slack: SlackSimulator;
const prefix = uniquePrefix('home-publish');
beforeAll(async () => {
  redis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
  slack = await startSlackSimulator({ botToken: TOKEN });
});
afterAll(async () => {
  await slack?.close();
  await deleteKeys(prefix);
  redis.disconnect();
});

const roleMap = roleMapSchema.parse({ roles: { admin: ['droplet:update'] }, members: { [USER]: ['admin'] } });
const droplet = (name: string) => ({ id: name.length, name, status: 'active', size_slug: 's-1vcpu-1gb', region: { slug: 'nyc3' }, tags: [] }) as unknown as Droplet;
const access = new AccessResolver(roleMap, { members: async () => [] });
const sources = (droplets: () => Promise<Droplet[]>): HomeSources => ({ access, droplets });
const shown = () => JSON.stringify(slack.workspace.views.homeFor(USER)?.view.blocks ?? []);

describe('publishing the Home tab', () => {
  it('never lands an older read over a newer publish', async () => {
    const client = new webApi.WebClient(TOKEN, { slackApiUrl: `${slack.url}/api/`, retryConfig: { retries: 0 } });
    const viewers = new HomeViewers(redis, prefix);
    await publishHome(client, sources(async () => [droplet('first')]), viewers, USER, { page: 0 }, true);
    expect(shown()).toContain('*first*');
    // The receiver starts reading; DigitalOcean answers it only after the worker has published.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let reads = 0;
    const slow = publishHome(
      client,
      sources(async () => {
        reads++;
        if (reads === 1) {
          await held;
          return [droplet('stale')];
        }
        return [droplet('newest')];
      }),
      viewers,
      USER,
      { page: 0 },
      true,
    );
    await publishHome(client, sources(async () => [droplet('newer')]), viewers, USER, { page: 0 }, false);
    expect(shown()).toContain('*newer*');
    release();
    await slow;
    // Its publish met the newer version, so it read again rather than putting "stale" back.
    expect(reads).toBe(2);
    expect(shown()).toContain('*newest*');
    expect(shown()).not.toContain('*stale*');
    expect((await viewers.placeOf(USER))?.hash).toBe(slack.workspace.views.homeFor(USER)?.view.hash);
  });

  it('still publishes when the hash it kept is lost or wrong', async () => {
    const client = new webApi.WebClient(TOKEN, { slackApiUrl: `${slack.url}/api/`, retryConfig: { retries: 0 } });
    const viewers = new HomeViewers(redis, prefix);
    await viewers.remember(USER, { page: 0, hash: 'not-the-current-hash' }, true, undefined);
    await publishHome(client, sources(async () => [droplet('after-loss')]), viewers, USER, { page: 0 }, true);
    expect(shown()).toContain('*after-loss*');
  });

  it('a worker’s publish never brings back a person who has not used the tab for a week', async () => {
    const viewers = new HomeViewers(redis, prefix);
    await viewers.remember('U0GONE0001', { page: 0, hash: 'h' }, false, undefined);
    expect(await viewers.placeOf('U0GONE0001')).toBeUndefined();
  });

  it('a worker’s publish that would show the same is not made; one the person asked for always is', async () => {
    const client = new webApi.WebClient(TOKEN, { slackApiUrl: `${slack.url}/api/`, retryConfig: { retries: 0 } });
    const viewers = new HomeViewers(redis, prefix);
    const calls = () => slack.calls.filter((c) => c.method === 'views.publish' && c.args.user_id === USER).length;
    const same = sources(async () => [droplet('same')]);
    await publishHome(client, same, viewers, USER, { page: 0 }, true);
    const n = calls();
    await publishHome(client, same, viewers, USER, { page: 0 }, false);
    expect(calls()).toBe(n);
    await publishHome(client, same, viewers, USER, { page: 0 }, true);
    expect(calls()).toBe(n + 1);
    await publishHome(client, sources(async () => [droplet('changed')]), viewers, USER, { page: 0 }, false);
    expect(calls()).toBe(n + 2);
    expect(shown()).toContain('*changed*');
  });

  it('knows who opened the tab lately; a worker’s publish adds nobody', async () => {
    const viewers = new HomeViewers(redis, prefix);
    await viewers.remember('U0FIRST001', { page: 0 }, true, undefined);
    await viewers.remember('U0SECOND01', { page: 0 }, true, undefined);
    await viewers.remember('U0WORKER01', { page: 0 }, false, undefined);
    const recent = await viewers.recent();
    expect(recent).toEqual(expect.arrayContaining(['U0FIRST001', 'U0SECOND01']));
    expect(recent).not.toContain('U0WORKER01');
  });

  it('a publish whose answer was lost is not taken for what the tab shows', async () => {
    const real = new webApi.WebClient(TOKEN, { slackApiUrl: `${slack.url}/api/`, retryConfig: { retries: 0 } });
    const viewers = new HomeViewers(redis, prefix);
    const calls = () => slack.calls.filter((c) => c.method === 'views.publish' && c.args.user_id === USER).length;
    await publishHome(real, sources(async () => [droplet('before-loss')]), viewers, USER, { page: 0 }, true);
    // Slack applies this one, but its answer never arrives (a timeout).
    const losing = { views: { publish: async (args: Parameters<typeof real.views.publish>[0]) => { await real.views.publish(args); throw new Error('timed out'); } } };
    await expect(publishHome(losing, sources(async () => [droplet('lost-answer')]), viewers, USER, { page: 0 }, false)).rejects.toThrow('timed out');
    expect(shown()).toContain('*lost-answer*');
    // Back to the view the record last had: it must be published, not skipped as unchanged (its
    // kept hash is stale too, so it gets there on the unguarded try).
    const n = calls();
    await publishHome(real, sources(async () => [droplet('before-loss')]), viewers, USER, { page: 0 }, false);
    expect(calls()).toBeGreaterThan(n);
    expect(shown()).toContain('*before-loss*');
  });

  it('keeps the notice of a click: a worker does not publish only to take it away', async () => {
    const client = new webApi.WebClient(TOKEN, { slackApiUrl: `${slack.url}/api/`, retryConfig: { retries: 0 } });
    const viewers = new HomeViewers(redis, prefix);
    const same = sources(async () => [droplet('noticed')]);
    await publishHome(client, same, viewers, USER, { page: 0, notice: 'Approved: it runs now.' }, true);
    const calls = () => slack.calls.filter((c) => c.method === 'views.publish' && c.args.user_id === USER).length;
    const n = calls();
    await publishHome(client, same, viewers, USER, { page: 0 }, false);
    expect(calls()).toBe(n);
    expect(shown()).toContain('Approved: it runs now.');
  });

  it('a rate-limited publish waits as long as Slack asks, then runs, without spending an attempt', async () => {
    const viewers = new HomeViewers(redis, prefix);
    await viewers.remember('U0LIMITED1', { page: 0 }, true, undefined);
    const refresh = new HomeRefresh(redis, prefix, viewers, 50);
    const calls: number[] = [];
    const failed: string[] = [];
    const worker = createHomeRefreshWorker({
      connection: redis,
      prefix,
      logger: createLogger({ level: 'silent' }),
      refresh,
      publish: async () => {
        calls.push(Date.now());
        if (calls.length === 1) throw Object.assign(new Error('rate limited'), { code: 'slack_webapi_rate_limited_error', retryAfter: 1 });
      },
    });
    worker.on('failed', (job) => failed.push(job?.id ?? ''));
    try {
      await refresh.schedule('U0LIMITED1');
      await until('the publish tried again', () => calls.length >= 2, 10_000);
      expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(900);
      expect(failed).toEqual([]);
    } finally {
      await worker.close();
      await refresh.close();
    }
  });
});
