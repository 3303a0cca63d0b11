// Recovery: a worker killed with -9 mid-action, and a new one started in its place. Time runs
// from the new worker's start to "completed" in the thread. Two cases, each with a receiver and
// one worker process at default settings (WORKER_LOCK_MS 15 s):
//   parked:  killed while the job waits for its action (it holds no lock then); the action
//            ends while no worker runs, and the new worker starts right after.
//   mid-POST: killed while its POST is unanswered (DigitalOcean holds the answer 3 s), so the job
//            still holds its lock; the new worker starts at once and must wait the lock out. It
//            finds the action the first POST started and sends no second one.
import { setTimeout as sleep } from 'node:timers/promises';
import { startBotProcess, SECRETS, type BotProcess } from '../bot-process.js';
import { commandBody, fire } from '../load.js';
import { waitUntil } from '../procs.js';
import { startSims } from '../sims-client.js';

export const RECOVERY = { actionMs: 4000, slowPostMs: 3000 };

export interface RecoveryResult {
  parkedMs: number;
  midPostMs: number;
  /** Action POSTs DigitalOcean received in the mid-POST case (1: no double send). */
  midPostPosts: number;
}

async function once(redisUrl: string, prefix: string, midPost: boolean): Promise<{ ms: number; posts: number }> {
  const sims = await startSims({
    slackToken: SECRETS.botToken,
    doToken: SECRETS.doToken,
    durations: { reboot: RECOVERY.actionMs },
    droplets: { prefix: 'crash', count: 1 },
    ...(midPost ? { slowPostsMs: RECOVERY.slowPostMs } : {}),
  });
  const settings = { slackUrl: sims.slackUrl, doUrl: sims.doUrl, redisUrl, prefix };
  const web = await startBotProcess('web', settings);
  let worker: BotProcess = await startBotProcess('worker', settings);
  try {
    const sent = await fire(web.eventsUrl!, [commandBody(`reboot ${sims.droplets[0]!.name}`, `${sims.slackUrl}/bench-response`)], 1);
    if (sent.failures) throw new Error('the command was not acked');
    await waitUntil('the POST to reach DigitalOcean', async () => ((await sims.progress()).postArrivals >= 1 ? true : undefined), 20_000, worker);
    if (!midPost) {
      // The answer came back at once: the job saves the action ID and parks within a moment.
      await waitUntil('the POST to be answered', async () => ((await sims.snapshot()).doCalls.some((c) => c.method === 'POST') ? true : undefined), 10_000, worker);
      await sleep(500);
    }
    const killed = new Promise((r) => worker.proc.once('exit', r));
    worker.proc.kill('SIGKILL');
    await killed;
    // Parked: let the action end while no worker runs, so the figure is the recovery alone.
    if (!midPost) await sleep(RECOVERY.actionMs);
    const restart = Date.now();
    worker = await startBotProcess('worker', settings);
    await waitUntil('"completed" in the thread', async () => ((await sims.progress()).completed >= 1 ? true : undefined), 90_000, worker);
    const snap = await sims.snapshot();
    const done = snap.slackCalls.find((c) => c.method === 'chat.postMessage' && /\*completed\*/.test(c.text ?? ''))!;
    return { ms: done.at - restart, posts: (await sims.progress()).postArrivals };
  } finally {
    await worker.stop();
    await web.stop();
    await sims.stop();
  }
}

export async function measureRecovery(redisUrl: string, prefix: (name: string) => string): Promise<RecoveryResult> {
  const parked = await once(redisUrl, prefix('recovery-parked'), false);
  const midPost = await once(redisUrl, prefix('recovery-post'), true);
  return { parkedMs: parked.ms, midPostMs: midPost.ms, midPostPosts: midPost.posts };
}
