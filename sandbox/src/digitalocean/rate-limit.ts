// DigitalOcean's rate limiting, per token: every request counts for a sliding hour (and a sliding
// minute for the burst limit) from the moment it was made, rather than fixed windows that reset.
// Headers always describe the hourly quota; `ratelimit-reset` is when the oldest counted request
// expires. Refused requests are not counted, so a client that backs off recovers.

export interface RateLimits {
  perMinute: number;
  perHour: number;
}

export interface RateDecision {
  allowed: boolean;
  headers: Record<string, string>;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

export class RateLimiter {
  /** Timestamps (ms) of counted requests per token, ascending. */
  private readonly hits = new Map<string, number[]>();

  constructor(private readonly limits: RateLimits) {}

  /** Count one request for `key` if it is within both limits. */
  take(key: string, now = Date.now()): RateDecision {
    const hits = this.prune(key, now);
    const inMinute = hits.filter((t) => t > now - MINUTE);
    if (inMinute.length >= this.limits.perMinute) {
      // Burst limit: the spec says only this case carries `retry-after`.
      const oldest = inMinute[0] ?? now;
      const retryAfter = Math.max(1, Math.ceil((oldest + MINUTE - now) / 1000));
      return { allowed: false, headers: { ...this.headersFor(hits, now, 0), 'retry-after': String(retryAfter) } };
    }
    if (hits.length >= this.limits.perHour) {
      return { allowed: false, headers: this.headersFor(hits, now, 0) };
    }
    hits.push(now);
    return { allowed: true, headers: this.headersFor(hits, now) };
  }

  /** Current headers for `key` without counting anything (for injected fault replies). */
  peek(key: string, now = Date.now()): Record<string, string> {
    return this.headersFor(this.prune(key, now), now);
  }

  private prune(key: string, now: number): number[] {
    let hits = this.hits.get(key);
    if (!hits) {
      hits = [];
      this.hits.set(key, hits);
    }
    while (hits.length > 0 && (hits[0] ?? now) <= now - HOUR) hits.shift();
    return hits;
  }

  private headersFor(hits: number[], now: number, remaining?: number): Record<string, string> {
    const oldest = hits[0] ?? now;
    return {
      'ratelimit-limit': String(this.limits.perHour),
      'ratelimit-remaining': String(remaining ?? Math.max(0, this.limits.perHour - hits.length)),
      'ratelimit-reset': String(Math.ceil((oldest + HOUR) / 1000)),
    };
  }
}
