// The BullMQ queue of fleet coordinators: one job per fleet (its ID is the fleet's), which runs a
// step, puts itself back as a delayed job, and ends only when the fleet has ended. Whatever moves
// a fleet along (a Droplet's result, a button) promotes that job so its next step runs now.
import { Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { FleetJobData } from '../worker/run-fleet.js';

export const FLEET_QUEUE = 'droplet-fleets';

export type { FleetJobData };

const CAPPED_BACKOFF = 'capped';
/** The longest a failed coordinator step waits before it runs again. */
export const MAX_STEP_BACKOFF_MS = 30_000;

/** Exponential from 1 s, capped: a fleet's coordinator may fail hundreds of times over a long run. */
export function cappedBackoff(attemptsMade: number): number {
  return Math.min(MAX_STEP_BACKOFF_MS, 1000 * 2 ** Math.max(0, Math.min(attemptsMade - 1, 30)));
}

export class FleetScheduler {
  readonly queue: Queue<FleetJobData>;

  constructor(connection: Redis, prefix: string) {
    this.queue = new Queue<FleetJobData>(FLEET_QUEUE, {
      connection,
      prefix,
      skipWaitingForReady: true,
      defaultJobOptions: {
        attempts: 1000,
        // A step that fails (DigitalOcean or Slack unreachable) tries again soon, never days later.
        backoff: { type: CAPPED_BACKOFF, delay: 1000 },
        removeOnComplete: { age: 7 * 24 * 3600 },
        removeOnFail: { age: 30 * 24 * 3600 },
      },
    });
    this.queue.on('error', () => {});
  }

  /** Adds the fleet's coordinator; a second add of the same fleet is a no-op. */
  async start(fleetId: string): Promise<void> {
    await this.queue.add('step', { fleetId }, { jobId: fleetId });
  }

  /** Runs the coordinator's next step now. */
  async wake(fleetId: string): Promise<void> {
    const job = await Job.fromId<FleetJobData>(this.queue, fleetId);
    if (!job) return;
    const state = await job.getState();
    if (state === 'delayed') await job.promote().catch(() => {});
  }

  /** Makes sure a live fleet has a coordinator: adds it, or starts an ended one again; leaves a waiting or delayed one be. */
  async ensure(fleetId: string): Promise<void> {
    const job = await Job.fromId<FleetJobData>(this.queue, fleetId);
    if (!job) return this.start(fleetId);
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') await job.retry(state);
  }

  /** Starts an ended coordinator again (Retry failed after the fleet finished). */
  async restart(fleetId: string): Promise<void> {
    const job = await Job.fromId<FleetJobData>(this.queue, fleetId);
    if (!job) return this.start(fleetId);
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') await job.retry(state);
    else if (state === 'delayed') await job.promote().catch(() => {});
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

export interface FleetWorkerOptions {
  connection: Redis;
  prefix: string;
  lockMs: number;
  logger: Logger;
  step: (job: Job<FleetJobData>, token?: string) => Promise<void>;
}

export function createFleetWorker(opts: FleetWorkerOptions): Worker<FleetJobData> {
  const worker = new Worker<FleetJobData>(FLEET_QUEUE, (job, token) => opts.step(job, token), {
    connection: opts.connection,
    prefix: opts.prefix,
    concurrency: 10,
    lockDuration: opts.lockMs,
    stalledInterval: Math.max(1000, Math.floor(opts.lockMs / 2)),
    maxStalledCount: 100,
    settings: { backoffStrategy: (attemptsMade) => cappedBackoff(attemptsMade) },
  });
  worker.on('failed', (job, err) => opts.logger.warn({ fleetId: job?.data.fleetId, err: err.message }, 'fleet step failed; will retry'));
  worker.on('error', (err) => opts.logger.error({ err: err.message }, 'fleet worker error'));
  return worker;
}
