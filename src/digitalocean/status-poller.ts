// One status poller per DigitalOcean token for the whole cluster. A follow registers its action
// in a watch set in Redis; whichever worker process holds the poller's lease lists the account's
// actions while anything is watched, saves each action that ended and publishes it, and the
// followers in every process learn of their action's end from that message (or, should a message
// be missed, from the saved result they look up). With nothing watched no call is made at all.
// If the leader dies its lease runs out and another process takes over within a few seconds.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
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
}

/** The listing's page size: DigitalOcean's maximum. */
const LIST_PAGE = 200;
const KEEP_RESULT_S = 3600;

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
type Ended = { id: number; action: Action } | { id: number; error: { status: number; code: string; message: string } };

export class StatusPoller {
  readonly instance = randomBytes(6).toString('hex');
  private readonly waiters = new Map<number, Waiter[]>();
  private readonly keys: { watch: string; ended: (id: number) => string; channel: string; lease: string };
  private sub: Redis | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private roundTimer: NodeJS.Timeout | undefined;
  private lookTimer: NodeJS.Timeout | undefined;
  private leading = false;
  private stopped = false;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly staleMs: number;

  constructor(private readonly opts: StatusPollerOptions) {
    const base = `${opts.prefix}:status:${opts.tokenId}`;
    this.keys = { watch: `${base}:watch`, ended: (id) => `${base}:ended:${id}`, channel: `${base}:ended`, lease: `${base}:lease` };
    this.pollMs = opts.pollMs ?? 2000;
    this.leaseMs = opts.leaseMs ?? 5000;
    this.staleMs = opts.staleMs ?? 60_000;
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
    this.sub.on('message', (_channel, text) => this.settle(JSON.parse(text) as Ended));
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
      const timer = setTimeout(() => this.giveUp(actionId, Date.now() - startedAt), Math.max(0, startedAt + deadlineMs - Date.now()));
      timer.unref();
      const list = this.waiters.get(actionId) ?? [];
      list.push({ resolve, reject, timer, ...(onUpdate ? { onUpdate } : {}) });
      this.waiters.set(actionId, list);
      void this.watch(actionId).catch((err) => this.opts.onError?.(err as Error));
    });
  }

  /** Stops following; pending follows reject so their jobs can be handed back. Gives up the lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.leaseTimer);
    clearTimeout(this.roundTimer);
    clearInterval(this.lookTimer);
    for (const [id, list] of this.waiters) for (const w of list) this.drop(id, w, new WatcherStoppedError());
    this.waiters.clear();
    if (this.leading) await this.opts.redis.eval(RELEASE, 1, this.keys.lease, this.instance).catch(() => {});
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
    await this.opts.redis.zadd(this.keys.watch, Date.now(), String(actionId));
    const saved = await this.opts.redis.get(this.keys.ended(actionId));
    if (saved) this.settle(JSON.parse(saved) as Ended);
  }

  /** Every process, every round: refreshes its interest and reads results a missed message would have brought. */
  private async look(): Promise<void> {
    const ids = [...this.waiters.keys()];
    if (ids.length === 0) return;
    const now = Date.now();
    await this.opts.redis.zadd(this.keys.watch, ...ids.flatMap((id) => [now, String(id)]));
    const saved = await this.opts.redis.mget(...ids.map((id) => this.keys.ended(id)));
    for (const text of saved) if (text) this.settle(JSON.parse(text) as Ended);
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

  private giveUp(actionId: number, elapsedMs: number): void {
    const list = this.waiters.get(actionId);
    if (!list) return;
    this.waiters.delete(actionId);
    for (const w of list) w.reject(new FollowDeadlineError(actionId, elapsedMs));
    void this.opts.redis.zrem(this.keys.watch, String(actionId)).catch(() => {});
  }

  private drop(_id: number, w: Waiter, err: unknown): void {
    clearTimeout(w.timer);
    w.reject(err);
  }

  /** Takes the lease when nobody holds it, and keeps it while this process lives. */
  private async campaign(): Promise<void> {
    const tick = async () => {
      if (this.stopped) return;
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
      }
    };
    await tick();
    this.leaseTimer = setInterval(() => void tick(), Math.max(200, Math.floor(this.leaseMs / 3)));
    this.leaseTimer.unref();
  }

  private scheduleRound(delayMs: number): void {
    clearTimeout(this.roundTimer);
    this.roundTimer = setTimeout(() => {
      void this.round()
        .catch((err) => this.opts.onError?.(err as Error))
        .finally(() => {
          if (this.leading && !this.stopped) this.scheduleRound(this.pollMs);
        });
    }, delayMs);
    this.roundTimer.unref();
  }

  /** One round of the leader: list until every watched action is covered, save and publish what ended. */
  private async round(): Promise<void> {
    const redis = this.opts.redis;
    const now = Date.now();
    // Actions whose followers all went away (their jobs rerun elsewhere and watch them again).
    await redis.zremrangebyscore(this.keys.watch, '-inf', now - this.staleMs);
    const ids = (await redis.zrange(this.keys.watch, '0', '-1')).map(Number).filter((n) => Number.isSafeInteger(n));
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
        if (actions.length < LIST_PAGE || Math.min(...actions.map((a) => a.id)) <= oldest) break;
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
        seen.set(id, { id, action: a });
      } catch (err) {
        // 429s, 5xx and network trouble are tried again next round; another 4xx will not get better.
        if (err instanceof DigitalOceanError && !err.isRateLimited && !err.isServerError) seen.set(id, { id, error: { status: err.status, code: String(err.id), message: err.message } });
      }
      calls++;
      this.opts.onRead?.('single', 1);
    }
    for (const ended of seen.values()) {
      if ('action' in ended && ended.action.status === 'in-progress') continue;
      const text = JSON.stringify(ended);
      await redis.multi().set(this.keys.ended(ended.id), text, 'EX', KEEP_RESULT_S).zrem(this.keys.watch, String(ended.id)).publish(this.keys.channel, text).exec();
    }
    this.opts.onRound?.({ watched: ids.length, calls });
  }
}
