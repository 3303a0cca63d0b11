// Shutdown: how long SIGTERM takes to stop each half with work in it. The worker follows a
// reboot that outlasts its grace period, so it hands the job back; the receiver is stopped
// right after acking a command, so it first finishes that request (the intake drain).
import { startBotProcess, SECRETS } from '../bot-process.js';
import { commandBody, fire } from '../load.js';
import { waitUntil } from '../procs.js';
import { startSims } from '../sims-client.js';

export const SHUTDOWN = { graceMs: 1000, rebootMs: 60_000 };

export interface ShutdownResult {
  /** SIGTERM to exit, worker following an action. */
  workerMs: number;
  workerCode: number | null;
  /** SIGTERM to exit, receiver right after an ack. */
  webMs: number;
  webCode: number | null;
}

async function stopTimed(proc: import('node:child_process').ChildProcess): Promise<{ ms: number; code: number | null }> {
  const t0 = performance.now();
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  proc.kill('SIGTERM');
  const code = await exited;
  return { ms: performance.now() - t0, code };
}

export async function measureShutdown(redisUrl: string, prefix: string): Promise<ShutdownResult> {
  const sims = await startSims({ slackToken: SECRETS.botToken, doToken: SECRETS.doToken, durations: { reboot: SHUTDOWN.rebootMs }, droplets: { prefix: 'shut', count: 2 } });
  const env = { SHUTDOWN_GRACE_MS: String(SHUTDOWN.graceMs), WORKER_LOCK_MS: '5000' };
  const settings = { slackUrl: sims.slackUrl, doUrl: sims.doUrl, redisUrl, prefix, env };
  const web = await startBotProcess('web', settings);
  const worker = await startBotProcess('worker', settings);
  try {
    await fire(web.eventsUrl!, [commandBody('reboot shut-1', `${sims.slackUrl}/bench-response`)], 1);
    // The worker has POSTed and is following the reboot.
    await waitUntil('the reboot to start', async () => ((await sims.snapshot()).doCalls.some((c) => c.method === 'POST') ? true : undefined), 20_000, worker);
    const w = await stopTimed(worker.proc);
    await fire(web.eventsUrl!, [commandBody('reboot shut-2', `${sims.slackUrl}/bench-response`)], 1);
    const r = await stopTimed(web.proc);
    return { workerMs: w.ms, workerCode: w.code, webMs: r.ms, webCode: r.code };
  } finally {
    await Promise.all([web.stop(), worker.stop()]);
    await sims.stop();
  }
}
