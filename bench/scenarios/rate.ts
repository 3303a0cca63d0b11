// Rate budget: DigitalOcean's limit scaled down to 100 requests a minute (the simulator and the
// bot's budget agree, as they would at 250), 100 reboots queued through the receiver, then two
// worker processes start on them. Over the two minutes from the first request, how much of the
// allowed rate did the bot use, and did DigitalOcean ever answer 429?
import { setTimeout as sleep } from 'node:timers/promises';
import { startBotProcess, SECRETS, type BotProcess } from '../bot-process.js';
import { commandBody, fire } from '../load.js';
import { waitUntil } from '../procs.js';
import { startSims } from '../sims-client.js';

export const RATE = { perMinute: 100, perHour: 5000, actions: 100, workers: 2, windowMs: 120_000, rebootMs: 5000 };

export interface RateResult {
  allowed: number;
  made: number;
  utilisation: number;
  perMinute: number[];
  tooMany: number;
  posted: number;
  completed: number;
}

export async function measureRate(redisUrl: string, prefix: string): Promise<RateResult> {
  const limit = { perMinute: RATE.perMinute, perHour: RATE.perHour };
  const sims = await startSims({
    slackToken: SECRETS.botToken,
    doToken: SECRETS.doToken,
    durations: { reboot: RATE.rebootMs },
    rateLimit: limit,
    droplets: { prefix: 'rate', count: RATE.actions },
  });
  const settings = {
    slackUrl: sims.slackUrl,
    doUrl: sims.doUrl,
    redisUrl,
    prefix,
    env: { DIGITALOCEAN_RATE_PER_MINUTE: String(limit.perMinute), DIGITALOCEAN_RATE_PER_HOUR: String(limit.perHour) },
  };
  const procs: BotProcess[] = [];
  try {
    const web = await startBotProcess('web', settings);
    procs.push(web);
    const sent = await fire(web.eventsUrl!, sims.droplets.map((d) => commandBody(`reboot ${d.name}`, `${sims.slackUrl}/bench-response`)), 40);
    if (sent.failures) throw new Error(`${sent.failures} commands were not acked`);
    // Queued = announced in the channel: every lookup done, every job in Redis.
    await waitUntil('100 queued requests', async () => ((await sims.progress()).roots >= RATE.actions ? true : undefined), 60_000, web);
    for (let i = 0; i < RATE.workers; i++) procs.push(await startBotProcess('worker', settings));

    const first = (await sims.snapshot()).doCalls[0]?.at ?? Date.now();
    await sleep(Math.max(0, first + RATE.windowMs - Date.now()) + 500);
    const snap = await sims.snapshot();
    const inWindow = snap.doCalls.filter((c) => c.at >= first && c.at < first + RATE.windowMs);
    // Refused requests do not count against DigitalOcean's limit, so they are not "made".
    const made = inWindow.filter((c) => c.status !== 429).length;
    const minutes = Math.ceil(RATE.windowMs / 60_000);
    const perMinute = [...Array(minutes)].map((_, i) => inWindow.filter((c) => c.status !== 429 && c.at >= first + i * 60_000 && c.at < first + (i + 1) * 60_000).length);
    // A sliding minute allows perMinute requests in any 60 s, so a span of N whole minutes allows N times that.
    const allowed = limit.perMinute * minutes;
    const progress = await sims.progress();
    return {
      allowed,
      made,
      utilisation: made / allowed,
      perMinute,
      tooMany: snap.doCalls.filter((c) => c.status === 429).length,
      posted: snap.doCalls.filter((c) => c.method === 'POST' && c.status < 300).length,
      completed: progress.completed,
    };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await sims.stop();
  }
}
