// The Home tab is published again when something of its person's ends (a request, a Droplet of a
// fleet), by a worker, whichever process wrote the end. Ends are folded per person into one
// publish per window: the job ID names the person and the window, so a second end in the same
// window adds nothing, and the job runs when the window closes, after every end in it. When the
// approvals waiting change, one job per window reaches everyone who opened the tab lately, each
// in their own job; a tab that would show the same is not published (see slack/home-publish.ts).
import { redisNow } from '../store/redis.js';
import { MANUAL_RATE_LIMIT } from './manual-rate-limit.js';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { HomeViewers } from '../store/home-viewers.js';
import { RecentRequests } from '../store/recent-requests.js';
import type { AuditEntry } from '../domain/audit.js';
import { changesApprovals, endsSomething } from '../domain/recent.js';

export const HOME_REFRESH_QUEUE = 'home-refresh';
/** At most one publish per person per this long, from the ends alone. */
export const HOME_REFRESH_WINDOW_MS = 5000;

export interface HomeRefreshData {
  /** Whose tab; absent for the job that reaches everyone's. */
  user?: string;
}

export class HomeRefresh {
  readonly queue: Queue<HomeRefreshData>;

  constructor(
    private readonly connection: Redis,
    prefix: string,
    private readonly viewers: Pick<HomeViewers, 'placeOf' | 'recent'>,
    private readonly windowMs = HOME_REFRESH_WINDOW_MS,
    logger?: Pick<Logger, 'warn'>,
  ) {
    this.queue = new Queue<HomeRefreshData>(HOME_REFRESH_QUEUE, {
      connection,
      prefix,
      skipWaitingForReady: true,
      defaultJobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: true, removeOnFail: { age: 24 * 3600, count: 1000 } },
    });
    this.queue.on('error', (err) => logger?.warn({ err: err.message }, 'home refresh queue error'));
  }

  /**
   * Publishes the person's tab at the end of this window, if they have opened it lately. Windows
   * are counted on Redis's clock, one clock for every process: an end is never folded into a
   * window whose job may already have run.
   */
  async schedule(user: string): Promise<void> {
    if (!(await this.viewers.placeOf(user))) return;
    await this.add(user);
  }

  /** Everyone who opened the tab lately, at the end of this window (the approvals waiting changed). */
  async scheduleEveryone(): Promise<void> {
    await this.add(undefined);
  }

  /** The job that reaches everyone: one job per person, each folded into their own window. */
  async fanOut(): Promise<void> {
    for (const user of await this.viewers.recent()) await this.add(user);
  }

  private async add(user: string | undefined): Promise<void> {
    const now = await redisNow(this.connection);
    const window = Math.floor(now / this.windowMs) + 1;
    // '*' is not in any Slack user ID.
    await this.queue.add('refresh', user ? { user } : {}, { jobId: `${user ?? '*'}-${window}`, delay: window * this.windowMs - now });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

/** Slack's answer to a rate-limited call (the client fails it at once rather than waiting). */
function retryAfterMs(err: unknown): number | undefined {
  const e = err as { code?: string; retryAfter?: number };
  return e.code === 'slack_webapi_rate_limited_error' ? Math.max(1, e.retryAfter ?? 1) * 1000 : undefined;
}

export function createHomeRefreshWorker(opts: { connection: Redis; prefix: string; logger: Logger; refresh: Pick<HomeRefresh, 'fanOut'>; publish: (user: string) => Promise<void> }): Worker<HomeRefreshData> {
  const worker: Worker<HomeRefreshData> = new Worker<HomeRefreshData>(
    HOME_REFRESH_QUEUE,
    async (job) => {
      try {
        await (job.data.user ? opts.publish(job.data.user) : opts.refresh.fanOut());
      } catch (err) {
        // Rate-limited: every publish waits as long as Slack asks, and this one is tried again
        // then without spending an attempt.
        const wait = retryAfterMs(err);
        if (wait === undefined) throw err;
        opts.logger.warn({ retryAfterMs: wait }, 'Slack rate limit; pausing Home tab publishes');
        await worker.rateLimit(wait);
        throw Worker.RateLimitError();
      }
    },
    { connection: opts.connection, prefix: opts.prefix, concurrency: 5, limiter: MANUAL_RATE_LIMIT },
  );
  worker.on('error', (err) => opts.logger.warn({ err: err.message }, 'home refresh worker error'));
  worker.on('failed', (job, err) => opts.logger.warn({ user: job?.data.user, err: err.message }, 'could not publish the Home tab again'));
  return worker;
}

/**
 * What the audit trail hands on to the Home tab: each entry goes into its requester's recent
 * list, an end publishes their tab again, and a change in the approvals waiting reaches everyone's.
 * A fleet writes one entry per Droplet: what the first of them did for the fleet is not done again.
 */
export function homeTrail(recent: { note(entry: AuditEntry): Promise<string | undefined> }, refresh: Pick<HomeRefresh, 'schedule' | 'scheduleEveryone'>, logger?: Pick<Logger, 'warn'>): (entry: AuditEntry) => Promise<void> {
  const done = new Map<string, number>();
  /** True the first time `key` is seen in a minute (a fleet's entries for one step come together). */
  const first = (key: string): boolean => {
    const now = Date.now();
    if (done.size > 10_000) done.clear();
    const at = done.get(key);
    if (at !== undefined && now - at < 60_000) return false;
    done.set(key, now);
    return true;
  };
  return async (entry) => {
    const fleet = entry.fleetId;
    const approvals = changesApprovals(entry) && (!fleet || first(`approvals:${fleet}:${entry.event}`));
    try {
      if (approvals) await refresh.scheduleEveryone();
    } catch (err) {
      logger?.warn({ err: (err as Error).message }, 'could not schedule the Home tabs for a change in the approvals');
    }
    // A fleet's line is the same for each of its Droplets' entries of one kind, and a decision is
    // the fleet's; but each Droplet's own end may be the fleet's last.
    const decision = entry.event === 'approved' || entry.event === 'denied' || entry.event === 'expired';
    const dropletEnd = endsSomething(entry) && !decision;
    if (fleet && !dropletEnd && !first(`note:${fleet}:${entry.event}:${entry.ts ?? ''}`)) return;
    const user = await recent.note(entry);
    if (user && endsSomething(entry)) await refresh.schedule(user);
  };
}

/**
 * What both halves need for the Home tab: each person's recent requests, who has the tab open,
 * the refresh queue, and the audit hook that feeds them.
 */
export function homeUpkeep(redis: Redis, prefix: string, windowMs: number | undefined, logger: Pick<Logger, 'warn'>) {
  const recent = new RecentRequests(redis, prefix);
  const viewers = new HomeViewers(redis, prefix);
  const refresh = new HomeRefresh(redis, prefix, viewers, windowMs, logger);
  return { recent, viewers, refresh, trail: homeTrail(recent, refresh, logger) };
}
