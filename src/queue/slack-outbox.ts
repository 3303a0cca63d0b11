// Status messages for a request's thread go through this outbox, never straight to Slack from
// the action worker: a Slack outage or rate limit then delays messages without holding up the
// DigitalOcean work, and nothing is lost, because the entries wait in Redis until Slack answers.
//
// Each request has a list of entries (in order) and a hash of the ones already delivered. A
// sync job delivers what is pending, in order, under a per-request lock, so two workers never
// post the same thread out of order or twice.
import { MANUAL_RATE_LIMIT } from './manual-rate-limit.js';
import { randomUUID } from 'node:crypto';
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';

export const OUTBOX_QUEUE = 'slack-outbox';

/** `key` names the step an entry reports (e.g. "finished"): a rerun that publishes the same step again adds nothing. */
export type OutboxEntry = { key?: string } & (
  | { kind: 'reply'; text: string }
  | { kind: 'root'; text: string; blocks: unknown[] }
  | { kind: 'notify'; channel: string; text: string }
  /** A message of its own in a channel (the activity feed). */
  | { kind: 'post'; channel: string; text: string }
);

export interface OutboxTarget {
  requestId: string;
  channel: string;
  rootTs: string;
}

export interface OutboxDelivery {
  /** Delivers one entry; throws SlackDeliveryError for permanent or rate-limit failures, anything else is retried. */
  deliver(target: OutboxTarget, entry: OutboxEntry): Promise<void>;
}

/** A failure that retrying now will not fix (permanent) or that says when to retry (rateLimitMs). */
export class SlackDeliveryError extends Error {
  override name = 'SlackDeliveryError';
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly rateLimitMs?: number,
  ) {
    super(message);
  }
}

const TTL_SECONDS = 7 * 24 * 3600;

function keysFor(prefix: string, requestId: string) {
  const base = `${prefix}:outbox:${requestId}`;
  return { list: base, done: `${base}:done`, lock: `${base}:lock`, steps: `${base}:steps` };
}

// KEYS: list, steps. ARGV: ttl, then (step key or '', entry JSON) pairs. An entry whose step key
// was seen before is dropped; returns the list's length.
const APPEND = `
for i = 2, #ARGV, 2 do
  local step = ARGV[i]
  if step == '' or redis.call('SADD', KEYS[2], step) == 1 then
    redis.call('RPUSH', KEYS[1], ARGV[i + 1])
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return redis.call('LLEN', KEYS[1])`;

// Renew or release the delivery lock only while we still hold it.
const RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0";
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";

export class SlackOutbox {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly queue: Queue<OutboxTarget>,
  ) {}

  /** Appends entries to the request's thread and schedules their delivery. */
  async publish(target: OutboxTarget, entries: OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const k = keysFor(this.prefix, target.requestId);
    const args = entries.flatMap((e) => [e.key ?? '', JSON.stringify(e)]);
    const length = Number(await this.redis.eval(APPEND, 2, k.list, k.steps, String(TTL_SECONDS), ...args));
    // One sync job per append: its ID is unique, so a repeated publish of the same batch after a
    // crash adds another harmless sync rather than losing one.
    await this.queue.add('sync', target, { jobId: `${target.requestId}-${length}` });
  }

  static createQueue(connection: Redis, prefix: string): Queue<OutboxTarget> {
    const queue = new Queue<OutboxTarget>(OUTBOX_QUEUE, {
      connection,
      prefix,
      skipWaitingForReady: true,
      defaultJobOptions: {
        attempts: 1000,
        backoff: { type: 'outbox' },
        removeOnComplete: { age: 3600, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    });
    // Errors reach the caller of publish(); the connection's own errors are logged where it is made.
    queue.on('error', () => {});
    return queue;
  }
}

export interface OutboxWorkerOptions {
  connection: Redis;
  prefix: string;
  delivery: OutboxDelivery;
  logger: Logger;
  concurrency?: number;
  /** As for action jobs: how long a silent worker keeps a sync job before another takes it. */
  lockMs?: number;
  /** After a sync job delivered something: ms from the job's creation (a message entering the outbox) to Slack's answer. */
  onDelivered?: (lagMs: number) => void;
}

// Held while one worker delivers a thread; renewed after every message, so a worker killed
// mid-delivery blocks its thread for seconds, not minutes.
const SYNC_LOCK_MS = 10_000;

/** Backoff for Slack: quick at first, then at most a minute apart, for hours if need be. */
export function outboxBackoff(attemptsMade: number): number {
  return Math.min(60_000, 500 * 2 ** Math.min(attemptsMade, 10));
}

export function createOutboxWorker(opts: OutboxWorkerOptions): Worker<OutboxTarget> {
  const redis = opts.connection;
  const worker: Worker<OutboxTarget> = new Worker<OutboxTarget>(OUTBOX_QUEUE, (job, token) => sync(job, token), {
    connection: opts.connection,
    prefix: opts.prefix,
    concurrency: opts.concurrency ?? 10,
    // A 429 pauses this queue in every process (see manual-rate-limit.ts).
    limiter: MANUAL_RATE_LIMIT,
    lockDuration: opts.lockMs ?? 30_000,
    stalledInterval: Math.max(1000, Math.floor((opts.lockMs ?? 30_000) / 2)),
    settings: { backoffStrategy: (attemptsMade: number) => outboxBackoff(attemptsMade) },
  });
  worker.on('error', (err) => opts.logger.error({ err: err.message }, 'outbox worker error'));

  async function sync(job: Job<OutboxTarget>, token?: string): Promise<void> {
    const target = job.data;
    const k = keysFor(opts.prefix, target.requestId);
    const lockToken = randomUUID();
    if ((await redis.set(k.lock, lockToken, 'PX', SYNC_LOCK_MS, 'NX')) !== 'OK') {
      // Another worker is delivering this thread; look again shortly.
      await job.moveToDelayed(Date.now() + 300, token);
      throw new DelayedError();
    }
    try {
      const [raw, done] = await Promise.all([redis.lrange(k.list, 0, -1), redis.hgetall(k.done)]);
      const entries = raw.map((r) => JSON.parse(r) as OutboxEntry);
      const lastRoot = entries.map((e) => e.kind).lastIndexOf('root');
      let delivered = false;
      for (let i = 0; i < entries.length; i++) {
        if (done[i] !== undefined) continue;
        const entry = entries[i]!;
        // Only the newest state of the root message matters.
        if (entry.kind === 'root' && i < lastRoot) {
          await redis.hset(k.done, String(i), 'superseded');
          continue;
        }
        try {
          await opts.delivery.deliver(target, entry);
          delivered = true;
          await redis.hset(k.done, String(i), 'ok');
          if (Number(await redis.eval(RENEW, 1, k.lock, lockToken, String(SYNC_LOCK_MS))) !== 1) {
            // Another worker took over this thread after our lock ran out: let it carry on alone.
            throw new Error('lost the delivery lock');
          }
        } catch (err) {
          if (err instanceof SlackDeliveryError && err.permanent) {
            opts.logger.warn({ requestId: target.requestId, kind: entry.kind, err: err.message }, 'Slack refused a status message; skipping it');
            await redis.hset(k.done, String(i), `failed: ${err.message}`);
            continue;
          }
          if (err instanceof SlackDeliveryError && err.rateLimitMs !== undefined) {
            opts.logger.warn({ retryAfterMs: err.rateLimitMs }, 'Slack rate limit; pausing status messages');
            await worker.rateLimit(err.rateLimitMs);
            throw Worker.RateLimitError();
          }
          opts.logger.warn({ requestId: target.requestId, kind: entry.kind, err: (err as Error).message, attempt: job.attemptsMade + 1 }, 'Slack did not take a status message; will retry');
          throw err;
        }
      }
      await redis.expire(k.done, TTL_SECONDS);
      if (delivered) opts.onDelivered?.(Date.now() - job.timestamp);
    } finally {
      // Release only our own lock.
      await redis.eval(RELEASE, 1, k.lock, lockToken);
    }
  }

  return worker;
}
