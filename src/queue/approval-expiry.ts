// Approval requests expire even when nobody clicks: each one gets a delayed BullMQ job on its own
// queue, run by the worker processes when the deadline passes. The job carries only the ID; the
// expiry itself is the same atomic state change as Approve and Deny, so exactly one of them wins.
import { DelayedError, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';

export const APPROVAL_EXPIRY_QUEUE = 'approval-expiry';

export interface ExpiryJobData {
  /** An approval request's ID, or a fleet's ID when `fleet` is set. */
  approvalId: string;
  fleet?: boolean;
}

export class ApprovalExpiryScheduler {
  readonly queue: Queue<ExpiryJobData>;

  constructor(connection: Redis, prefix: string, logger?: Pick<Logger, 'warn'>) {
    this.queue = new Queue<ExpiryJobData>(APPROVAL_EXPIRY_QUEUE, {
      connection,
      prefix,
      skipWaitingForReady: true,
      defaultJobOptions: {
        attempts: 8,
        backoff: { type: 'exponential', delay: 2000 },
        removeOnComplete: { age: 24 * 3600, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    });
    // Connection errors are the connection's to report; unhandled here they would go to stderr.
    this.queue.on('error', (err) => logger?.warn({ err: err.message }, 'approval expiry queue error'));
  }

  /** One job per approval (the ID is the job ID), due `delayMs` from now. */
  async schedule(approvalId: string, delayMs: number): Promise<void> {
    await this.queue.add('expire', { approvalId }, { jobId: approvalId, delay: Math.max(0, delayMs) });
  }

  /**
   * The deadline of a fleet awaiting approval. The job ID names the fleet and its deadline (never
   * like an approval's), so a second ask for the same fleet, after an earlier one that never
   * opened, still gets a job of its own.
   */
  async scheduleFleet(fleetId: string, delayMs: number, deadline: number): Promise<void> {
    await this.queue.add('expire', { approvalId: fleetId, fleet: true }, { jobId: `${fleetId}.${deadline}`, delay: Math.max(0, delayMs) });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

export interface ApprovalExpiryWorkerOptions {
  connection: Redis;
  prefix: string;
  logger: Logger;
  /** Expires the request (or the fleet's) if it is still pending; a no-op otherwise. Throws to be retried. */
  expire: (job: ExpiryJobData) => Promise<void>;
}

export function createApprovalExpiryWorker(opts: ApprovalExpiryWorkerOptions): Worker<ExpiryJobData> {
  const worker: Worker<ExpiryJobData> = new Worker<ExpiryJobData>(
    APPROVAL_EXPIRY_QUEUE,
    async (job, token) => {
      try {
        await opts.expire(job.data);
      } catch (err) {
        // Due later by Redis's clock than by this process's: look again then, without spending an attempt.
        if (err instanceof Error && err.name === 'ExpiryTooEarly') {
          await job.moveToDelayed(Date.now() + (err as Error & { retryInMs: number }).retryInMs + 50, token);
          throw new DelayedError();
        }
        throw err;
      }
    },
    {
    connection: opts.connection,
    prefix: opts.prefix,
    concurrency: 5,
    },
  );
  worker.on('failed', (job, err) => opts.logger.warn({ approvalId: job?.data.approvalId, err: err.message }, 'approval expiry attempt failed'));
  worker.on('error', (err) => opts.logger.error({ err: err.message }, 'approval expiry worker error'));
  return worker;
}
