// The activity feed's memory, on a real Redis with the real Slack outbox: where it starts, each
// action reported once whoever reads the listing and whatever dies in between, a POST of the
// bot's own that has not answered yet, and how it follows a running action to its end.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListedAction } from '../../src/domain/activity.js';
import { SlackOutbox } from '../../src/queue/slack-outbox.js';
import { activityFailed, activityStarted } from '../../src/slack/renderers/activity-messages.js';
import { ANY_DROPLET, OwnActions } from '../../src/store/own-actions.js';
import { ActivityFeed } from '../../src/worker/activity-feed.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

let redis: Redis;
const prefixes: string[] = [];
const queues: Array<{ close(): Promise<void> }> = [];
beforeAll(() => {
  redis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await Promise.all(queues.map((q) => q.close()));
  for (const p of prefixes) await deleteKeys(p);
  redis?.disconnect();
});

const CHANNEL = 'C0ACTIVITY1';
const DAY = '2026-12-04';

function world() {
  const prefix = uniquePrefix('feed');
  prefixes.push(prefix);
  const queue = SlackOutbox.createQueue(redis, prefix);
  queues.push(queue);
  const outbox = new SlackOutbox(redis, prefix, queue);
  const own = new OwnActions(redis, prefix);
  const feed = () =>
    new ActivityFeed({
      redis,
      prefix,
      tokenId: 'tok',
      own,
      everyMs: 60_000,
      render: { started: activityStarted, failed: activityFailed },
      publish: (stream, lines) => outbox.publish({ requestId: stream, channel: CHANNEL, rootTs: '' }, lines.map((l) => ({ kind: 'post', channel: CHANNEL, key: l.key, text: l.text }))),
    });
  /** Every line the outbox holds for the channel, in order. */
  /** Every line the outbox holds for the channel: its streams (one per day) in order, each in order. */
  const posted = async () => {
    const streams = (await redis.keys(`${prefix}:outbox:activity-tok-*`)).filter((k) => /-\d{4}-\d\d-\d\d$/.test(k)).sort();
    const lines: string[] = [];
    for (const key of streams) lines.push(...(await redis.lrange(key, 0, -1)).map((e) => (JSON.parse(e) as { text: string }).text));
    return lines;
  };
  return { prefix, own, feed, posted };
}

function action(id: number, extra: Partial<ListedAction> = {}): ListedAction {
  return {
    id,
    status: 'in-progress',
    type: 'power_off',
    started_at: `${DAY}T12:00:0${id % 10}Z`,
    completed_at: null,
    resource_id: 100 + id,
    resource_type: 'droplet',
    region_slug: 'nyc3',
    ...extra,
  };
}

describe('the activity feed, once', () => {
  it('starts after the newest action of its first look: older ones are never reported', async () => {
    const w = world();
    const feed = w.feed();
    expect(await feed.read([action(5, { status: 'completed' }), action(4)])).toMatchObject({ reported: 0 });
    expect(await feed.read([action(6), action(5, { status: 'completed' }), action(4, { status: 'errored' })])).toMatchObject({ reported: 1 });
    expect(await w.posted()).toEqual([expect.stringContaining('(action 6)')]);
  });

  it('reports each action once when two leaders read the same listing at once, or a leader dies before it remembers', async () => {
    const w = world();
    await w.feed().read([]);
    const listing = [action(9), action(8, { status: 'completed', completed_at: `${DAY}T12:00:20Z` }), action(7, { status: 'errored', completed_at: `${DAY}T12:00:30Z` })];
    const [a, b] = [w.feed(), w.feed()];
    await Promise.all([a.read(listing), b.read(listing)]);
    const once = await w.posted();
    expect(once).toHaveLength(3);
    expect(once[0]).toMatch(/^:x: `power_off` on Droplet <https:\/\/cloud\.digitalocean\.com\/droplets\/107\|107> \(nyc3\) started at 12:00:07 UTC, not by droplet-bot \(action 7\): \*failed\* after 23 s\.$/);
    expect(once[1]).toContain('(action 8): completed after 12 s.');
    expect(once[2]).toContain('(action 9): in progress.');
    // A leader that published, then died before writing what it judged: the next one publishes the same steps again.
    await redis.del(`${w.prefix}:activity:v1:tok:seen`, `${w.prefix}:activity:v1:tok:open`);
    await w.feed().read(listing);
    expect(await w.posted()).toEqual(once);
  });

  it('follows a running action to its end, and reports the end only when it failed', async () => {
    const w = world();
    await w.feed().read([]);
    const feed = w.feed();
    await feed.read([action(11), action(12)]);
    expect(await feed.behind(13)).toEqual([12, 11]);
    expect(await feed.behind(12)).toEqual([11]);
    await feed.read([action(12, { status: 'completed', completed_at: `${DAY}T12:01:00Z` }), action(11, { status: 'errored', completed_at: `${DAY}T12:01:00Z` })]);
    expect(await feed.behind(100)).toEqual([]);
    // Read again, however often: nothing more.
    await feed.read([action(12, { status: 'completed' }), action(11, { status: 'errored' })]);
    const lines = await w.posted();
    expect(lines.filter((l) => l.includes('(action 11)'))).toEqual([expect.stringContaining('in progress.'), expect.stringMatching(/^:x: .*\(action 11\): \*failed\*/)]);
    expect(lines.filter((l) => l.includes('(action 12)'))).toHaveLength(1);
  });

  it('waits while a POST of the bot’s own may have started an action, and never reports the bot’s own', async () => {
    const w = world();
    await w.feed().read([]);
    const feed = w.feed();
    // Marks lapse an hour after they were made, so this part runs on the clock of now.
    const t0 = Date.now() - 20 * 60_000;
    const iso = (ms: number) => new Date(ms).toISOString();
    // The bot is sending a power-off to Droplet 121 (action 21 will be its own); meanwhile someone
    // else powers off 122, and reboots 121.
    await w.own.sending('req-1', 'power_off', [121], t0);
    const listing = [action(21, { started_at: iso(t0 + 1000) }), action(22, { started_at: iso(t0 + 2000) }), action(23, { type: 'reboot', resource_id: 121, started_at: iso(t0 + 3000) })];
    expect(await feed.read(listing)).toMatchObject({ reported: 2 });
    expect(await w.posted()).toEqual([expect.stringContaining('(action 22)'), expect.stringContaining('(action 23)')]);
    // The POST answers: action 21 is the bot's, and the mark goes.
    await w.own.started('req-1', 'power_off', [121], [21]);
    expect(await feed.read(listing)).toMatchObject({ reported: 0 });
    // A bulk POST by tag covers its type on any Droplet until it answers; an action that started
    // well before the mark is not covered.
    await w.own.sending('fleet-1', 'power_off', [ANY_DROPLET], t0 + 10 * 60_000);
    const during = [action(31, { started_at: iso(t0 + 10 * 60_000 + 1000) }), action(32, { started_at: iso(t0 + 5 * 60_000) })];
    expect(await feed.read(during)).toMatchObject({ reported: 1 });
    await w.own.settled('fleet-1', 'power_off', [ANY_DROPLET]);
    expect(await feed.read(during)).toMatchObject({ reported: 1 });
    // A mark whose POST never left lapses after an hour: it holds nothing back after that.
    await w.own.sending('req-lost', 'power_off', [141], Date.now() - 2 * 3600_000);
    expect(await feed.read([action(41, { resource_id: 141, started_at: iso(Date.now() - 3600_000) })])).toMatchObject({ reported: 1 });
    // (Sorted: lines go to one stream per day, and these started within the last hour or so.)
    expect((await w.posted()).map((l) => /\(action (\d+)\)/.exec(l)?.[1]).sort()).toEqual(['22', '23', '31', '32', '41']);
  });

  it('never moves past a gap the poller’s short listings leave: a later look pages back and reports what was in it', async () => {
    const w = world();
    const feed = w.feed();
    await feed.read([action(100, { status: 'completed' })], {});
    expect(await feed.newest()).toBe(100);
    // The poller read only the newest page: 150..120. Action 101..119 are behind it.
    const top = Array.from({ length: 31 }, (_, i) => action(150 - i, { status: 'completed' }));
    await feed.read(top, {});
    expect(await feed.newest()).toBe(100);
    // The feed's own look pages back to 100, and finds 101 in the gap.
    const all = [...top, ...Array.from({ length: 19 }, (_, i) => action(119 - i, { status: 'completed' }))];
    await feed.read(all, {});
    expect(await feed.newest()).toBe(150);
    expect((await w.posted()).filter((l) => l.includes('(action 101)'))).toHaveLength(1);
    // A look that could page back no further moves on over the gap, and says so.
    expect(await feed.read([action(400, { status: 'completed' })], { final: true })).toMatchObject({ skipped: true });
    expect(await feed.newest()).toBe(400);
  });

  it('remembers what it held back and reads it again, and says a failure even when it never wrote down the start', async () => {
    const w = world();
    await w.feed().read([]);
    const feed = w.feed();
    const t = Date.now() - 60_000;
    await w.own.sending('req-9', 'reboot', [155], t);
    await feed.read([action(55, { type: 'reboot', resource_id: 155, started_at: new Date(t + 1000).toISOString() })]);
    expect(await feed.behind(1000)).toEqual([55]);
    // The mark goes without the action being the bot's (its POST was refused): it is someone else's after all.
    await w.own.settled('req-9', 'reboot', [155]);
    expect(await feed.read([action(55, { type: 'reboot', resource_id: 155, started_at: new Date(t + 1000).toISOString() })])).toMatchObject({ reported: 1 });
    expect(await feed.behind(1000)).toEqual([55]);
    // Seen running and published, but the leader died before writing it down; then it failed.
    await redis.del(`${w.prefix}:activity:v1:tok:seen`, `${w.prefix}:activity:v1:tok:open`);
    await feed.read([action(55, { type: 'reboot', resource_id: 155, status: 'errored', started_at: new Date(t + 1000).toISOString(), completed_at: new Date(t + 9000).toISOString() })]);
    const lines = (await w.posted()).filter((l) => l.includes('(action 55)'));
    expect(lines).toEqual([expect.stringContaining('in progress.'), expect.stringMatching(/\*failed\* after 8 s\.$/)]);
  });
});
