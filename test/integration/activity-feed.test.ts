// The activity feed: actions someone else starts on the account (here, straight against the
// simulated API, as doctl would) get one line in ACTIVITY_CHANNEL, and one more when they fail;
// the bot's own actions never do. It reads the listings the status poller makes while actions are
// in flight, and lists for itself only when nothing is.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { budgetId } from '../../src/digitalocean/rate-budget.js';
import { FLEET_RUN } from '../../src/slack/renderers/fleet-messages.js';
import { SECRETS, USERS, startHarness, type Harness } from '../support/harness.js';
import { clickButton } from '../support/interactions.js';
import { redisUrl } from '../support/redis.js';

const ACTIVITY = 'C0ACTIVITY1';
let h: Harness;
let redis: Redis;

beforeAll(async () => {
  h = await startHarness({
    env: { ACTIVITY_CHANNEL: ACTIVITY },
    digitalocean: { durations: { power_off: 1500, reboot: 800, power_cycle: 1200 } },
    bot: { activity: { everyMs: 300 } },
  });
  redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  redis?.disconnect();
  await h?.stop();
});

/** An action started the way doctl or the console would: straight against the API. */
async function foreign(dropletId: number, type: string): Promise<{ id: number }> {
  const res = await fetch(`${h.digitalocean.url}/v2/droplets/${dropletId}/actions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SECRETS.doToken}`, 'content-type': 'application/json', 'user-agent': 'doctl/1.120.0' },
    body: JSON.stringify({ type }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { action: { id: number } }).action;
}

const feedLines = () => h.slack.workspace.channelMessages(ACTIVITY).map((m) => m.text ?? '');
const linesFor = (actionId: number) => feedLines().filter((t) => t.includes(`(action ${actionId})`));
const floorKey = () => `${h.prefix}:activity:v1:${budgetId(SECRETS.doToken)}:floor`;
const listings = () => h.digitalocean.requests.filter((r) => r.method === 'GET' && r.path === '/v2/actions');

describe('the activity feed', () => {
  it('reports someone else’s action once, again when one fails, and never the bot’s own', async () => {
    // The feed's first look sets where it starts.
    for (const until = Date.now() + 10_000; (await redis.exists(floorKey())) !== 1; ) {
      if (Date.now() > until) throw new Error('the feed never looked');
      await new Promise((r) => setTimeout(r, 50));
    }
    const web2 = h.digitalocean.addDroplet({ name: 'feed-web-2' });
    const web3 = h.digitalocean.addDroplet({ name: 'feed-web-3' });
    const mine = h.digitalocean.addDroplet({ name: 'feed-mine' });

    // The bot's own reboot, while someone powers off another Droplet from the console.
    await h.command('reboot feed-mine', USERS.admin);
    const off = await foreign(web2.id, 'power_off');
    await h.waitForFinal('reboot', 'feed-mine');
    expect(h.posts(mine.id)).toHaveLength(1);

    // A foreign power cycle that fails.
    h.digitalocean.errorNextAction({ dropletId: web3.id });
    const cycle = await foreign(web3.id, 'power_cycle');

    const offLines = await h.slack.waitFor(() => (linesFor(off.id).length ? linesFor(off.id) : undefined), 10_000);
    expect(offLines[0]).toMatch(new RegExp(`^:eyes: \`power_off\` on Droplet <https://cloud\\.digitalocean\\.com/droplets/${web2.id}\\|${web2.id}> \\(nyc3\\) started at \\d\\d:\\d\\d:\\d\\d UTC, not by droplet-bot \\(action ${off.id}\\): in progress\\.$`));
    const cycleLines = await h.slack.waitFor(() => (linesFor(cycle.id).length === 2 ? linesFor(cycle.id) : undefined), 15_000);
    expect(cycleLines[0]).toContain('in progress.');
    expect(cycleLines[1]).toMatch(new RegExp(`^:x: \`power_cycle\` on Droplet .*${web3.id}.*\\(action ${cycle.id}\\): \\*failed\\* after .+\\.$`));

    // Several more looks after everything ended (a definite signal, not a sleep): nothing is said twice.
    const seenListings = listings().length;
    await h.slack.waitFor(() => listings().length >= seenListings + 4, 10_000);
    expect(linesFor(off.id)).toHaveLength(1);
    expect(linesFor(cycle.id)).toHaveLength(2);
    // The bot's own reboot is not in the feed: every line names someone else's action.
    const reported = feedLines().map((t) => Number(/\(action (\d+)\)/.exec(t)?.[1]));
    expect(reported.sort()).toEqual([off.id, cycle.id, cycle.id].sort());
    expect(feedLines().join('\n')).not.toContain(`droplets/${mine.id}|`);
  });

  it('never reports a fleet’s bulk POST by tag, answered or not', async () => {
    for (const lost of [false, true]) {
      const tag = `feed-fleet-${lost ? 'lost' : 'ok'}`;
      const droplets = [1, 2, 3].map((i) => h.digitalocean.addDroplet({ name: `${tag}-${i}`, tags: [tag] }));
      if (lost) h.digitalocean.failNext({ method: 'POST', path: '/v2/droplets/actions' }, { dropConnection: true, afterEffect: true });
      const res = await h.command(`power-cycle tag:${tag}`, USERS.admin);
      const plan = await h.slack.waitFor(() => {
        const said = h.responses(res.responseUrl)[0];
        return said ? h.slack.workspace.ephemerals({ user: USERS.admin }).find((e) => e.text === said.text) : undefined;
      });
      await clickButton(h, plan as never, FLEET_RUN, USERS.admin);
      await h.slack.waitFor(() => h.roots().find((m) => m.text?.includes(`(tag:${tag})`) && /: finished$/.test(m.text ?? '')), 20_000);
      const started = h.digitalocean.state.actions.filter((a) => droplets.some((d) => d.id === a.resource_id));
      expect(started).toHaveLength(3);
      // Looks after the fleet finished: none of its actions is in the feed.
      const seenListings = listings().length;
      await h.slack.waitFor(() => listings().length >= seenListings + 3, 10_000);
      for (const a of started) expect(linesFor(a.id), `action ${a.id}`).toEqual([]);
      // And nothing of the bulk POST is left pending: someone else's power cycle now is reported.
      const other = h.digitalocean.addDroplet({ name: `${tag}-other` });
      const theirs = await foreign(other.id, 'power_cycle');
      await h.slack.waitFor(() => linesFor(theirs.id).length > 0, 10_000);
    }
  }, 60_000);
});
