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

// KEYS: seen, floor, open, waiting. ARGV: the most to keep. Drops the oldest judged IDs and raises
// the floor to the newest one dropped, so nothing dropped can be judged (and reported) again; never
// above an action still followed or held back (those are judged whatever the floor, but trimming
// must not drop what they need).
const TRIM = `local n = redis.call('ZCARD', KEYS[1])
local over = n - tonumber(ARGV[1])
if over <= 0 then return 0 end
local cut = tonumber(redis.call('ZRANGE', KEYS[1], over - 1, over - 1)[1])
for _, key in ipairs({KEYS[3], KEYS[4]}) do
  for _, id in ipairs(redis.call('HKEYS', key)) do
    if tonumber(id) <= cut then cut = tonumber(id) - 1 end
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', cut)
if cut > tonumber(redis.call('GET', KEYS[2]) or '0') then redis.call('SET', KEYS[2], tostring(cut)) end
return over`;
// KEYS: through. ARGV: the lowest and highest ID of a listing read without gaps, and 1 to move on
// whatever the gap (a look that could not page back far enough). Moves "read up to" forward.
const THROUGH = `local through = tonumber(redis.call('GET', KEYS[1]) or '0')
local low, high = tonumber(ARGV[1]), tonumber(ARGV[2])
if (low <= through + 1 or ARGV[3] == '1') and high > through then redis.call('SET', KEYS[1], ARGV[2]) return 1 end
return 0`;

export class ActivityFeed {
  private readonly keys: { floor: string; through: string; seen: string; open: string; waiting: string; due: string };

  constructor(private readonly opts: ActivityFeedOptions) {
    const base = `${opts.prefix}:activity:v1:${opts.tokenId}`;
    this.keys = { floor: `${base}:floor`, through: `${base}:through`, seen: `${base}:seen`, open: `${base}:open`, waiting: `${base}:waiting`, due: `${base}:due` };
  }

  /** Whether a look is due (taken for the whole cluster: one process gets true per ACTIVITY_POLL_S). */
  async due(): Promise<boolean> {
    return (await this.opts.redis.set(this.keys.due, '1', 'PX', this.opts.everyMs, 'NX')) === 'OK';
  }

  /**
   * Up to which action every one has been read without a gap (or the floor): a listing for the
   * feed pages back until it reaches this, and the poller's short listings never move it past a gap.
   */
  async newest(): Promise<number> {
    const [through, floor] = await Promise.all([this.opts.redis.get(this.keys.through), this.opts.redis.get(this.keys.floor)]);
    return Math.max(Number(through ?? 0), Number(floor ?? 0));
  }

  /** Actions followed (running) or held back, older than `below` (not on the pages read): read one by one, a few at a time. */
  async behind(below: number, max = 10): Promise<number[]> {
    // Once per look, not per listing read: the poller's busy rounds read listings every second or two.
    await this.forgetStale();
    const [open, waiting] = await Promise.all([this.opts.redis.hkeys(this.keys.open), this.opts.redis.hkeys(this.keys.waiting)]);
    const ids = [...new Set([...open, ...waiting].map(Number))].filter((id) => id < below);
    return ids.sort((a, b) => b - a).slice(0, max);
  }

  /**
   * Judges what a listing (or single reads) showed, in any order; reports what is new. `listing`:
   * these are whole listing pages, newest first, with no gap between their lowest and highest ID;
   * `complete`: they hold the account's whole list (the last page was not full), so no gap can be
   * behind them; `final`: the look could page back no further, so "read up to" moves on even over a gap.
   */
  async read(actions: ListedAction[], listing: { final?: boolean; complete?: boolean } | false = false): Promise<{ reported: number; skipped: boolean }> {
    const redis = this.opts.redis;
    // The first look ever: the feed starts after the newest action there is (an empty account: all).
    const start = String(Math.max(0, ...actions.map((a) => a.id)));
    await redis.multi().set(this.keys.floor, start, 'NX').set(this.keys.through, start, 'NX').exec();
    if (actions.length === 0) return { reported: 0, skipped: false };
    const ids = actions.map((a) => a.id);
    const tx = redis
      .multi()
      .get(this.keys.floor)
      .zmscore(this.keys.seen, ...ids.map(String))
      .hmget(this.keys.open, ...ids.map(String))
      .hmget(this.keys.waiting, ...ids.map(String))
      .get(this.keys.through);
    const replies = (await tx.exec()) ?? [];
    for (const [err] of replies) if (err) throw err;
    const floor = Number(replies[0]?.[1] ?? 0);
    const seenScores = replies[1]?.[1] as Array<string | null>;
    const openTexts = replies[2]?.[1] as Array<string | null>;
    const waitingTexts = replies[3]?.[1] as Array<string | null>;
    const through = Number(replies[4]?.[1] ?? 0);
    const own = await this.opts.own.lookup(ids);
    const view = {
      floor,
      ours: own.ours,
      marks: own.marks,
      seen: new Set(ids.filter((_, i) => seenScores[i] !== null)),
      open: new Set(ids.filter((_, i) => openTexts[i] !== null)),
      waiting: new Set(ids.filter((_, i) => waitingTexts[i] !== null)),
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
    const held: ListedAction[] = [];
    // Oldest first, so the channel reads in order.
    for (const a of [...actions].sort((x, y) => x.id - y.id)) {
      const verdict = judge(a, view);
      if (verdict === 'ours') judged.push(a.id);
      if (verdict === 'wait') held.push(a);
      if (verdict === 'new') {
        // An action first seen failed gets the key of a failure line: if it was seen running
        // before (and that was not written down), its failure still gets said.
        line(a, `${a.id}:${a.status === 'errored' ? 'failed' : 'seen'}`, this.opts.render.started(a));
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
    // Held back: judged again on a later look, read one by one if no listing reaches it.
    if (held.length) write.hset(this.keys.waiting, ...held.flatMap((a) => [String(a.id), a.started_at]));
    if (judged.length) write.hdel(this.keys.waiting, ...judged.map(String));
    write.eval(TRIM, 4, this.keys.seen, this.keys.floor, this.keys.open, this.keys.waiting, String(KEEP_SEEN));
    let skipped = false;
    if (listing) {
      const low = Math.min(...ids);
      skipped = low > through + 1 && listing.final === true && listing.complete !== true;
      write.eval(THROUGH, 1, this.keys.through, String(low), String(Math.max(...ids)), listing.final || listing.complete ? '1' : '0');
    }
    const done = (await write.exec()) ?? [];
    for (const [err] of done) if (err) throw err;
    return { reported: [...lines.values()].reduce((n, l) => n + l.length, 0), skipped };
  }

  /** Actions followed, or held back, for a day without an end or a verdict are dropped. */
  private async forgetStale(now = Date.now()): Promise<void> {
    for (const key of [this.keys.open, this.keys.waiting]) {
      const entries = await this.opts.redis.hgetall(key);
      const stale = Object.entries(entries).filter(([, startedAt]) => now - (Date.parse(startedAt) || 0) > FOLLOW_MS);
      if (stale.length) await this.opts.redis.hdel(key, ...stale.map(([id]) => id));
    }
  }
}
