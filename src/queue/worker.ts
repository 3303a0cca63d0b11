// The BullMQ workers of the worker half: action jobs, and the Slack outbox that reports on
// them. Any number of these, in any number of processes, can share one Redis.
import { MANUAL_RATE_LIMIT } from './manual-rate-limit.js';
import { Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { ACTION_QUEUE } from './action-job.js';
import { type ActionJob, type ActionOutcome } from '../domain/job.js';
import { runActionJob, type RequestDirectory, type RunActionDeps } from '../worker/run-action.js';

export interface ActionWorkerOptions {
  connection: Redis;
  prefix: string;
  concurrency: number;
  /** A worker that stops renewing its lock for this long loses the job to another worker. */
  lockMs: number;
  /** How often a job may lose its worker before BullMQ fails it (default 10). */
  maxStalledCount?: number;
  deps: Omit<RunActionDeps, 'rateLimit' | 'requests'>;
}

export interface ActionWorker {
  worker: Worker<ActionJob, ActionOutcome>;
  close(force?: boolean): Promise<void>;
}

/** Looks up other requests through the queue itself: the job ID is the request ID. */
export function queueDirectory(queue: Queue<ActionJob>): RequestDirectory {
  return {
    async get(requestId) {
      const job = await Job.fromId<ActionJob>(queue, requestId);
      if (!job) return undefined;
      return { state: await job.getState(), data: job.data };
    },
    async promote(requestId) {
      const job = await Job.fromId<ActionJob>(queue, requestId);
      if (job && (await job.isDelayed())) await job.promote();
    },
  };
}

export function createActionWorker(opts: ActionWorkerOptions): ActionWorker {
  const queue = new Queue<ActionJob>(ACTION_QUEUE, { connection: opts.connection, prefix: opts.prefix });
  const requests = queueDirectory(queue);
  const worker: Worker<ActionJob, ActionOutcome> = new Worker<ActionJob, ActionOutcome>(
    ACTION_QUEUE,
    (job, token) => runActionJob(job, { ...opts.deps, requests, rateLimit: (ms) => worker.rateLimit(ms) }, token),
    {
      connection: opts.connection,
      prefix: opts.prefix,
      concurrency: opts.concurrency,
      // A 429 pauses this queue in every process (see manual-rate-limit.ts).
      limiter: MANUAL_RATE_LIMIT,
      // Actions are followed inside the job for minutes; BullMQ renews the lock while it runs.
      lockDuration: opts.lockMs,
      stalledInterval: Math.max(1000, Math.floor(opts.lockMs / 2)),
      maxStalledCount: opts.maxStalledCount ?? 10,
    },
  );
  worker.on('failed', (job, err) => {
    opts.deps.logger.warn({ requestId: job?.data.requestId, err: err.message }, 'job attempt failed');
    // BullMQ fails a job on its own after it stalled too often (its workers kept dying); our
    // processor never saw that end, so say it here and free the Droplet for the next request.
    if (job && /stalled more than allowable limit/i.test(err.message)) void reportStalled(job.data, opts.deps, requests);
  });
  worker.on('error', (err) => opts.deps.logger.error({ err: err.message }, 'worker error'));
  return {
    worker,
    async close(force = false) {
      await worker.close(force);
      await queue.close();
    },
  };
}

async function reportStalled(data: ActionJob, deps: ActionWorkerOptions['deps'], requests: RequestDirectory): Promise<void> {
  try {
    const message = 'the job stalled too often (its workers kept stopping). Check the Droplet before trying again.';
    await deps.reporter.finished(data, { status: 'errored', actionId: data.actionId, message });
    const next = await deps.line.leave(data.droplet.id, data.requestId);
    if (next) await requests.promote(next);
  } catch (err) {
    deps.logger.error({ requestId: data.requestId, err: (err as Error).message }, 'could not report a stalled job');
  }
}
