// The activity feed: actions on the account that the bot did not start (from the console, the
// API, doctl or another tool), one line each in ACTIVITY_CHANNEL, and one more when such an
// action fails. It reads the listings the status poller's leader makes anyway; only when nothing
// is in flight does the leader list for it, once every ACTIVITY_POLL_S, cluster-wide.
//
// Each action is reported once however many processes run and whatever restarts: the lines go
// to the Slack outbox under a step key per action (the outbox drops a step it has seen), and
// only then is the action remembered as judged; a leader that dies in between leaves the next
// one to publish the same step, which adds nothing. The first look sets a floor: nothing older
// than the feed is reported.
import type { Redis } from 'ioredis';
import { judge, type ListedAction, type Mark } from '../domain/activity.js';

export interface ActivityFeedOptions {
  redis: Redis;
  prefix: string;
  /** One feed per token (its hash): the account the token sees. */
  tokenId: string;
  /** The bot's own actions, and the POSTs it is sending (read after the listing that named the ids). */
  own: { lookup(ids: number[]): Promise<{ ours: Set<number>; marks: Mark[] }> };
  /** Appends lines to one ordered stream of the channel; a line whose key the stream has seen is dropped. */
  publish(stream: string, lines: Array<{ key: string; text: string }>): Promise<void>;
  render: { started(a: ListedAction): string; failed(a: ListedAction): string };
  /** How often the leader looks for the feed when nothing is in flight (ACTIVITY_POLL_S). */
  everyMs: number;
  /** How far DigitalOcean's clock and the hosts' may differ. */
  skewMs?: number;
}

/** How many judged IDs are kept; older ones are below the floor, which rises as they go. */
const KEEP_SEEN = 5000;
/** An action followed for this long without an end is dropped, unreported. */
const FOLLOW_MS = 24 * 3600_000;

// KEYS: seen, floor. ARGV: the most to keep. Drops the oldest judged IDs and raises the floor to
// the newest one dropped, so nothing dropped can be judged (and reported) again.
const TRIM = `local n = redis.call('ZCARD', KEYS[1])
local over = n - tonumber(ARGV[1])
if over <= 0 then return 0 end
local cut = redis.call('ZRANGE', KEYS[1], over - 1, over - 1)[1]
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, over - 1)
if tonumber(cut) > tonumber(redis.call('GET', KEYS[2]) or '0') then redis.call('SET', KEYS[2], cut) end
return over`;

export class ActivityFeed {
  private readonly keys: { floor: string; seen: string; open: string; due: string };

  constructor(private readonly opts: ActivityFeedOptions) {
    const base = `${opts.prefix}:activity:v1:${opts.tokenId}`;
    this.keys = { floor: `${base}:floor`, seen: `${base}:seen`, open: `${base}:open`, due: `${base}:due` };
  }

  /** Whether a look is due (taken for the whole cluster: one process gets true per ACTIVITY_POLL_S). */
  async due(): Promise<boolean> {
    return (await this.opts.redis.set(this.keys.due, '1', 'PX', this.opts.everyMs, 'NX')) === 'OK';
  }

  /** The newest action judged (or the floor): a listing for the feed pages back until it reaches it. */
  async newest(): Promise<number> {
    const [top, floor] = await Promise.all([this.opts.redis.zrange(this.keys.seen, '-1', '-1'), this.opts.redis.get(this.keys.floor)]);
    return Math.max(Number(top[0] ?? 0), Number(floor ?? 0));
  }

  /** Someone else's running actions older than `below` (not on the pages read): read one by one, a few at a time. */
  async behind(below: number, max = 10): Promise<number[]> {
    const ids = (await this.opts.redis.hkeys(this.keys.open)).map(Number).filter((id) => id < below);
    return ids.sort((a, b) => b - a).slice(0, max);
  }

  /** Judges what a listing (or single reads) showed, newest first or in any order; reports what is new. */
  async read(actions: ListedAction[]): Promise<{ reported: number }> {
    const redis = this.opts.redis;
    // The first look ever: the feed starts after the newest action there is (an empty account: all).
    await redis.set(this.keys.floor, String(Math.max(0, ...actions.map((a) => a.id))), 'NX');
    if (actions.length === 0) return { reported: 0 };
    const ids = actions.map((a) => a.id);
    const tx = redis.multi().get(this.keys.floor).zmscore(this.keys.seen, ...ids.map(String)).hmget(this.keys.open, ...ids.map(String));
    const replies = (await tx.exec()) ?? [];
    for (const [err] of replies) if (err) throw err;
    const floor = Number(replies[0]?.[1] ?? 0);
    const seenScores = replies[1]?.[1] as Array<string | null>;
    const openTexts = replies[2]?.[1] as Array<string | null>;
    const own = await this.opts.own.lookup(ids);
    const view = {
      floor,
      ours: own.ours,
      marks: own.marks,
      seen: new Set(ids.filter((_, i) => seenScores[i] !== null)),
      open: new Set(ids.filter((_, i) => openTexts[i] !== null)),
      skewMs: this.opts.skewMs ?? 30_000,
    };
    const lines = new Map<string, Array<{ key: string; text: string }>>();
    const line = (a: ListedAction, key: string, text: string) => {
      // One stream per day an action started on: both of its lines go to the same stream, so a
      // step published twice is dropped, and no stream grows for ever.
      const stream = `activity-${this.opts.tokenId}-${a.started_at.slice(0, 10)}`;
      lines.set(stream, [...(lines.get(stream) ?? []), { key, text }]);
    };
    const judged: number[] = [];
    const opened: ListedAction[] = [];
    const closed: number[] = [];
    // Oldest first, so the channel reads in order.
    for (const a of [...actions].sort((x, y) => x.id - y.id)) {
      const verdict = judge(a, view);
      if (verdict === 'ours') judged.push(a.id);
      if (verdict === 'new') {
        line(a, `${a.id}:seen`, this.opts.render.started(a));
        judged.push(a.id);
        if (a.status === 'in-progress') opened.push(a);
      }
      if (verdict === 'ended') {
        if (a.status === 'errored') line(a, `${a.id}:failed`, this.opts.render.failed(a));
        closed.push(a.id);
      }
    }
    // Published first: a crash before the writes below publishes the same steps again, which the outbox drops.
    for (const [stream, entries] of lines) await this.opts.publish(stream, entries);
    const write = redis.multi();
    if (judged.length) write.zadd(this.keys.seen, ...judged.flatMap((id) => [String(id), String(id)]));
    if (opened.length) write.hset(this.keys.open, ...opened.flatMap((a) => [String(a.id), a.started_at]));
    if (closed.length) write.hdel(this.keys.open, ...closed.map(String));
    write.eval(TRIM, 2, this.keys.seen, this.keys.floor, String(KEEP_SEEN));
    await write.exec();
    await this.forgetStale();
    return { reported: [...lines.values()].reduce((n, l) => n + l.length, 0) };
  }

  /** Actions followed for a day without an end are dropped. */
  private async forgetStale(now = Date.now()): Promise<void> {
    const open = await this.opts.redis.hgetall(this.keys.open);
    const stale = Object.entries(open).filter(([, startedAt]) => now - (Date.parse(startedAt) || 0) > FOLLOW_MS);
    if (stale.length) await this.opts.redis.hdel(this.keys.open, ...stale.map(([id]) => id));
  }
}
