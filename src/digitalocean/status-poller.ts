// One status poller per DigitalOcean token for the whole cluster. A follow registers its action
// in a watch set in Redis; whichever worker process holds the poller's lease lists the account's
// actions while anything is watched, saves each action that ended and publishes it, and the
// followers in every process learn of their action's end from that message (or, should a message
// be missed, from the saved result they look up). With nothing watched no call is made at all.
// If the leader dies its lease runs out and another process takes over within a few seconds.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { DigitalOceanClient } from './client.js';
import { DigitalOceanError } from './errors.js';
import type { Action } from './types.js';
import { FollowDeadlineError, WatcherStoppedError } from './follow-errors.js';

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
  /** A watched action nobody has shown interest in for this long (its follower died) is dropped. */
  staleMs?: number;
  /** Give up on an action still in progress after this long (default: 10x its usual time, at least 30 min). */
  deadlineMs?: number;
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

interface Waiter {
  resolve: (a: Action) => void;
  reject: (e: unknown) => void;
  onUpdate?: (a: Action) => void;
  timer: NodeJS.Timeout;
}

/** What the leader saves and publishes for an action that ended (or that DigitalOcean will not show). */
const endedSchema = z.union([
  z.object({ id: z.number().int(), action: z.object({ id: z.number().int(), status: z.enum(['completed', 'errored']), type: z.string(), started_at: z.string() }).passthrough() }),
  z.object({ id: z.number().int(), error: z.object({ status: z.number().int(), code: z.string(), message: z.string() }) }),
]);
type Ended = { id: number; action: Action } | { id: number; error: { status: number; code: string; message: string } };

/** A saved or published result, or undefined for anything else (another release's shape, a stray publisher). */
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
  private readonly waiters = new Map<number, Waiter[]>();
  private readonly keys: { watch: string; ended: (id: number) => string; channel: string; lease: string; parked: (id: number) => string };
  private sub: Redis | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private roundTimer: NodeJS.Timeout | undefined;
  private lookTimer: NodeJS.Timeout | undefined;
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
    this.keys = { watch: `${base}:watch`, ended: (id) => `${base}:ended:${id}`, channel: `${base}:ended`, lease: `${base}:lease`, parked: (id) => `${base}:parked:${id}` };
    this.pollMs = opts.pollMs ?? 2000;
    this.leaseMs = opts.leaseMs ?? 5000;
    // Followers refresh their interest every round: a watch is stale only after several missed ones.
    this.staleMs = Math.max(opts.staleMs ?? 60_000, 5 * this.pollMs);
  }

  /** Whether this process polls for the cluster right now. */
  get isLeader(): boolean {
    return this.leading;
  }

  get size(): number {
    return this.waiters.size;
  }

  async start(): Promise<void> {
    this.sub = this.opts.redis.duplicate();
    this.sub.on('error', (err) => this.opts.onError?.(err));
    this.sub.on('message', (_channel, text) => {
      const ended = readEnded(text);
      if (ended) this.settle(ended);
    });
    await this.sub.subscribe(this.keys.channel);
    await this.campaign();
    this.lookTimer = setInterval(() => void this.look().catch((err) => this.opts.onError?.(err as Error)), Math.max(this.pollMs, 1000));
    this.lookTimer.unref();
  }

  /** Resolves with the action once it is completed or errored, whichever process polls. */
  follow(actionId: number, typicalSeconds: number, onUpdate?: (action: Action) => void, startedAt = Date.now()): Promise<Action> {
    if (this.stopped) return Promise.reject(new WatcherStoppedError());
    return new Promise<Action>((resolve, reject) => {
      const deadlineMs = this.opts.deadlineMs ?? Math.max(30 * 60_000, typicalSeconds * 10_000);
      // A rerun long after the action started still gets a few rounds to hear of its end.
      const due = Math.max(startedAt + deadlineMs, Date.now() + 3 * this.pollMs);
      const timer = setTimeout(() => void this.giveUp(actionId, startedAt).catch((err) => this.opts.onError?.(err as Error)), due - Date.now());
      timer.unref();
      const list = this.waiters.get(actionId) ?? [];
      list.push({ resolve, reject, timer, ...(onUpdate ? { onUpdate } : {}) });
      this.waiters.set(actionId, list);
      void this.watch(actionId).catch((err) => this.opts.onError?.(err as Error));
    });
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

  /** Stops following; pending follows reject so their jobs can be handed back. Gives up the lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.leaseTimer);
    clearTimeout(this.roundTimer);
    clearInterval(this.lookTimer);
    for (const [id, list] of this.waiters) for (const w of list) this.drop(id, w, new WatcherStoppedError());
    this.waiters.clear();
    // A round under way finishes (bounded) before the lease goes, so two leaders never overlap.
    await Promise.race([this.inRound, new Promise((r) => setTimeout(r, 5000).unref())]);
    await this.opts.redis.eval(RELEASE, 1, this.keys.lease, this.instance).catch(() => {});
    this.leading = false;
    this.sub?.disconnect();
  }

  /** As if the process died: every timer stops, nothing is released (tests; the lease runs out by itself). */
  abandon(): void {
    this.stopped = true;
    this.leading = false;
    clearInterval(this.leaseTimer);
    clearTimeout(this.roundTimer);
    clearInterval(this.lookTimer);
    this.sub?.disconnect();
  }

  /** Registers the action (or refreshes the interest in it) and picks up a result saved already. */
  private async watch(actionId: number): Promise<void> {
    await this.opts.redis.eval(TOUCH, 1, this.keys.watch, String(actionId));
    const saved = readEnded(await this.opts.redis.get(this.keys.ended(actionId)));
    if (saved) this.settle(saved);
  }

  /** Every process, every round: refreshes its interest and reads results a missed message would have brought. */
  private looking = false;
  private async look(): Promise<void> {
    const ids = [...this.waiters.keys()];
    // One look at a time: while Redis is away, looks must not pile up in the client's queue.
    if (ids.length === 0 || this.looking) return;
    this.looking = true;
    try {
      await this.opts.redis.eval(TOUCH, 1, this.keys.watch, ...ids.map(String));
      const saved = await this.opts.redis.mget(...ids.map((id) => this.keys.ended(id)));
      for (const text of saved) {
        const ended = readEnded(text);
        if (ended) this.settle(ended);
      }
    } finally {
      this.looking = false;
    }
  }

  private settle(ended: Ended): void {
    const list = this.waiters.get(ended.id);
    if (!list) return;
    this.waiters.delete(ended.id);
    for (const w of list) {
      clearTimeout(w.timer);
      if ('action' in ended) {
        w.onUpdate?.(ended.action);
        w.resolve(ended.action);
      } else {
        w.reject(new DigitalOceanError(ended.error.status, ended.error.code, ended.error.message));
      }
    }
  }

  /** The deadline: one last look (the saved result, then DigitalOcean itself) before giving up. */
  private async giveUp(actionId: number, startedAt: number): Promise<void> {
    if (!this.waiters.has(actionId)) return;
    const saved = readEnded(await this.opts.redis.get(this.keys.ended(actionId)).catch(() => null));
    if (saved) return this.settle(saved);
    const now = await this.opts.client.getAction(actionId).catch(() => undefined);
    if (now && now.status !== 'in-progress') return this.settle({ id: actionId, action: now });
    const list = this.waiters.get(actionId);
    if (!list) return;
    this.waiters.delete(actionId);
    for (const w of list) w.reject(new FollowDeadlineError(actionId, Date.now() - startedAt));
    await this.opts.redis.zrem(this.keys.watch, String(actionId)).catch(() => {});
  }

  private drop(_id: number, w: Waiter, err: unknown): void {
    clearTimeout(w.timer);
    w.reject(err);
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

  /** One round of the leader: list until every watched action is covered, save and publish what ended. */
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
        .publish(this.keys.channel, text)
        .smembers(this.keys.parked(ended.id))
        .del(this.keys.parked(ended.id))
        .exec();
      const parked = (replies?.[3]?.[1] as string[] | undefined) ?? [];
      if (parked.length) await this.opts.wake?.(parked).catch((err) => this.opts.onError?.(err as Error));
    }
    this.opts.onRound?.({ watched: ids.length, calls });
  }
}
