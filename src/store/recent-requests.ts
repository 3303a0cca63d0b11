// Each person's recent requests and fleets, for their Home tab: a sorted set of references (by
// when each was first seen) and a hash of what is known of each, both kept to the newest few and
// lapsing a month after the person's last request. Fed from the audit trail, one Lua step an entry.
import type { Redis } from 'ioredis';
import type { AuditEntry } from '../domain/audit.js';
import { cardOf, recentKey, type RecentCard } from '../domain/recent.js';

/** Kept per person; the tab shows fewer. */
export const RECENT_KEPT = 20;
const TTL_SECONDS = 30 * 24 * 3600;

// KEYS: index, cards. ARGV: ref, card JSON, its rank, how many to keep, ttl. A card is
// not replaced by one less far along; the index keeps when each was first seen, on Redis's clock.
const NOTE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local old = redis.call('HGET', KEYS[2], ARGV[1])
local keep = false
if old then
  local ok, c = pcall(cjson.decode, old)
  if ok and type(c) == 'table' and (tonumber(c.rank) or 0) > tonumber(ARGV[3]) then keep = true end
end
if not keep then redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  -- Newest first, even within one ms: a new one always scores above the newest so far.
  local score = now
  local top = redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if top[2] and tonumber(top[2]) >= score then score = tonumber(top[2]) + 1 end
  redis.call('ZADD', KEYS[1], score, ARGV[1])
end
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[4])
if over > 0 then
  local gone = redis.call('ZRANGE', KEYS[1], 0, over - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, over - 1)
  redis.call('HDEL', KEYS[2], unpack(gone))
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[5])
return 1`;

export interface StoredRecent extends RecentCard {
  /** When it was first seen, ms. */
  at: number;
}

export class RecentRequests {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private keys(user: string): [string, string] {
    return [`${this.prefix}:recent:${user}`, `${this.prefix}:recent:${user}:cards`];
  }

  /** Records what an audit entry says; answers whose list it went into, if anyone's. */
  async note(entry: AuditEntry): Promise<string | undefined> {
    const key = recentKey(entry);
    if (!key) return undefined;
    const card = cardOf(entry);
    await this.redis.eval(NOTE, 2, ...this.keys(key.user), key.ref, JSON.stringify(card), String(card.rank), String(RECENT_KEPT), String(TTL_SECONDS));
    return key.user;
  }

  /** The person's newest `max`, newest first. */
  async list(user: string, max = 10): Promise<StoredRecent[]> {
    const [index, cards] = this.keys(user);
    const refs = await this.redis.zrevrange(index, 0, max - 1, 'WITHSCORES');
    if (refs.length === 0) return [];
    const names = refs.filter((_, i) => i % 2 === 0);
    const values = await this.redis.hmget(cards, ...names);
    const out: StoredRecent[] = [];
    names.forEach((_, i) => {
      try {
        const card = JSON.parse(values[i] ?? '') as RecentCard;
        if (card && typeof card === 'object' && typeof card.id === 'string') out.push({ ...card, at: Number(refs[i * 2 + 1]) });
      } catch {
        // A card this version cannot read is left out.
      }
    });
    return out;
  }
}
