// The Home tab under a crowd: 20 people open it at once on an account of 300 Droplets, then one
// of them runs 10 reboots that end together. Counts the views.publish calls and the Droplet
// list reads for the opens, how long the last person waited, and how many times the workers
// published that person's tab again for the 10 ends (they fold ends into one publish per window).
import { appHomeOpenedBody } from 'droplet-bot-sandbox';
import { BENCH_PEOPLE, BENCH_USER, SECRETS, startBotProcess } from '../bot-process.js';
import { commandBody, fire } from '../load.js';
import { waitUntil } from '../procs.js';
import { startSims } from '../sims-client.js';
import { setTimeout as sleep } from 'node:timers/promises';

export const HOME = { people: 1 + BENCH_PEOPLE.length, droplets: 300, reboots: 10, rebootMs: 5000 };

export interface HomeResult {
  publishes: number;
  /** GETs of the Droplet list (each page counts) for the opens. */
  listPages: number;
  /** From the opens' first request to each person's first publish, ms. */
  firstMs: number;
  lastMs: number;
  /** Publishes of the requester's tab from the first reboot's end to the last one's, and after. */
  refreshes: number;
  /** From the last reboot's "completed" to the last publish of the requester's tab, ms. */
  refreshLagMs: number;
}

export async function measureHome(redisUrl: string, prefix: string): Promise<HomeResult> {
  const sims = await startSims({ slackToken: SECRETS.botToken, doToken: SECRETS.doToken, durations: { reboot: HOME.rebootMs }, droplets: { prefix: 'home', count: HOME.droplets } });
  const bot = await startBotProcess('all', { slackUrl: sims.slackUrl, doUrl: sims.doUrl, redisUrl, prefix });
  try {
    const people = [BENCH_USER, ...BENCH_PEOPLE];
    const t0 = Date.now();
    const opened = await fire(bot.eventsUrl!, people.map((u) => appHomeOpenedBody({ user_id: u })), people.length, 'application/json');
    if (opened.failures) throw new Error(`${opened.failures} app_home_opened callbacks were not acked`);
    const firsts = await waitUntil(
      'every person’s Home tab to be published',
      async () => {
        await sleep(100);
        const calls = (await sims.snapshot()).slackCalls.filter((c) => c.method === 'views.publish' && c.at >= t0);
        const first = new Map<string, number>();
        for (const c of calls) if (c.user && !first.has(c.user)) first.set(c.user, c.at);
        return first.size === people.length ? first : undefined;
      },
      60_000,
      bot,
    );
    await sims.quiet(1000);
    const snap = await sims.snapshot();
    const publishes = snap.slackCalls.filter((c) => c.method === 'views.publish' && c.at >= t0).length;
    const listPages = snap.doCalls.filter((c) => c.at >= t0 && c.method === 'GET' && c.path === '/v2/droplets').length;
    const waits = [...firsts.values()].map((at) => at - t0);

    // Ten reboots by one person who has the tab open, ending together.
    const t1 = Date.now();
    const names = Array.from({ length: HOME.reboots }, (_, i) => `home-${i + 1}`);
    const ran = await fire(bot.eventsUrl!, names.map((n) => commandBody(`reboot ${n}`, `${sims.slackUrl}/bench-response`)), HOME.reboots);
    if (ran.failures) throw new Error('a reboot was not acked');
    const completed = (s: Awaited<ReturnType<typeof sims.snapshot>>) => s.slackCalls.filter((c) => c.method === 'chat.update' && c.threadTs === undefined && /^reboot on home-\d+: completed$/.test(c.text ?? ''));
    const ends = await waitUntil(
      'the reboots to complete',
      async () => {
        await sleep(250);
        const done = completed(await sims.snapshot());
        return new Set(done.map((c) => c.text)).size === HOME.reboots ? done : undefined;
      },
      120_000,
      bot,
    );
    const lastEnd = Math.max(...ends.map((c) => c.at));
    // Longer than the refresh window: every publish the ends cause has happened by then.
    await sleep(6000);
    await sims.quiet(1000);
    const after = (await sims.snapshot()).slackCalls.filter((c) => c.method === 'views.publish' && c.user === BENCH_USER && c.at >= t1);
    return {
      publishes,
      listPages,
      firstMs: Math.min(...waits),
      lastMs: Math.max(...waits),
      refreshes: after.length,
      refreshLagMs: after.length ? Math.max(...after.map((c) => c.at)) - lastEnd : NaN,
    };
  } finally {
    await bot.stop();
    await sims.stop();
  }
}
