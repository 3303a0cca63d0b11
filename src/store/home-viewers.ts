// Who has their Home tab in use, and where they left it (page and filter): the workers publish it
// again when something of theirs ends, or when the approvals waiting change, and only for people
// who opened it in the last week. Each person's record also keeps the hash Slack gave the last
// publish and a digest of what it showed, so a publish that would show the same is not made.
import type { Redis } from 'ioredis';

const TTL_SECONDS = 7 * 24 * 3600;
/** People whose tabs the approvals' changes reach, at most: the most recent openers. */
export const VIEWERS_MAX = 500;

export interface HomePlace {
  page: number;
  filter?: string;
  /** The hash Slack gave the tab last published: the next publish replaces only that version. */
  hash?: string;
  /** A digest of the view last published. */
  digest?: string;
}

export class HomeViewers {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(user: string): string {
    return `${this.prefix}:home:${user}`;
  }

  /** Everyone who opened the tab, scored by when they last did. */
  private get setKey(): string {
    return `${this.prefix}:home-viewers`;
  }

  /** After a publish. `opened` (the person used the tab) starts the week again; a worker's publish keeps it. */
  async remember(user: string, place: HomePlace, opened: boolean): Promise<void> {
    const value = JSON.stringify({ p: place.page, ...(place.filter ? { f: place.filter } : {}), ...(place.hash ? { h: place.hash } : {}), ...(place.digest ? { d: place.digest } : {}) });
    if (opened) {
      const [sec, micro] = await this.redis.time();
      await this.redis.multi().set(this.key(user), value, 'EX', TTL_SECONDS).zadd(this.setKey, Number(sec) * 1000 + Math.floor(Number(micro) / 1000), user).expire(this.setKey, TTL_SECONDS).exec();
    }
    // Only while it is there: a tab not used for a week stays forgotten.
    else await this.redis.set(this.key(user), value, 'KEEPTTL', 'XX');
  }

  /** The people who opened the tab in the last week, most recent first, at most VIEWERS_MAX. */
  async recent(): Promise<string[]> {
    const [sec] = await this.redis.time();
    const since = (Number(sec) - TTL_SECONDS) * 1000;
    const [, [, users]] = (await this.redis.multi().zremrangebyscore(this.setKey, '-inf', `(${since}`).zrevrange(this.setKey, 0, VIEWERS_MAX - 1).exec()) as [unknown, [unknown, string[]]];
    return users;
  }

  /** Where they left it; undefined for someone who has not opened the tab lately. */
  async placeOf(user: string): Promise<HomePlace | undefined> {
    const raw = await this.redis.get(this.key(user));
    if (raw === null) return undefined;
    try {
      const o = JSON.parse(raw) as { p?: unknown; f?: unknown; h?: unknown; d?: unknown };
      return {
        page: typeof o.p === 'number' && Number.isInteger(o.p) && o.p >= 0 ? o.p : 0,
        ...(typeof o.f === 'string' && o.f ? { filter: o.f.slice(0, 100) } : {}),
        ...(typeof o.h === 'string' && o.h ? { hash: o.h } : {}),
        ...(typeof o.d === 'string' && o.d ? { digest: o.d } : {}),
      };
    } catch {
      return { page: 0 };
    }
  }
}
