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
    await viewers.remember(USER, { page: 0, hash: 'not-the-current-hash' }, true);
    await publishHome(client, sources(async () => [droplet('after-loss')]), viewers, USER, { page: 0 }, true);
    expect(shown()).toContain('*after-loss*');
  });

  it('a worker’s publish never brings back a person who has not used the tab for a week', async () => {
    const viewers = new HomeViewers(redis, prefix);
    await viewers.remember('U0GONE0001', { page: 0, hash: 'h' }, false);
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
    await viewers.remember('U0FIRST001', { page: 0 }, true);
    await viewers.remember('U0SECOND01', { page: 0 }, true);
    await viewers.remember('U0WORKER01', { page: 0 }, false);
    const recent = await viewers.recent();
    expect(recent).toEqual(expect.arrayContaining(['U0FIRST001', 'U0SECOND01']));
    expect(recent).not.toContain('U0WORKER01');
  });
});
