// One request, one job: the first to claim a request ID wins, so a command that Slack delivers
// twice, or a button clicked twice, starts at most one action.
import type { Redis } from 'ioredis';

export class RequestClaims {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds = 24 * 3600,
  ) {}

  /** True for the first caller with this ID within the TTL, false for every later one. */
  async claim(requestId: string): Promise<boolean> {
    const result = await this.redis.set(`${this.prefix}:claim:${requestId}`, String(Date.now()), 'EX', this.ttlSeconds, 'NX');
    return result === 'OK';
  }
}
