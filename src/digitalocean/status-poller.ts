// One status poller per DigitalOcean token for the whole cluster. A job that waits for its action
// parks on it: the action goes into a watch set in Redis. Whichever worker process holds the
// poller's lease lists the account's actions while anything is watched, saves each action that
// ended, and wakes the jobs parked on it; a job reads the saved result when it runs again. With
// nothing watched no call is made at all. If the leader dies its lease runs out and another
// process takes over within a few seconds.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { DigitalOceanClient } from './client.js';
import { DigitalOceanError } from './errors.js';
import type { Action } from './types.js';

export interface StatusPollerOptions {
  redis: Redis;
  /** The bot's key prefix. */
  prefix: string;
  /** Tells tokens apart (a hash of the token, never the token): one poller per token. */
  tokenId: string;
  client: Pick<DigitalOceanClient, 'listActions' | 'getAction'>;
  /** How often the leader lists while anything is watched (STATUS_POLL_MS). */
  pollMs?: number;
  /** The leader's lease; another process takes over this long after the leader stopped renewing. */
  leaseMs?: number;
  /** A watched action nobody has shown interest in for this long, and no job is parked on, is dropped. */
  staleMs?: number;
  /** How many listing pages a round may read before single reads take over. */
  maxPages?: number;
  /** Every call the leader makes, for benchmarks and logs. */
  onRead?: (kind: 'list' | 'single', count: number) => void;
  /** Each leader round: how many actions were watched, and how many calls it made. */
  onRound?: (round: { watched: number; calls: number }) => void;
  onError?: (err: Error) => void;
  /** Starts parked jobs again at once (promotes them) when the action they wait for ended. */
  wake?: (jobIds: string[]) => Promise<void>;
}

/** The listing's page size: DigitalOcean's maximum. */
const LIST_PAGE = 200;
const KEEP_RESULT_S = 3600;
/** A parked job's claim on a watch lapses after this, whatever happens to the job. */
const PARKED_S = 2 * 3600;

// Renew or release the lease only while it is still ours.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** What the leader saves for an action that ended (or that DigitalOcean will not show). */
const endedSchema = z.union([
  z.object({ id: z.number().int(), action: z.object({ id: z.number().int(), status: z.enum(['completed', 'errored']), type: z.string(), started_at: z.string() }).passthrough() }),
  z.object({ id: z.number().int(), error: z.object({ status: z.number().int(), code: z.string(), message: z.string() }) }),
]);
type Ended = { id: number; action: Action } | { id: number; error: { status: number; code: string; message: string } };

/** A saved result, or undefined for anything else (another release's shape, say). */
function readEnded(text: string | null | undefined): Ended | undefined {
  if (!text) return undefined;
  try {
    const parsed = endedSchema.safeParse(JSON.parse(text));
    return parsed.success ? (parsed.data as Ended) : undefined;
  } catch {
    return undefined;
  }
}

/** A status read refused this many rounds in a row (401, 403: a token without actions:read) is final. */
const REFUSALS_BEFORE_FINAL = 3;

// The watch set is scored on Redis's clock, so a process whose clock is off can neither drop a
// watch it did not mean to nor keep one alive for ever. KEYS: the watch set. ARGV: ids.
const TOUCH = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, #ARGV do redis.call('ZADD', KEYS[1], now, ARGV[i]) end
return now`;
// Drops watches nobody showed interest in for ARGV[1] ms, unless a job is parked on them (ARGV[2]
// is the parked sets' key prefix: a parked job may wait long for a slot to look again); returns the rest.
const CURRENT = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))) do
  if redis.call('EXISTS', ARGV[2] .. id) == 1 then redis.call('ZADD', KEYS[1], now, id) else redis.call('ZREM', KEYS[1], id) end
end
return redis.call('ZRANGE', KEYS[1], 0, -1)`;

export class StatusPoller {
  readonly instance = randomBytes(6).toString('hex');
  private readonly keys: { watch: string; ended: (id: number) => string; lease: string; parked: (id: number) => string };
  private leaseTimer: NodeJS.Timeout | undefined;
  private roundTimer: NodeJS.Timeout | undefined;
  private leading = false;
  private stopped = false;
  private inRound: Promise<void> = Promise.resolve();
  private campaigning = false;
  /** Consecutive refusals (401, 403…) of each action's status read, while this process leads. */
  private readonly refusals = new Map<number, number>();
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly staleMs: number;

  constructor(private readonly opts: StatusPollerOptions) {
    const base = `${opts.prefix}:status:v1:${opts.tokenId}`;
    this.keys = { watch: `${base}:watch`, ended: (id) => `${base}:ended:${id}`, lease: `${base}:lease`, parked: (id) => `${base}:parked:${id}` };
    this.pollMs = opts.pollMs ?? 2000;
    this.leaseMs = opts.leaseMs ?? 5000;
    // A watch is stale only after several rounds without interest (and with no job parked on it).
    this.staleMs = Math.max(opts.staleMs ?? 60_000, 5 * this.pollMs);
  }

  /** Whether this process polls for the cluster right now. */
  get isLeader(): boolean {
    return this.leading;
  }

  async start(): Promise<void> {
    await this.campaign();
  }

  /** The action's end if the poller saw it (an Error when DigitalOcean will not show it), else undefined. */
  async result(actionId: number): Promise<Action | DigitalOceanError | undefined> {
    const ended = readEnded(await this.opts.redis.get(this.keys.ended(actionId)));
    if (!ended) return undefined;
    return 'action' in ended ? ended.action : new DigitalOceanError(ended.error.status, ended.error.code, ended.error.message);
  }

  /**
   * A job that lets go of its worker slot while its action runs: the action is watched, and the
   * job is woken (promoted) when it ends. The job comes back on its own at its next check too,
   * which keeps the watch alive.
   */
  async park(actionId: number, jobId: string): Promise<void> {
    await this.opts.redis.multi().sadd(this.keys.parked(actionId), jobId).expire(this.keys.parked(actionId), PARKED_S).exec();
    await this.opts.redis.eval(TOUCH, 1, this.keys.watch, String(actionId));
  }

  /** The job gave up on the action (its deadline): the action is watched no longer on its account. */
  async unpark(actionId: number, jobId: string): Promise<void> {
    await this.opts.redis.srem(this.keys.parked(actionId), jobId);
  }

  /** Stops polling and gives up the lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.leaseTimer);
    clearTimeout(this.roundTimer);
    // A round under way finishes (bounded) before the lease goes, so two leaders never overlap.
    await Promise.race([this.inRound, new Promise((r) => setTimeout(r, 5000).unref())]);
    await this.opts.redis.eval(RELEASE, 1, this.keys.lease, this.instance).catch(() => {});
    this.leading = false;
  }

  /** As if the process died: every timer stops, nothing is released (tests; the lease runs out by itself). */
  abandon(): void {
    this.stopped = true;
    this.leading = false;
    clearInterval(this.leaseTimer);
    clearTimeout(this.roundTimer);
  }

  /** Takes the lease when nobody holds it, and keeps it while this process lives. */
  private async campaign(): Promise<void> {
    const tick = async () => {
      if (this.stopped || this.campaigning) return;
      this.campaigning = true;
      const redis = this.opts.redis;
      try {
        if (this.leading) {
          this.leading = Number(await redis.eval(RENEW, 1, this.keys.lease, this.instance, String(this.leaseMs))) === 1;
        } else {
          this.leading = (await redis.set(this.keys.lease, this.instance, 'PX', this.leaseMs, 'NX')) === 'OK';
          if (this.leading) this.scheduleRound(0);
        }
      } catch (err) {
        // Without Redis nobody can be sure of the lease: stop polling until it answers again.
        this.leading = false;
        this.opts.onError?.(err as Error);
      } finally {
        this.campaigning = false;
      }
      // Stopped while the lease was being taken: give it back at once.
      if (this.stopped && this.leading) {
        this.leading = false;
        await redis.eval(RELEASE, 1, this.keys.lease, this.instance).catch(() => {});
      }
    };
    await tick();
    this.leaseTimer = setInterval(() => void tick(), Math.max(200, Math.floor(this.leaseMs / 3)));
    this.leaseTimer.unref();
  }

  private scheduleRound(delayMs: number): void {
    clearTimeout(this.roundTimer);
    this.roundTimer = setTimeout(() => {
      if (this.stopped || !this.leading) return;
      this.inRound = this.round().catch((err) => this.opts.onError?.(err as Error));
      void this.inRound
        .finally(() => {
          if (this.leading && !this.stopped) this.scheduleRound(this.pollMs);
        });
    }, delayMs);
    this.roundTimer.unref();
  }

  /** One round of the leader: list until every watched action is covered, save what ended, wake its jobs. */
  private async round(): Promise<void> {
    const redis = this.opts.redis;
    // Actions whose followers all went away (their jobs rerun elsewhere and watch them again) drop out.
    const ids = ((await redis.eval(CURRENT, 1, this.keys.watch, String(this.staleMs), this.keys.parked(0).slice(0, -1))) as string[]).map(Number).filter((n) => Number.isSafeInteger(n));
    let calls = 0;
    if (ids.length === 0) {
      this.opts.onRound?.({ watched: 0, calls });
      return;
    }
    const wanted = new Set(ids);
    const seen = new Map<number, Ended>();
    const oldest = Math.min(...ids);
    try {
      for (let page = 1; page <= (this.opts.maxPages ?? 5); page++) {
        const actions = await this.opts.client.listActions(LIST_PAGE, page);
        calls++;
        this.opts.onRead?.('list', 1);
        for (const a of actions) if (wanted.has(a.id)) seen.set(a.id, { id: a.id, action: a });
        // IDs grow with time: a page that reaches below the oldest watched ID covers them all.
        const reached = Math.min(...actions.map((a) => a.id));
        if (actions.length < LIST_PAGE || reached <= oldest) break;
        // A few old actions are cheaper read one by one than paged to.
        const left = ids.filter((i) => i < reached).length;
        if (left <= (this.opts.maxPages ?? 5) - page) break;
      }
    } catch (err) {
      // A listing DigitalOcean refuses for good (a token without actions:read) leaves single reads to
      // say so per action; a rate limit or an outage waits for the next round.
      calls++;
      if (!(err instanceof DigitalOceanError) || err.isRateLimited || err.isServerError) throw err;
    }
    // Only actions older than every page read are read one by one.
    for (const id of ids.filter((i) => !seen.has(i))) {
      try {
        const a = await this.opts.client.getAction(id);
        this.refusals.delete(id);
        seen.set(id, { id, action: a });
      } catch (err) {
        // 429s, 5xx and network trouble are tried again next round. A refusal (404, or 401/403 for a
        // token that may not read actions) is final only once it repeats: an auth blip must not end
        // every job while its action runs on.
        if (err instanceof DigitalOceanError && !err.isRateLimited && !err.isServerError) {
          const n = (this.refusals.get(id) ?? 0) + 1;
          this.refusals.set(id, n);
          if (n >= REFUSALS_BEFORE_FINAL) seen.set(id, { id, error: { status: err.status, code: String(err.id), message: err.message } });
          else this.opts.onError?.(err);
        }
      }
      calls++;
      this.opts.onRead?.('single', 1);
    }
    for (const ended of seen.values()) {
      if ('action' in ended && ended.action.status === 'in-progress') continue;
      this.refusals.delete(ended.id);
      const text = JSON.stringify(ended);
      const replies = await redis
        .multi()
        .set(this.keys.ended(ended.id), text, 'EX', KEEP_RESULT_S)
        .zrem(this.keys.watch, String(ended.id))
        .smembers(this.keys.parked(ended.id))
        .del(this.keys.parked(ended.id))
        .exec();
      const parked = (replies?.[2]?.[1] as string[] | undefined) ?? [];
      if (parked.length) await this.opts.wake?.(parked).catch((err) => this.opts.onError?.(err as Error));
    }
    this.opts.onRound?.({ watched: ids.length, calls });
  }
}
