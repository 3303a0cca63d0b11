// Requests between "announced in the channel" and "queued". The receiver records a request here
// before it queues it and clears it after; a receiver that dies in between leaves the record, and
// a sweeper in the workers queues it a minute later. The job ID is the request ID, so queueing a
// request that did reach the queue after all changes nothing.
import type { Redis } from 'ioredis';
import { actionJobSchema, type ActionJob } from '../queue/action-job.js';

export class Intake {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(): string {
    return `${this.prefix}:intake`;
  }

  async record(job: ActionJob, now = Date.now()): Promise<void> {
    await this.redis.hset(this.key(), job.requestId, JSON.stringify({ at: now, job }));
  }

  async done(requestId: string): Promise<void> {
    await this.redis.hdel(this.key(), requestId);
  }

  /** Requests recorded longer ago than `olderThanMs` and never cleared. */
  async stale(olderThanMs: number, now = Date.now()): Promise<ActionJob[]> {
    const all = await this.redis.hgetall(this.key());
    const out: ActionJob[] = [];
    for (const [requestId, raw] of Object.entries(all)) {
      try {
        const { at, job } = JSON.parse(raw) as { at: number; job: unknown };
        if (now - at >= olderThanMs) out.push(actionJobSchema.parse(job));
      } catch {
        // A record we cannot read would be swept for ever: drop it.
        await this.done(requestId);
      }
    }
    return out;
  }
}

/** Queues requests whose receiver died before queueing them. Safe to run in every worker. */
export async function sweepIntake(intake: Intake, enqueue: (job: ActionJob) => Promise<void>, olderThanMs = 60_000): Promise<number> {
  const stale = await intake.stale(olderThanMs);
  for (const job of stale) {
    await enqueue(job);
    await intake.done(job.requestId);
  }
  return stale.length;
}
