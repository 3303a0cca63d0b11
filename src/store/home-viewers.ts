// Who has their Home tab in use, and where they left it (page and filter): the workers publish it
// again when something of theirs ends, and only for people who opened it in the last week.
import type { Redis } from 'ioredis';

const TTL_SECONDS = 7 * 24 * 3600;

export interface HomePlace {
  page: number;
  filter?: string;
  /** The hash Slack gave the tab last published: the next publish replaces only that version. */
  hash?: string;
}

export class HomeViewers {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(user: string): string {
    return `${this.prefix}:home:${user}`;
  }

  /** After a publish. `opened` (the person used the tab) starts the week again; a worker's publish keeps it. */
  async remember(user: string, place: HomePlace, opened: boolean): Promise<void> {
    const value = JSON.stringify({ p: place.page, ...(place.filter ? { f: place.filter } : {}), ...(place.hash ? { h: place.hash } : {}) });
    if (opened) await this.redis.set(this.key(user), value, 'EX', TTL_SECONDS);
    // Only while it is there: a tab not used for a week stays forgotten.
    else await this.redis.set(this.key(user), value, 'KEEPTTL', 'XX');
  }

  /** Where they left it; undefined for someone who has not opened the tab lately. */
  async placeOf(user: string): Promise<HomePlace | undefined> {
    const raw = await this.redis.get(this.key(user));
    if (raw === null) return undefined;
    try {
      const o = JSON.parse(raw) as { p?: unknown; f?: unknown; h?: unknown };
      return {
        page: typeof o.p === 'number' && Number.isInteger(o.p) && o.p >= 0 ? o.p : 0,
        ...(typeof o.f === 'string' && o.f ? { filter: o.f.slice(0, 100) } : {}),
        ...(typeof o.h === 'string' && o.h ? { hash: o.h } : {}),
      };
    } catch {
      return { page: 0 };
    }
  }
}
