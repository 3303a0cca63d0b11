// Ack latency: the real receiver (`main.js web`, with Redis and both simulators, doing all its
// post-ack work) against a bare Bolt app that only acks, both fed the same signed /droplet
// commands at the same concurrency, in alternating rounds so both see the same machine.
import { setTimeout as sleep } from 'node:timers/promises';
import { startBotProcess, SECRETS } from '../bot-process.js';
import { commandBody, fire, percentile } from '../load.js';
import { freePort, spawnNode, waitUntil, BUILD } from '../procs.js';
import { startSims } from '../sims-client.js';

// Many short rounds, alternating, so a noisy neighbour on the machine hits both alike.
export const ACK = { concurrency: 40, rounds: 24, perRound: 80, warmup: 80, droplets: 40 };

export interface AckResult {
  bot: { p50: number; p95: number; p99: number; max: number; n: number; failures: number };
  bare: { p50: number; p95: number; p99: number; max: number; n: number; failures: number };
  ratioP99: number;
}

export async function measureAck(redisUrl: string, prefix: string): Promise<AckResult> {
  // A limit far above what the commands need: this part is about the ack, not the budget.
  const sims = await startSims({
    slackToken: SECRETS.botToken,
    doToken: SECRETS.doToken,
    rateLimit: { perMinute: 1_000_000, perHour: 10_000_000 },
    droplets: { prefix: 'ack', count: ACK.droplets },
  });
  const bot = await startBotProcess('web', {
    slackUrl: sims.slackUrl,
    doUrl: sims.doUrl,
    redisUrl,
    prefix,
    env: { DIGITALOCEAN_RATE_PER_MINUTE: '1000000', DIGITALOCEAN_RATE_PER_HOUR: '10000000' },
  });
  const barePort = await freePort();
  const bare = spawnNode(`${BUILD}bench/bare-bolt.js`, [], { SLACK_SIGNING_SECRET: SECRETS.signingSecret, SLACK_BOT_TOKEN: SECRETS.botToken, PORT: String(barePort) }, 'bare-bolt', true);
  let bareReady = false;
  bare.proc.once('message', () => (bareReady = true));
  await waitUntil('bare Bolt app', () => (bareReady ? true : undefined), 20_000, bare);
  const bareUrl = `http://127.0.0.1:${barePort}/slack/events`;

  let k = 0;
  const bodies = (n: number) => [...Array(n)].map(() => commandBody(`reboot ack-${(k++ % ACK.droplets) + 1}`, `${sims.slackUrl}/bench-response`));
  const botRun = async (n: number) => {
    const r = await fire(bot.eventsUrl!, bodies(n), ACK.concurrency);
    // Let the bot finish its post-ack work so the next round starts on a quiet machine.
    await sims.quiet(400);
    return r;
  };
  const bareRun = async (n: number) => {
    const r = await fire(bareUrl, bodies(n), ACK.concurrency);
    await sleep(400);
    return r;
  };
  try {
    await bareRun(ACK.warmup);
    await botRun(ACK.warmup);
    const botLat: number[] = [];
    const bareLat: number[] = [];
    let botFail = 0;
    let bareFail = 0;
    for (let round = 0; round < ACK.rounds; round++) {
      // Alternate who goes first, so neither always follows the other's leftovers.
      const order = round % 2 === 0 ? (['bare', 'bot'] as const) : (['bot', 'bare'] as const);
      for (const who of order) {
        const r = who === 'bot' ? await botRun(ACK.perRound) : await bareRun(ACK.perRound);
        (who === 'bot' ? botLat : bareLat).push(...r.latencies);
        if (who === 'bot') botFail += r.failures;
        else bareFail += r.failures;
      }
    }
    const stats = (l: number[], failures: number) => ({ p50: percentile(l, 50), p95: percentile(l, 95), p99: percentile(l, 99), max: Math.max(...l), n: l.length, failures });
    const b = stats(botLat, botFail);
    const base = stats(bareLat, bareFail);
    return { bot: b, bare: base, ratioP99: b.p99 / base.p99 };
  } finally {
    await Promise.all([bot.stop(), bare.stop()]);
    await sims.stop();
  }
}
