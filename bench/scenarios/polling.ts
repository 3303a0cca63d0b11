// Polling: 50 reboots sent at once, each taking 10 s at DigitalOcean, in two shapes: one bot
// process with both halves at default settings, and a receiver with three worker processes.
// Each shape runs two batches on one Redis: the first with nothing learned (a fresh install),
// the second once the poller has learned how long a reboot takes. Counts the status calls
// (GET /v2/actions, /v2/actions/{id}, /v2/droplets/{id}/actions) per action, the time until the
// last POST, and how long after DigitalOcean finished each action its "completed" reply reached
// the thread. Reads each process's memory idle (without the sandbox: production processes never
// load it) and at its peak.
import { setTimeout as sleep } from 'node:timers/promises';
import { startBotProcess, SECRETS, type BotProcess } from '../bot-process.js';
import { commandBody, fire, percentile } from '../load.js';
import { rssOf, sampleRss, waitUntil } from '../procs.js';
import { startSims, type Sims } from '../sims-client.js';

export const POLLING = { actions: 50, rebootMs: 10_000, workers: 3 };

export interface PollingBatch {
  /** From the first command sent to the last action POST reaching DigitalOcean. */
  lastPostMs: number;
  statusCalls: number;
  listCalls: number;
  singleCalls: number;
  callsPerAction: number;
  /** Every other DigitalOcean call in the batch: POSTs, the receiver's lookups, the worker's reads. */
  otherCalls: number;
  delayP50: number;
  delayP95: number;
  delayMax: number;
}

export interface PollingResult {
  shape: 'one' | 'three';
  cold: PollingBatch;
  learned: PollingBatch;
  /** Idle RSS: the one process, or the receiver and the median worker. */
  rssIdle: { all?: number; web?: number; worker?: number };
  rssPeak: { all?: number; web?: number; worker?: number };
}

export const STATUS_PATH = /^\/v2\/(actions(\/\d+)?|droplets\/\d+\/actions(\/\d+)?)$/;

/** How long after start-up a process counts as idle: V8 gives back start-up's garbage within seconds of it. */
export const IDLE_AFTER_MS = 15_000;

async function idleRss(proc: BotProcess): Promise<number> {
  const idle: number[] = [];
  for (let i = 0; i < 5; i++) {
    idle.push(rssOf(proc.proc.pid!) ?? 0);
    await sleep(200);
  }
  return percentile(idle, 50);
}

/** Sends 50 reboots and waits for their replies; figures count only what happened from its start. */
async function batch(sims: Sims, entry: BotProcess, index: number, watchdog: BotProcess): Promise<PollingBatch> {
  const t0 = Date.now();
  const bodies = sims.droplets.map((d) => commandBody(`reboot ${d.name}`, `${sims.slackUrl}/bench-response`));
  const sent = await fire(entry.eventsUrl!, bodies, POLLING.actions);
  if (sent.failures) throw new Error(`${sent.failures} commands were not acked`);
  await waitUntil(`${POLLING.actions} completed replies`, async () => ((await sims.progress()).completed >= index * POLLING.actions ? true : undefined), 90_000, watchdog);
  const snap = await sims.snapshot();
  const calls = snap.doCalls.filter((c) => c.at >= t0);
  const status = calls.filter((c) => c.method === 'GET' && STATUS_PATH.test(c.path));
  const postCalls = calls.filter((c) => c.method === 'POST');
  if (postCalls.length !== POLLING.actions) throw new Error(`${postCalls.length} POSTs for ${POLLING.actions} reboots`);
  const posts = new Map(postCalls.map((c) => [Number(c.path.split('/')[3]), c.at]));
  const delays: number[] = [];
  for (const reply of snap.slackCalls) {
    if (reply.at < t0) continue;
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
    lastPostMs: Math.max(...postCalls.map((c) => c.at)) - t0,
    statusCalls: status.length,
    listCalls: status.filter((c) => c.path === '/v2/actions').length,
    singleCalls: status.filter((c) => c.path !== '/v2/actions').length,
    callsPerAction: status.length / POLLING.actions,
    otherCalls: calls.length - status.length,
    delayP50: percentile(delays, 50),
    delayP95: percentile(delays, 95),
    delayMax: Math.max(...delays),
  };
}

export async function measurePolling(redisUrl: string, prefix: string, shape: 'one' | 'three'): Promise<PollingResult> {
  const sims = await startSims({
    slackToken: SECRETS.botToken,
    doToken: SECRETS.doToken,
    durations: { reboot: POLLING.rebootMs },
    droplets: { prefix: 'poll', count: POLLING.actions },
  });
  const settings = { slackUrl: sims.slackUrl, doUrl: sims.doUrl, redisUrl, prefix };
  // Every setting is the default.
  const procs: BotProcess[] = [];
  try {
    if (shape === 'one') procs.push(await startBotProcess('all', settings));
    else {
      procs.push(await startBotProcess('web', settings));
      for (let i = 0; i < POLLING.workers; i++) procs.push(await startBotProcess('worker', settings));
    }
    const [entry, ...workers] = procs as [BotProcess, ...BotProcess[]];
    // Idle: started, connected, nothing to do for a while. The median of a few readings.
    await sleep(IDLE_AFTER_MS);
    const rssIdle: PollingResult['rssIdle'] = {};
    if (shape === 'one') rssIdle.all = await idleRss(entry);
    else {
      rssIdle.web = await idleRss(entry);
      rssIdle.worker = percentile(await Promise.all(workers.map(idleRss)), 50);
    }
    const samplers = procs.map((p) => sampleRss(p.proc.pid!));
    const coldStart = Date.now();
    const cold = await batch(sims, entry, 1, entry);
    // The second batch starts once the rate budget's minute has passed, so it finds the budget the
    // first one found (two batches in one minute would spend more than DigitalOcean's 250 a minute).
    await sims.quiet(1500);
    await sleep(Math.max(0, coldStart + 61_000 - Date.now()));
    const learned = await batch(sims, entry, 2, entry);
    const peaks = samplers.map((s) => s.stop().peak);
    const rssPeak: PollingResult['rssPeak'] = shape === 'one' ? { all: peaks[0]! } : { web: peaks[0]!, worker: Math.max(...peaks.slice(1)) };
    return { shape, cold, learned, rssIdle, rssPeak };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await sims.stop();
  }
}
