// Who has their Home tab in use, and where they left it (page and filter): the workers publish it
// again when something of theirs ends, or when the approvals waiting change, and only for people
// who opened it in the last week. Each person's record also keeps the hash Slack gave the last
// publish and a digest of what it showed, so a publish that would show the same is not made.
import { redisNow } from './redis.js';
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

// KEYS: record, viewers. ARGV: value with digest, value without, the hash the publish read ('' for
// none), '1' when the person opened the tab, ttl, score, user.
const REMEMBER = `
local cur = redis.call('GET', KEYS[1])
local h = ''
if cur then
  local ok, o = pcall(cjson.decode, cur)
  if ok and type(o) == 'table' and type(o.h) == 'string' then h = o.h end
end
local v = ARGV[2]
if h == ARGV[3] then v = ARGV[1] end
if ARGV[4] == '1' then
  redis.call('SET', KEYS[1], v, 'EX', ARGV[5])
  redis.call('ZADD', KEYS[2], ARGV[6], ARGV[7])
  redis.call('EXPIRE', KEYS[2], ARGV[5])
elseif cur then
  redis.call('SET', KEYS[1], v, 'KEEPTTL')
end
return 1`;

// KEYS: record. Drops the digest, keeps the rest and the expiry.
const FORGET_DIGEST = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local ok, o = pcall(cjson.decode, cur)
if not ok or type(o) ~= 'table' or o.d == nil then return 0 end
o.d = nil
redis.call('SET', KEYS[1], cjson.encode(o), 'KEEPTTL')
return 1`;

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

  /**
   * After a publish. `opened` (the person used the tab) starts the week again; a worker's publish
   * keeps it. `read` is the hash the publish replaced: if another publish's record came in since,
   * which of the two Slack shows is unknown, so the digest is not kept and the next publish is made.
   */
  async remember(user: string, place: HomePlace, opened: boolean, read: string | undefined): Promise<void> {
    const base = { p: place.page, ...(place.filter ? { f: place.filter } : {}), ...(place.hash ? { h: place.hash } : {}) };
    const now = opened ? await redisNow(this.redis) : 0;
    await this.redis.eval(
      REMEMBER,
      2,
      this.key(user),
      this.setKey,
      JSON.stringify({ ...base, ...(place.digest ? { d: place.digest } : {}) }),
      JSON.stringify(base),
      read ?? '',
      opened ? '1' : '0',
      String(TTL_SECONDS),
      String(now),
      user,
    );
  }

  /** Before a publish: until its answer is recorded, what Slack shows is not known. */
  async forgetDigest(user: string): Promise<void> {
    await this.redis.eval(FORGET_DIGEST, 1, this.key(user));
  }

  /** The people who opened the tab in the last week, most recent first, at most VIEWERS_MAX. */
  async recent(): Promise<string[]> {
    const since = (await redisNow(this.redis)) - TTL_SECONDS * 1000;
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
