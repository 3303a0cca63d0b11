// The BullMQ worker that runs action jobs. Any number of these, in any number of processes,
// can share one Redis.
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { ACTION_QUEUE, type ActionJob, type ActionOutcome } from './action-job.js';
import { runActionJob, type RunActionDeps } from './run-action.js';

export interface ActionWorkerOptions {
  connection: Redis;
  prefix: string;
  concurrency: number;
  deps: Omit<RunActionDeps, 'rateLimit'>;
}

export function createActionWorker(opts: ActionWorkerOptions): Worker<ActionJob, ActionOutcome> {
  const worker: Worker<ActionJob, ActionOutcome> = new Worker<ActionJob, ActionOutcome>(
    ACTION_QUEUE,
    (job, token) => runActionJob(job, { ...opts.deps, rateLimit: (ms) => worker.rateLimit(ms) }, token),
    {
      connection: opts.connection,
      prefix: opts.prefix,
      concurrency: opts.concurrency,
      // Actions are followed inside the job for minutes; the lock is renewed while it runs.
      lockDuration: 60_000,
      maxStalledCount: 5,
    },
  );
  worker.on('failed', (job, err) => {
    opts.deps.logger.warn({ requestId: job?.data.requestId, err: err.message }, 'job attempt failed');
  });
  worker.on('error', (err) => opts.deps.logger.error({ err: err.message }, 'worker error'));
  return worker;
}
