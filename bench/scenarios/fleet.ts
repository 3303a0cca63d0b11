// A fleet of 500 Droplets on one tag: `power-cycle tag:bench-fleet`, then Run. Counts the action
// POSTs, the status calls (GET /v2/actions…), the Slack calls from Run to the end, and how long
// after DigitalOcean finished the last action the root message said "finished".
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { blockActionsBody } from 'droplet-bot-sandbox';
import { BENCH_CHANNEL, BENCH_USER, SECRETS, startBotProcess } from '../bot-process.js';
import { commandBody, fire } from '../load.js';
import { waitUntil } from '../procs.js';
import { startSims } from '../sims-client.js';

export const FLEET = { droplets: 500, actionMs: 10_000, tag: 'bench-fleet' };

export interface FleetResult {
  droplets: number;
  posts: number;
  bulkPosts: number;
  statusCalls: number;
  /** Poller rounds that listed (calls less than 300 ms apart count as one round), and the most pages one round read. */
  listingRounds: number;
  pagesPerRound: number;
  dropletReads: number;
  slackCalls: number;
  rootEdits: number;
  lagMs: number;
  wallMs: number;
}

const STATUS_PATH = /^\/v2\/actions(\/\d+)?$/;

export async function measureFleet(redisUrl: string, prefix: string): Promise<FleetResult> {
  const sims = await startSims({
    slackToken: SECRETS.botToken,
    doToken: SECRETS.doToken,
    durations: { power_cycle: FLEET.actionMs },
    droplets: { prefix: 'fleet', count: FLEET.droplets, tags: [FLEET.tag] },
  });
  const bot = await startBotProcess('all', { slackUrl: sims.slackUrl, doUrl: sims.doUrl, redisUrl, prefix });
  const redis = new Redis(redisUrl);
  try {
    const planned = await fire(bot.eventsUrl!, [commandBody(`power-cycle tag:${FLEET.tag}`, `${sims.slackUrl}/bench-response`)], 1);
    if (planned.failures) throw new Error('the fleet command was not acked');
    const fleetKey = await waitUntil('the fleet plan', async () => (await redis.keys(`${prefix}:fleet:fl*`))[0], 30_000, bot);
    const fleetId = fleetKey.slice(fleetKey.lastIndexOf(':') + 1);
    const t0 = Date.now();
    const click = blockActionsBody({
      user_id: BENCH_USER,
      channel_id: BENCH_CHANNEL,
      is_ephemeral: true,
      message_ts: '1.000001',
      response_url: `${sims.slackUrl}/bench-response`,
      actions: [{ action_id: 'fleet_run', block_id: 'fleet_plan', text: 'Run', value: fleetId }],
    });
    if ((await fire(bot.eventsUrl!, [click], 1)).failures) throw new Error('the Run click was not acked');
    const finished = (calls: Awaited<ReturnType<typeof sims.snapshot>>['slackCalls']) =>
      calls.find((c) => (c.method === 'chat.update' || c.method === 'chat.postMessage') && c.threadTs === undefined && c.text?.includes(`(tag:${FLEET.tag}): finished`));
    const end = await waitUntil(
      'the fleet to finish',
      async () => {
        await sleep(500);
        return finished((await sims.snapshot()).slackCalls);
      },
      120_000,
      bot,
    );
    const wallMs = end.at - t0;
    await sims.quiet(1000);
    const snap = await sims.snapshot();
    const during = snap.doCalls.filter((c) => c.at >= t0);
    const bulk = during.filter((c) => c.method === 'POST' && c.path === '/v2/droplets/actions');
    const posts = during.filter((c) => c.method === 'POST');
    const lastDone = Math.max(...bulk.map((c) => c.at)) + FLEET.actionMs;
    const slack = snap.slackCalls.filter((c) => c.at >= t0);
    const rounds: number[] = [];
    let last = -Infinity;
    for (const c of during.filter((c) => c.method === 'GET' && c.path === '/v2/actions')) {
      if (c.at - last > 300) rounds.push(0);
      rounds[rounds.length - 1]!++;
      last = c.at;
    }
    return {
      droplets: FLEET.droplets,
      posts: posts.length,
      bulkPosts: bulk.length,
      statusCalls: during.filter((c) => c.method === 'GET' && STATUS_PATH.test(c.path)).length,
      listingRounds: rounds.length,
      pagesPerRound: Math.max(0, ...rounds),
      dropletReads: during.filter((c) => c.method === 'GET' && c.path.startsWith('/v2/droplets')).length,
      slackCalls: slack.length,
      rootEdits: slack.filter((c) => c.method === 'chat.update').length,
      lagMs: end.at - lastDone,
      wallMs,
    };
  } finally {
    redis.disconnect();
    await bot.stop();
    await sims.stop();
  }
}
