// Which approvals are still waiting, for the approvals_pending metric: request and fleet IDs in
// one sorted set scored by their deadline. Kept alongside the decisions (which stay atomic on
// their own records): an entry is added when a request starts waiting, removed when it is
// decided, and counts for nothing once its deadline has passed, whatever happened to it.
import { redisNow } from './redis.js';
import type { Redis } from 'ioredis';

export class PendingApprovals {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = `${prefix}:approvals:pending`;
  }

  async add(id: string, deadline: number): Promise<void> {
    await this.redis.zadd(this.key, deadline, id);
  }

  async remove(id: string): Promise<void> {
    await this.redis.zrem(this.key, id);
  }

  /** Up to `max` IDs still waiting (on Redis's clock), the soonest deadline first. */
  async ids(max: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.key, await this.now(), '+inf', 'LIMIT', 0, max);
  }

  /** How many wait now (on Redis's clock); entries past their deadline are dropped. */
  async count(): Promise<number> {
    const now = await this.now();
    const [, [, n]] = (await this.redis.multi().zremrangebyscore(this.key, '-inf', now).zcard(this.key).exec()) as [unknown, [unknown, number]];
    return Number(n);
  }

  /** Redis's clock, in ms: deadlines are compared on one clock whichever process asks. */
  private async now(): Promise<number> {
    return redisNow(this.redis);
  }
}
