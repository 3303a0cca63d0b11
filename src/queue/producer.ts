// Adds action jobs. One job per request: the request ID is the job ID, so a repeated add is a
// no-op; and the request takes its place in its Droplet's line at the moment it is queued.
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DropletLine } from '../store/droplet-line.js';
import { ACTION_QUEUE } from './action-job.js';
import { type ActionJob } from '../domain/job.js';

const QUEUED_MARK_SECONDS = 8 * 24 * 3600;

export class ActionProducer {
  readonly queue: Queue<ActionJob>;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly line: Pick<DropletLine, 'join' | 'leave'>,
    /** Told of each job added (the requests metric's `queued`). */
    private readonly onQueued?: (job: ActionJob) => void,
  ) {
    this.queue = new Queue<ActionJob>(ACTION_QUEUE, {
      connection: redis,
      prefix,
      skipWaitingForReady: true,
      defaultJobOptions: {
        attempts: 12,
        backoff: { type: 'exponential', delay: 2000 },
        removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
        removeOnFail: { age: 30 * 24 * 3600 },
      },
    });
    // Connection errors surface on each add, where the caller answers the user; this only keeps
    // BullMQ from printing them to stderr a second time.
    this.queue.on('error', () => {});
  }

  async enqueue(job: ActionJob): Promise<void> {
    await this.line.join(job.droplet.id, job.requestId);
    try {
      await this.queue.add(job.action, job, { jobId: job.requestId });
    } catch (err) {
      await this.line.leave(job.droplet.id, job.requestId).catch(() => {});
      throw err;
    }
    try {
      this.onQueued?.(job);
    } catch {
      // The job is added: a failing observer must not make the caller say it was not.
    }
    // Outlives the finished job (removed after 7 days), so the request is never added twice.
    await this.redis.set(this.queuedKey(job.requestId), '1', 'EX', QUEUED_MARK_SECONDS);
  }

  /** Whether this request's job was ever added. */
  async wasQueued(requestId: string): Promise<boolean> {
    if ((await this.redis.exists(this.queuedKey(requestId))) === 1) return true;
    return (await this.queue.getJob(requestId)) !== undefined;
  }

  /** The BullMQ state of this request's job, or undefined when there is none (never added, or removed). */
  async stateOf(requestId: string): Promise<string | undefined> {
    const job = await this.queue.getJob(requestId);
    return job ? job.getState() : undefined;
  }

  private queuedKey(requestId: string): string {
    return `${this.prefix}:queued:${requestId}`;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
