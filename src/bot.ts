// Builds the bot from settings: the web half (web.ts: Slack receiver, producer) and/or the worker
// half (worker.ts: action worker, DigitalOcean follower, Slack outbox). They share nothing but Redis.
// Each half is loaded only where it runs, so a receiver or a worker process holds only its own code.
import type { BotOptions, Ops, RunningBot } from './bot-options.js';
import { Health } from './ops/health.js';
import { BotMetrics } from './ops/metrics.js';
import { startOpsServer } from './ops/ops-server.js';

export type { BotOptions, RunningBot };

export async function startBot(opts: BotOptions): Promise<RunningBot> {
  const stops: Array<() => Promise<void>> = [];
  // The halves share nothing but Redis, so they stop side by side: a shutdown takes one grace
  // period, not one per half.
  const stopAll = async () => {
    const results = await Promise.allSettled(stops.splice(0).map((stop) => stop()));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  };
  const ops: Ops = opts.ops ?? { health: new Health(), metrics: new BotMetrics() };
  try {
    return { ...(await startParts({ ...opts, ops }, stops)), ops, stop: stopAll };
  } catch (err) {
    // A half-started bot must not leave connections, workers or servers behind.
    await stopAll().catch(() => {});
    throw err;
  }
}

/** The worker half first, so a one-process bot can take work as soon as it acks. */
async function startParts(opts: BotOptions & { ops: Ops }, stops: Array<() => Promise<void>>): Promise<{ port?: number }> {
  // A worker process answers /healthz and /metrics on PORT too (with a receiver, the receiver
  // does). Its port is taken first, so a port in use stops the process before it takes any job.
  let port: number | undefined;
  if (!opts.web) {
    const server = await startOpsServer(opts.config.port, opts.ops.health, opts.ops.metrics);
    stops.push(() => server.close());
    port = server.port;
  }
  if (opts.worker) await (await import('./worker.js')).startWorker(opts, stops);
  if (opts.web) port = await (await import('./web.js')).startWeb(opts, stops);
  return port === undefined ? {} : { port };
}
