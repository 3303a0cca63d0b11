// One resize of a running Droplet: the procedure's graceful stop, resize and power-on, with the
// bot's default pacing. Counts the DigitalOcean calls by kind and the Slack calls, how long each
// step took to follow the end of the one before, and how long after DigitalOcean powered the
// Droplet on again the root message said "completed".
import { SECRETS, startBotProcess } from '../bot-process.js';
import { commandBody, fire } from '../load.js';
import { waitUntil } from '../procs.js';
import { startSims } from '../sims-client.js';
import { setTimeout as sleep } from 'node:timers/promises';

export const PROCEDURE = { shutdownMs: 5000, resizeMs: 20_000, powerOnMs: 5000 };

export interface ProcedureResult {
  posts: number;
  dropletReads: number;
  actionReads: number;
  otherReads: number;
  slackCalls: number;
  /** From each step's action ending to the next step's POST, ms. */
  gapsMs: number[];
  /** From the power-on's end to "completed" on the root message, ms. */
  lagMs: number;
  wallMs: number;
}

export async function measureProcedure(redisUrl: string, prefix: string): Promise<ProcedureResult> {
  const sims = await startSims({
    slackToken: SECRETS.botToken,
    doToken: SECRETS.doToken,
    durations: { shutdown: PROCEDURE.shutdownMs, resize: PROCEDURE.resizeMs, power_on: PROCEDURE.powerOnMs },
    droplets: { prefix: 'proc', count: 1 },
  });
  const bot = await startBotProcess('all', { slackUrl: sims.slackUrl, doUrl: sims.doUrl, redisUrl, prefix });
  try {
    const t0 = Date.now();
    if ((await fire(bot.eventsUrl!, [commandBody('resize proc-1 size=s-2vcpu-4gb', `${sims.slackUrl}/bench-response`)], 1)).failures) throw new Error('the command was not acked');
    const end = await waitUntil(
      'the resize to complete',
      async () => {
        await sleep(250);
        return (await sims.snapshot()).slackCalls.find((c) => c.method === 'chat.update' && c.threadTs === undefined && c.text === 'resize on proc-1: completed');
      },
      120_000,
      bot,
    );
    await sims.quiet(1000);
    const snap = await sims.snapshot();
    const during = snap.doCalls.filter((c) => c.at >= t0 && c.at <= end.at);
    const posts = during.filter((c) => c.method === 'POST');
    const durations = [PROCEDURE.shutdownMs, PROCEDURE.resizeMs, PROCEDURE.powerOnMs];
    const gapsMs = posts.slice(1).map((p, i) => p.at - (posts[i]!.at + durations[i]!));
    const gets = during.filter((c) => c.method === 'GET');
    return {
      posts: posts.length,
      dropletReads: gets.filter((c) => /^\/v2\/droplets\/\d+$/.test(c.path)).length,
      actionReads: gets.filter((c) => /^\/v2\/actions(\/\d+)?$/.test(c.path)).length,
      otherReads: gets.filter((c) => !/^\/v2\/droplets\/\d+$/.test(c.path) && !/^\/v2\/actions(\/\d+)?$/.test(c.path)).length,
      slackCalls: snap.slackCalls.filter((c) => c.at >= t0 && c.at <= end.at).length,
      gapsMs,
      lagMs: end.at - ((posts[2]?.at ?? end.at) + PROCEDURE.powerOnMs),
      wallMs: end.at - t0,
    };
  } finally {
    await bot.stop();
    await sims.stop();
  }
}
