// What the activity feed costs in DigitalOcean calls: nothing while the status poller lists for
// actions in flight (the feed reads those listings), and one listing per ACTIVITY_POLL_S,
// cluster-wide, when nothing is in flight.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDigitalOceanSimulator, type DigitalOceanSimulator } from 'droplet-bot-sandbox';
import { DigitalOceanClient } from '../../src/digitalocean/client.js';
import { StatusPoller } from '../../src/digitalocean/status-poller.js';
import { activityFailed, activityStarted } from '../../src/slack/renderers/activity-messages.js';
import { OwnActions } from '../../src/store/own-actions.js';
import { ActivityFeed } from '../../src/worker/activity-feed.js';
import { SECRETS } from '../support/harness.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';
import { until } from '../support/until.js';

let digitalocean: DigitalOceanSimulator;
let redis: Redis;
const prefix = uniquePrefix('feed-calls');
const clients: DigitalOceanClient[] = [];
const pollers: StatusPoller[] = [];
beforeAll(async () => {
  digitalocean = await startDigitalOceanSimulator({ token: SECRETS.doToken, timeScale: 1, durations: { reboot: 2000, power_off: 300 } });
  redis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await Promise.all(pollers.map((p) => p.stop()));
  await Promise.all(clients.map((c) => c.close()));
  redis?.disconnect();
  await digitalocean?.close();
  await deleteKeys(prefix);
});

const EVERY_MS = 400;

function client(): DigitalOceanClient {
  const c = new DigitalOceanClient({ apiUrl: digitalocean.url, token: SECRETS.doToken });
  clients.push(c);
  return c;
}


describe('the activity feed’s calls', () => {
  it('lists nothing of its own while an action is in flight, and once per ACTIVITY_POLL_S, across processes, when none is', async () => {
    const own = new OwnActions(redis, prefix);
    const lines: string[] = [];
    const feedListings: number[] = [];
    const pollerListings: number[] = [];
    // Two processes, as two workers: whichever leads lists; the feed's cadence is the cluster's.
    const members = [0, 1].map(() => {
      const feed = new ActivityFeed({
        redis,
        prefix,
        tokenId: 'tok',
        own,
        everyMs: EVERY_MS,
        render: { started: activityStarted, failed: activityFailed },
        publish: async (_stream, l) => void lines.push(...l.map((x) => x.text)),
      });
      const poller = new StatusPoller({
        redis,
        prefix,
        tokenId: 'tok',
        client: client(),
        pollMs: 100,
        leaseMs: 1000,
        feed,
        onRead: (kind, _n, forFeed) => kind === 'list' && (forFeed ? feedListings : pollerListings).push(Date.now()),
      });
      pollers.push(poller);
      return poller;
    });
    await Promise.all(members.map((p) => p.start()));
    await until('the feed’s first look', () => feedListings.length >= 1);

    // The bot's own reboot, followed by the poller.
    const mine = digitalocean.addDroplet({ name: 'calls-mine' });
    const other = digitalocean.addDroplet({ name: 'calls-other' });
    const api = client();
    await own.sending('req-1', 'reboot', [mine.id]);
    const reboot = await api.postAction(mine.id, { type: 'reboot' });
    await own.started('req-1', 'reboot', [mine.id], [reboot.id]);
    await Promise.all(members.map((p) => p.park(reboot.id, 'job-1', { type: 'reboot', startedAt: Date.now() })));
    await until('the poller listing for the reboot', () => pollerListings.length >= 1);
    const feedBefore = feedListings.length;
    // Someone else's power-off while the reboot runs: the feed sees it in the poller's listings.
    const off = await api.postAction(other.id, { type: 'power_off' });
    await until('the power-off in the feed', () => lines.some((l) => l.includes(`(action ${off.id})`)));
    await until('the reboot’s end', async () => (await members[0]!.result(reboot.id)) ?? (await members[1]!.result(reboot.id)));
    expect(feedListings.length).toBe(feedBefore);
    expect(lines.some((l) => l.includes(`(action ${reboot.id})`))).toBe(false);

    // Nothing in flight: the feed's own listings, never closer together than ACTIVITY_POLL_S.
    const idleFrom = feedListings.length;
    await until('three idle looks', () => feedListings.length >= idleFrom + 3, 10_000);
    const gaps = feedListings.slice(idleFrom - 1).map((t, i, all) => (i ? t - all[i - 1]! : Number.POSITIVE_INFINITY)).slice(1);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(EVERY_MS * 0.9);
    expect(lines.filter((l) => l.includes(`(action ${off.id})`))).toHaveLength(1);
  }, 30_000);
});
