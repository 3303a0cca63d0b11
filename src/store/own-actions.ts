// Which DigitalOcean actions the bot started, so the activity feed can tell them from everyone
// else's. Before a POST leaves, a mark says "this request is sending to these Droplets"; once the
// answer (or, after a lost answer, the search) names the actions, their IDs are recorded and the
// mark goes, in one step. An action of the mark's type that the feed lists while a mark covers
// its Droplet may still be the bot's own, so the feed waits for the mark to go. Marks left by a
// POST that never left (a lost lock) lapse after an hour.
import type { Redis } from 'ioredis';
import type { Mark } from '../domain/activity.js';

export { ANY_DROPLET } from '../domain/activity.js';

/** How long an action ID is remembered as the bot's: far longer than any listing reaches back. */
const KEEP_MS = 30 * 24 * 3600_000;
/** A mark older than this is left over (its POST never left, or its job is gone): ignored and dropped. */
export const MARK_LAPSES_MS = 3600_000;

export class OwnActions {
  private readonly keys: { ours: string; sending: string };

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = { ours: `${prefix}:own:v1:actions`, sending: `${prefix}:own:v1:sending` };
  }

  /** A mark names the Droplet, the action type (a POST starts only its own type) and the request. */
  private static member(dropletId: number, type: string, requestId: string): string {
    return `${dropletId}:${type}:${requestId}`;
  }

  /** Before a POST leaves: `requestId` is about to start `type` on these Droplets. */
  async sending(requestId: string, type: string, dropletIds: number[], at = Date.now()): Promise<void> {
    if (dropletIds.length === 0) return;
    await this.redis.zadd(this.keys.sending, ...dropletIds.flatMap((d) => [String(at), OwnActions.member(d, type, requestId)]));
  }

  /** The POST's actions are known: they are the bot's, and the request's marks go, in one step. */
  async started(requestId: string, type: string, dropletIds: number[], actionIds: number[], now = Date.now()): Promise<void> {
    const tx = this.redis.multi();
    if (actionIds.length) tx.zadd(this.keys.ours, ...actionIds.flatMap((id) => [String(now), String(id)]));
    if (dropletIds.length) tx.zrem(this.keys.sending, ...dropletIds.map((d) => OwnActions.member(d, type, requestId)));
    tx.zremrangebyscore(this.keys.ours, '-inf', now - KEEP_MS);
    await tx.exec();
  }

  /** Nothing left (DigitalOcean refused the POST outright, or it was never sent): the marks go. */
  async settled(requestId: string, type: string, dropletIds: number[]): Promise<void> {
    if (dropletIds.length) await this.redis.zrem(this.keys.sending, ...dropletIds.map((d) => OwnActions.member(d, type, requestId)));
  }

  /** Which of `ids` the bot started, and the marks in force, read together (after the listing that named the ids). */
  async lookup(ids: number[], now = Date.now()): Promise<{ ours: Set<number>; marks: Mark[] }> {
    const tx = this.redis.multi().zremrangebyscore(this.keys.sending, '-inf', now - MARK_LAPSES_MS).zrange(this.keys.sending, '0', '-1', 'WITHSCORES');
    if (ids.length) tx.zmscore(this.keys.ours, ...ids.map(String));
    const replies = (await tx.exec()) ?? [];
    for (const [err] of replies) if (err) throw err;
    const flat = (replies[1]?.[1] as string[] | undefined) ?? [];
    const marks: Mark[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const [dropletId, type] = flat[i]!.split(':');
      marks.push({ dropletId: Number(dropletId), type: type ?? '', at: Number(flat[i + 1]) });
    }
    const scores = ids.length ? ((replies[2]?.[1] as Array<string | null> | undefined) ?? []) : [];
    return { ours: new Set(ids.filter((_, i) => scores[i] !== null && scores[i] !== undefined)), marks };
  }
}
