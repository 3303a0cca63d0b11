// One status poller per DigitalOcean token for the whole cluster. A job that waits for its action
// parks on it: the action goes into a watch set in Redis. Whichever worker process holds the
// poller's lease lists the account's actions while anything is watched, saves each action that
// ended, and wakes the jobs parked on it; a job reads the saved result when it runs again. With
// nothing watched no call is made at all. If the leader dies its lease runs out and another
// process takes over within a few seconds. The leader learns how long each type of action takes
// in each region (kept in Redis) and lists densely near the ends it expects, sparsely before them.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { DigitalOceanClient } from './client.js';
import { DigitalOceanError } from './errors.js';
import { expectation, learn, learnedKeys, nextLook, paceFor, sampleOf, type Learned, type Pace } from './look-schedule.js';
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
  /** Every call the leader makes, for benchmarks and logs; `forFeed` when made for the activity feed alone. */
  onRead?: (kind: 'list' | 'single', count: number, forFeed?: boolean) => void;
  /** Reads every listing the leader makes (the activity feed); when nothing is watched, the leader lists for it when it is due. */
  feed?: ListingReader;
  /** Each leader round: how many actions were watched, how many calls it made (none when nothing was due), and how long it took. */
  onRound?: (round: { watched: number; calls: number; ms: number }) => void;
  onError?: (err: Error) => void;
  /** Starts parked jobs again at once (promotes them) when the action they wait for ended. */
  wake?: (jobIds: string[]) => Promise<void>;
}

/** What reads the leader's listings besides the poller itself (the activity feed). */
export interface ListingReader {
  /** Whether it wants a look now (taken for the whole cluster). */
  due(): Promise<boolean>;
  /** Up to which action it has read everything: a listing made for it pages back until it reaches that. */
  newest(): Promise<number>;
  /** Actions it follows that are older than `below` (not on the pages read). */
  behind(below: number): Promise<number[]>;
  /** `listing`: whole pages without a gap; `final`: the look could page back no further. */
  read(actions: Action[], listing?: { final?: boolean; complete?: boolean }): Promise<{ skipped: boolean }>;
}

/** How many pages a look for the feed reads at most to reach back to what it read last. */
const FEED_MAX_PAGES = 10;

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


/** A status read refused this many rounds in a row (401, 403: a token without actions:read) is final. */
const REFUSALS_BEFORE_FINAL = 3;

// The watch set is scored on Redis's clock, so a process whose clock is off can neither drop a
// watch it did not mean to nor keep one alive for ever. KEYS: the watch set, the watches' details.
// ARGV: id, type, age in ms (-1: unknown). The details (type and start on Redis's clock) are kept from the first park.
const TOUCH = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
local age = tonumber(ARGV[3])
if age >= 0 then redis.call('HSETNX', KEYS[2], ARGV[1], cjson.encode({t = ARGV[2], s = now - age})) end
return now`;
// Drops watches nobody showed interest in for ARGV[1] ms, unless a job is parked on them (ARGV[2]
// is the parked sets' key prefix: a parked job may wait long for a slot to look again); returns
// Redis's time, then the rest.
const CURRENT = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))) do
  if redis.call('EXISTS', ARGV[2] .. id) == 1 then redis.call('ZADD', KEYS[1], now, id) else
    redis.call('ZREM', KEYS[1], id)
    redis.call('HDEL', KEYS[2], id)
  end
end
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
table.insert(ids, 1, tostring(now))
return ids`;

const metaSchema = z.object({ t: z.string(), s: z.number() });
const learnedSchema = z.object({ meanMs: z.number().nonnegative(), devMs: z.number().nonnegative(), n: z.number().int().positive() });

/** Folds a completed action's duration into what is known of its type, in its region and overall; notes the keys it changed. */
function learnFrom(action: Action, learned: Map<string, Learned>, changed: Set<string>): void {
  const sample = sampleOf(action);
  if (sample === undefined) return;
  for (const key of learnedKeys(action.type, action.region_slug)) {
    learned.set(key, learn(learned.get(key), sample));
    changed.add(key);
  }
}

/** The oldest action on listing pages (IDs grow with time); none listed is below nothing. */
function lowestId(actions: readonly Action[]): number {
  return actions.length ? Math.min(...actions.map((a) => a.id)) : Number.POSITIVE_INFINITY;
}

function parseJson<T>(schema: z.ZodType<T>, text: string | null | undefined): T | undefined {
  if (!text) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export class StatusPoller {
  readonly instance = randomBytes(6).toString('hex');
  private readonly keys: { watch: string; meta: string; learned: string; ended: (id: number) => string; lease: string; parked: (id: number) => string };
  private leaseTimer: NodeJS.Timeout | undefined;
  private roundTimer: NodeJS.Timeout | undefined;
  private leading = false;
  private stopped = false;
  private inRound: Promise<void> = Promise.resolve();
  private campaigning = false;
  /** Consecutive refusals (401, 403…) of each action's status read, while this process leads. */
  private readonly refusals = new Map<number, number>();
  private readonly pollMs: number;
  private readonly pace: Pace;
  /**
   * When this leader last looked at each watched action (found it on a listing page, or tried a
   * single read), on Redis's clock. Per action: a listing that did not reach an old action is no
   * look at it, however often newer actions make the leader list.
   */
  private readonly lookedAt = new Map<number, number>();
  /** Regions of watched actions, as the listings showed them. */
  private readonly regions = new Map<number, string>();
  private readonly leaseMs: number;
  private readonly staleMs: number;

  constructor(private readonly opts: StatusPollerOptions) {
    const base = `${opts.prefix}:status:v1:${opts.tokenId}`;
    this.keys = {
      watch: `${base}:watch`,
      meta: `${base}:meta`,
      // How long actions take is DigitalOcean's, not the token's: every token learns into one hash.
      learned: `${opts.prefix}:status:v1:durations`,
      ended: (id) => `${base}:ended:${id}`,
      lease: `${base}:lease`,
      parked: (id) => `${base}:parked:${id}`,
    };
    this.pollMs = opts.pollMs ?? 2000;
    this.pace = paceFor(this.pollMs);
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
    const ended = parseJson(endedSchema, await this.opts.redis.get(this.keys.ended(actionId))) as Ended | undefined;
    if (!ended) return undefined;
    return 'action' in ended ? ended.action : new DigitalOceanError(ended.error.status, ended.error.code, ended.error.message);
  }

  /**
   * A job that lets go of its worker slot while its action runs: the action is watched, and the
   * job is woken (promoted) when it ends. The job comes back on its own at its next check too,
   * which keeps the watch alive.
   */
  async park(actionId: number, jobId: string, about: { type?: string; startedAt?: number } = {}): Promise<void> {
    await this.opts.redis.multi().sadd(this.keys.parked(actionId), jobId).expire(this.keys.parked(actionId), PARKED_S).exec();
    // Its start goes in on Redis's clock (the age measured here, subtracted there), kept from the first park.
    const ageMs = about.startedAt === undefined ? -1 : Math.max(0, Date.now() - about.startedAt);
    await this.opts.redis.eval(TOUCH, 2, this.keys.watch, this.keys.meta, String(actionId), about.type ?? '', String(ageMs));
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
          if (this.leading) {
            // A new leader cannot know when the last one looked: each action's own schedule says when it is due.
            this.lookedAt.clear();
            this.scheduleRound(0);
          }
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
      let next = this.pollMs;
      this.inRound = this.round()
        .then((ms) => void (next = ms))
        .catch((err) => this.opts.onError?.(err as Error));
      void this.inRound.finally(() => {
        if (this.leading && !this.stopped) this.scheduleRound(next);
      });
    }, delayMs);
    this.roundTimer.unref();
  }

  /**
   * One tick of the leader: if a watched action is due a look, list until every watched action is
   * covered, save what ended and wake its jobs, and learn from what completed. Returns how long to
   * wait before the next tick (never longer than STATUS_POLL_MS, so new watches are seen in time).
   */
  private async round(): Promise<number> {
    const redis = this.opts.redis;
    const began = Date.now();
    // Actions whose followers all went away (their jobs rerun elsewhere and watch them again) drop out.
    const reply = (await redis.eval(CURRENT, 2, this.keys.watch, this.keys.meta, String(this.staleMs), this.keys.parked(0).slice(0, -1))) as string[];
    const now = Number(reply[0]);
    const ids = reply.slice(1).map(Number).filter((n) => Number.isSafeInteger(n));
    let calls = 0;
    if (ids.length === 0) {
      this.regions.clear();
      this.lookedAt.clear();
      // Nothing in flight: the only listing is the feed's, when it is due.
      calls += await this.feedLook([]);
      this.opts.onRound?.({ watched: 0, calls, ms: Date.now() - began });
      return this.pollMs;
    }
    const wanted = new Set(ids);
    // Watches dropped as stale are forgotten here too.
    for (const map of [this.lookedAt, this.regions]) for (const id of map.keys()) if (!wanted.has(id)) map.delete(id);
    const [metaTexts, learned] = await Promise.all([redis.hmget(this.keys.meta, ...ids.map(String)), this.learned()]);
    const metas = new Map(ids.map((id, i) => [id, parseJson(metaSchema, metaTexts[i])]));
    const lookAt = (id: number) => {
      const meta = metas.get(id);
      return nextLook(this.lookedAt.get(id) ?? -Infinity, meta?.s, expectation(learned, meta?.t, this.regions.get(id)), this.pace);
    };
    const looks = ids.map(lookAt);
    // A little early is on time: a tick's own timer is not exact.
    const due = new Set(ids.filter((_, i) => looks[i]! <= now + 20));
    if (due.size === 0) {
      this.opts.onRound?.({ watched: ids.length, calls, ms: Date.now() - began });
      return this.untilNext(looks, now);
    }
    const seen = new Map<number, Ended>();
    const oldest = Math.min(...ids);
    const maxPages = this.opts.maxPages ?? 5;
    const pages: Action[] = [];
    // Whether the pages read hold the account's whole list (the last one was not full).
    let pagesComplete = false;
    try {
      for (let page = 1; page <= maxPages; page++) {
        const actions = await this.opts.client.listActions(LIST_PAGE, page);
        calls++;
        this.opts.onRead?.('list', 1);
        pages.push(...actions);
        pagesComplete = actions.length < LIST_PAGE;
        for (const a of actions) {
          if (!wanted.has(a.id)) continue;
          seen.set(a.id, { id: a.id, action: a });
          this.lookedAt.set(a.id, now);
          if (a.region_slug) this.regions.set(a.id, a.region_slug);
        }
        // IDs grow with time: a page that reaches below the oldest watched ID covers them all.
        const reached = lowestId(actions);
        if (actions.length < LIST_PAGE || reached <= oldest) break;
        // A few old actions are cheaper read one by one than paged to.
        const left = ids.filter((i) => i < reached && due.has(i)).length;
        if (left <= maxPages - page) break;
      }
    } catch (err) {
      // A listing DigitalOcean refuses for good (a token without actions:read) leaves single reads to
      // say so per action; a rate limit or an outage waits for the next round.
      calls++;
      if (!(err instanceof DigitalOceanError) || err.isRateLimited || err.isServerError) throw err;
    }
    // Only actions older than every page read, and due a look, are read one by one. A read that
    // fails counts as a look too, so a refusal is only final after three rounds, not three ticks.
    for (const id of ids.filter((i) => !seen.has(i) && due.has(i))) {
      this.lookedAt.set(id, now);
      try {
        const a = await this.opts.client.getAction(id);
        this.refusals.delete(id);
        seen.set(id, { id, action: a });
        if (a.region_slug) this.regions.set(id, a.region_slug);
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
    const left = new Set(ids);
    const learnedNow = new Set<string>();
    for (const ended of seen.values()) {
      if ('action' in ended && ended.action.status === 'in-progress') continue;
      left.delete(ended.id);
      this.refusals.delete(ended.id);
      this.regions.delete(ended.id);
      this.lookedAt.delete(ended.id);
      const text = JSON.stringify(ended);
      const replies = await redis
        .multi()
        .set(this.keys.ended(ended.id), text, 'EX', KEEP_RESULT_S)
        .zrem(this.keys.watch, String(ended.id))
        .hdel(this.keys.meta, String(ended.id))
        .smembers(this.keys.parked(ended.id))
        .del(this.keys.parked(ended.id))
        .exec();
      const parked = (replies?.[3]?.[1] as string[] | undefined) ?? [];
      if (parked.length) await this.opts.wake?.(parked).catch((err) => this.opts.onError?.(err as Error));
      if ('action' in ended) learnFrom(ended.action, learned, learnedNow);
    }
    // What this round learned, in one write.
    if (learnedNow.size) {
      await redis.hset(this.keys.learned, ...[...learnedNow].flatMap((key) => [key, JSON.stringify(learned.get(key))])).catch((err) => this.opts.onError?.(err as Error));
    }
    // The feed reads what was listed anyway.
    calls += await this.feedLook(pages, pagesComplete);
    this.opts.onRound?.({ watched: ids.length, calls, ms: Date.now() - began });
    return this.untilNext([...left].map(lookAt), now);
  }

  /**
   * The activity feed's look: it reads `pages` (listed this round anyway) at no cost. When it is
   * due and nothing was listed, the leader lists for it, back to the newest action it judged; and
   * it reads the few actions it follows that no page reached. Returns the calls made for it.
   */
  private async feedLook(pages: Action[], pagesComplete = false): Promise<number> {
    const feed = this.opts.feed;
    if (!feed) return 0;
    let calls = 0;
    try {
      if (pages.length) await feed.read(pages, { complete: pagesComplete });
      if (!(await feed.due())) return 0;
      const through = await feed.newest();
      let listed = pages;
      // The pages read this round reach back to what the feed read last: nothing more to list.
      // Otherwise (idle, or the poller's listing stopped short) list back to it, a bounded number of pages.
      if (listed.length === 0 || (!pagesComplete && lowestId(listed) > through + 1)) {
        listed = [];
        let reachedBack = false;
        let complete = false;
        for (let page = 1; page <= FEED_MAX_PAGES; page++) {
          const actions = await this.opts.client.listActions(LIST_PAGE, page);
          calls++;
          this.opts.onRead?.('list', 1, true);
          listed = listed.concat(actions);
          complete = actions.length < LIST_PAGE;
          if (complete || lowestId(actions) <= through) {
            reachedBack = true;
            break;
          }
        }
        const read = await feed.read(listed, { final: !reachedBack, complete });
        if (read.skipped) this.opts.onError?.(new Error(`activity feed: more than ${FEED_MAX_PAGES * LIST_PAGE} actions since its last look; the older ones were not reported`));
      }
      const below = lowestId(listed);
      const singles: Action[] = [];
      for (const id of await feed.behind(below)) {
        calls++;
        this.opts.onRead?.('single', 1, true);
        // One that cannot be read now is tried at the next look (the feed drops it after a day).
        const a = await this.opts.client.getAction(id).catch(() => undefined);
        if (a) singles.push(a);
      }
      if (singles.length) await feed.read(singles);
    } catch (err) {
      // The feed never holds up the jobs' polling: it looks again next time.
      this.opts.onError?.(err as Error);
    }
    return calls;
  }

  /** How long until the first of these looks, at most STATUS_POLL_MS. */
  private untilNext(looks: number[], now: number): number {
    if (looks.length === 0) return this.pollMs;
    return Math.min(this.pollMs, Math.max(20, Math.min(...looks) - now));
  }

  /** What the cluster has learned of each kind of action so far (benchmarks, tests, logs). */
  async learned(): Promise<Map<string, Learned>> {
    const out = new Map<string, Learned>();
    for (const [key, text] of Object.entries(await this.opts.redis.hgetall(this.keys.learned))) {
      const l = parseJson(learnedSchema, text);
      if (l) out.set(key, l);
    }
    return out;
  }
}
