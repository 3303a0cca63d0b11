// Adds action jobs. One job per request: the request ID is the job ID, so a repeated add is a no-op.
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { ACTION_QUEUE, type ActionJob } from './action-job.js';

export class ActionProducer {
  readonly queue: Queue<ActionJob>;

  constructor(connection: Redis, prefix: string) {
    this.queue = new Queue<ActionJob>(ACTION_QUEUE, {
      connection,
      prefix,
      skipWaitingForReady: true,
      defaultJobOptions: {
        attempts: 12,
        backoff: { type: 'exponential', delay: 2000 },
        removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
        removeOnFail: { age: 30 * 24 * 3600 },
      },
    });
  }

  async enqueue(job: ActionJob): Promise<void> {
    await this.queue.add(job.action, job, { jobId: job.requestId });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
