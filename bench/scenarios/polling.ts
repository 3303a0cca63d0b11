// Polling: 50 reboots in flight at once, each taking 10 s at DigitalOcean. Counts the status
// calls (GET /v2/actions, /v2/actions/{id}, /v2/droplets/{id}/actions) per action, and how
// long after DigitalOcean finished each action its "completed" reply reached the thread.
// The bot runs as one process (`main.js`, both halves) so its memory can be read idle and
// under this load.
import { setTimeout as sleep } from 'node:timers/promises';
import { startBotProcess, SECRETS } from '../bot-process.js';
import { commandBody, fire, percentile } from '../load.js';
import { rssOf, sampleRss, waitUntil } from '../procs.js';
import { startSims } from '../sims-client.js';

export const POLLING = { actions: 50, rebootMs: 10_000 };

export interface PollingResult {
  actions: number;
  statusCalls: number;
  listCalls: number;
  singleCalls: number;
  callsPerAction: number;
  delayP50: number;
  delayP95: number;
  delayMax: number;
  wallMs: number;
  rssIdle: number;
  rssPeak: number;
}

const STATUS_PATH = /^\/v2\/(actions(\/\d+)?|droplets\/\d+\/actions(\/\d+)?)$/;

export async function measurePolling(redisUrl: string, prefix: string): Promise<PollingResult> {
  const sims = await startSims({
    slackToken: SECRETS.botToken,
    doToken: SECRETS.doToken,
    durations: { reboot: POLLING.rebootMs },
    droplets: { prefix: 'poll', count: POLLING.actions },
  });
  // Enough worker slots for all 50 to be in flight at once; every other setting is the default.
  const bot = await startBotProcess('all', { slackUrl: sims.slackUrl, doUrl: sims.doUrl, redisUrl, prefix, env: { WORKER_CONCURRENCY: String(POLLING.actions) } });
  try {
    // Idle: started, connected, nothing to do. The median of a few readings.
    await sleep(2000);
    const idle: number[] = [];
    for (let i = 0; i < 5; i++) {
      idle.push(rssOf(bot.proc.pid!) ?? 0);
      await sleep(200);
    }
    const rssIdle = percentile(idle, 50);

    const rss = sampleRss(bot.proc.pid!);
    const t0 = Date.now();
    const bodies = sims.droplets.map((d) => commandBody(`reboot ${d.name}`, `${sims.slackUrl}/bench-response`));
    const sent = await fire(bot.eventsUrl!, bodies, POLLING.actions);
    if (sent.failures) throw new Error(`${sent.failures} commands were not acked`);
    await waitUntil('50 completed replies', async () => ((await sims.progress()).completed >= POLLING.actions ? true : undefined), 90_000, bot);
    const wallMs = Date.now() - t0;
    const { peak } = rss.stop();

    const snap = await sims.snapshot();
    const status = snap.doCalls.filter((c) => c.method === 'GET' && STATUS_PATH.test(c.path));
    const posts = new Map(snap.doCalls.filter((c) => c.method === 'POST').map((c) => [Number(c.path.split('/')[3]), c.at]));
    const delays: number[] = [];
    for (const reply of snap.slackCalls) {
      const m = reply.method === 'chat.postMessage' ? /\*completed\* · action (\d+) completed/.exec(reply.text ?? '') : null;
      if (!m) continue;
      const action = snap.actions.find((a) => a.id === Number(m[1]));
      const postedAt = action ? posts.get(action.dropletId) : undefined;
      if (postedAt === undefined) continue;
      // The simulator finishes an action exactly `rebootMs` after the POST reached it; its
      // completed_at has whole seconds only, too coarse to measure against.
      delays.push(reply.at - (postedAt + POLLING.rebootMs));
    }
    if (delays.length !== POLLING.actions) throw new Error(`matched ${delays.length} of ${POLLING.actions} completed replies`);
    return {
      actions: POLLING.actions,
      statusCalls: status.length,
      listCalls: status.filter((c) => c.path === '/v2/actions').length,
      singleCalls: status.filter((c) => c.path !== '/v2/actions').length,
      callsPerAction: status.length / POLLING.actions,
      delayP50: percentile(delays, 50),
      delayP95: percentile(delays, 95),
      delayMax: Math.max(...delays),
      wallMs,
      rssIdle,
      rssPeak: peak,
    };
  } finally {
    await bot.stop();
    await sims.stop();
  }
}
