// One DigitalOcean request budget per token, shared through Redis by every process of the bot
// (receivers' name lookups, workers' POSTs and status polls). DigitalOcean counts each request
// for a sliding minute (burst limit) and a sliding hour from the moment it arrives; the budget
// keeps the same sliding log, so it can spend the whole allowance without a single 429:
//   - a request takes a slot before it is sent and waits (never fails) while none is free;
//   - when the answer comes back the slot's time moves to that moment, which is never earlier
//     than DigitalOcean's own count, so a slot is never reused before DigitalOcean frees it;
//   - every answer's ratelimit-remaining caps what may still be spent, so requests made with
//     the same token elsewhere (doctl, another tool) are respected too;
//   - a 429's retry-after pauses every process, not just the one that got it.
// All of it runs in Lua scripts on Redis's clock, so processes on different hosts agree.
// BullMQ's queue limiter is not used for this: it counts jobs, and a job makes anywhere from one
// request (a POST) to dozens (its polls), while the receiver's lookups are no jobs at all.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { DigitalOceanError } from './errors.js';
import type { RateLimitState } from './types.js';

/** What the client needs from a budget; the client works without one too. */
export interface RequestBudget {
  /** Resolves once one more request may be sent; settle the ticket with what came back. */
  acquire(): Promise<BudgetTicket>;
}

export interface BudgetTicket {
  settle(answer: BudgetAnswer): Promise<void>;
}

export interface BudgetAnswer {
  /** HTTP status; undefined when no answer arrived (the request may still have been counted). */
  status?: number;
  rateLimit?: RateLimitState;
  /** From retry-after, on a 429. */
  retryAfterMs?: number;
}

export interface RateBudgetOptions {
  redis: Redis;
  /** The bot's key prefix; keys live under `${prefix}:do-budget:`. */
  prefix: string;
  /** Only a hash of it is used, to tell tokens apart; the token itself never reaches Redis. */
  token: string;
  perMinute: number;
  perHour: number;
  /**
   * A request that would have to wait longer than this (in all) fails at once with a 429-like
   * DigitalOceanError (nothing is sent), so a worker can hand its job back instead of holding
   * it. Default 120 s: two of DigitalOcean's minute windows.
   */
  maxWaitMs?: number;
  /** Window lengths; only tests shorten them. */
  minuteMs?: number;
  hourMs?: number;
  /** Called whenever a request has to wait, with how long (for logs and benchmarks). */
  onWait?: (ms: number) => void;
}

/** The local refusal's id: the budget is spent, nothing was sent to DigitalOcean. */
export const BUDGET_SPENT = 'rate_budget_spent';

/** The share of each window status reads may use; the rest is kept for POSTs and lookups. */
export const STATUS_SHARE = 0.8;

// Keys: 1 log (zset: slot seq -> time), 2 pending (zset: unanswered seq -> time), 3 seq
// (counter), 4 obs (hash: last ratelimit-remaining seen), 5 pause (ms until which all wait).
// Returns {0, seq, pendingBefore} when granted, {waitMs} when not.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local perMinute, perHour = tonumber(ARGV[1]), tonumber(ARGV[2])
local minuteMs, hourMs = tonumber(ARGV[3]), tonumber(ARGV[4])
local pause = tonumber(redis.call('GET', KEYS[5]) or '0')
if pause > now then return {pause - now} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - hourMs)
-- An unanswered request older than the hour is from a process that died: forget it.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - hourMs)
local hour = redis.call('ZCARD', KEYS[1])
if hour >= perHour then
  local oldest = redis.call('ZRANGE', KEYS[1], hour - perHour, hour - perHour, 'WITHSCORES')
  return {tonumber(oldest[2]) + hourMs - now + 1}
end
local minute = redis.call('ZCOUNT', KEYS[1], '(' .. (now - minuteMs), '+inf')
if minute >= perMinute then
  local first = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - minuteMs), '+inf', 'WITHSCORES', 'LIMIT', minute - perMinute, 1)
  return {tonumber(first[2]) + minuteMs - now + 1}
end
local seq = tonumber(redis.call('GET', KEYS[3]) or '0')
local obs = redis.call('HMGET', KEYS[4], 'seq', 'allowed', 'reset')
if obs[1] then
  -- DigitalOcean's word: after request obs.seq, 'allowed' more requests remain. Once its reset
  -- time passes at least one more does, so one probe may go to learn the new count.
  local allowed = tonumber(obs[2])
  local reset = tonumber(obs[3])
  if now >= reset then allowed = allowed + 1 end
  if seq - tonumber(obs[1]) >= allowed then
    if reset > now then return {reset - now + 1} end
    return {250}
  end
end
seq = redis.call('INCR', KEYS[3])
local pendingBefore = redis.call('ZCARD', KEYS[2])
redis.call('ZADD', KEYS[1], now, seq)
redis.call('ZADD', KEYS[2], now, seq)
redis.call('PEXPIRE', KEYS[1], hourMs + minuteMs)
redis.call('PEXPIRE', KEYS[2], hourMs + minuteMs)
redis.call('PEXPIRE', KEYS[3], 2 * hourMs + minuteMs)
return {0, seq, pendingBefore}
`;

// ARGV: seq, pendingBefore, remaining (-1 unknown), resetMs, retryAfterMs (-1 none), hourMs.
const SETTLE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local seq = tonumber(ARGV[1])
-- The slot counts from now on: DigitalOcean counted it no later than this.
redis.call('ZADD', KEYS[1], 'XX', 'GT', now, seq)
redis.call('ZREM', KEYS[2], seq)
local remaining, reset, retryAfter = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
if retryAfter >= 0 then
  local untilMs = now + retryAfter
  local current = tonumber(redis.call('GET', KEYS[5]) or '0')
  if untilMs > current then redis.call('SET', KEYS[5], untilMs, 'PX', retryAfter + 1000) end
elseif remaining >= 0 then
  -- Requests sent before this one but still unanswered then may be counted after it: they come
  -- off what is left. Only newer news replaces older news.
  local known = tonumber(redis.call('HGET', KEYS[4], 'seq') or '-1')
  if seq > known then
    local allowed = remaining - tonumber(ARGV[2])
    if allowed < 0 then allowed = 0 end
    redis.call('HSET', KEYS[4], 'seq', seq, 'allowed', allowed, 'reset', reset)
    redis.call('PEXPIRE', KEYS[4], tonumber(ARGV[6]))
  end
end
return 1
`;

export class RedisRateBudget implements RequestBudget {
  private readonly keys: string[];
  private readonly maxWaitMs: number;
  private readonly minuteMs: number;
  private readonly hourMs: number;

  constructor(private readonly opts: RateBudgetOptions) {
    if (!(opts.perMinute >= 1 && opts.perHour >= 1)) throw new Error('rate budget limits must be at least 1');
    const id = budgetId(opts.token);
    // The hash tag keeps the five keys in one Redis Cluster slot even under a prefix without one.
    const base = `${opts.prefix}:do-budget:{${id}}`;
    this.keys = ['log', 'pending', 'seq', 'obs', 'pause'].map((k) => `${base}:${k}`);
    this.maxWaitMs = opts.maxWaitMs ?? 120_000;
    this.minuteMs = opts.minuteMs ?? 60_000;
    this.hourMs = opts.hourMs ?? 3_600_000;
  }

  async acquire(): Promise<BudgetTicket> {
    return this.acquireWithin(this.opts.perMinute, this.opts.perHour);
  }

  /**
   * The same budget for status reads, which may use only the first STATUS_SHARE of each window:
   * the rest stays for POSTs and lookups, so when the budget runs low polling slows first and a
   * POST keeps its place.
   */
  statusReads(): RequestBudget {
    const perMinute = Math.max(1, Math.floor(this.opts.perMinute * STATUS_SHARE));
    const perHour = Math.max(1, Math.floor(this.opts.perHour * STATUS_SHARE));
    return { acquire: () => this.acquireWithin(perMinute, perHour) };
  }

  private async acquireWithin(perMinute: number, perHour: number): Promise<BudgetTicket> {
    let waited = 0;
    for (;;) {
      const reply = (await runScript(this.opts.redis, ACQUIRE, this.keys, [perMinute, perHour, this.minuteMs, this.hourMs])) as number[];
      const [waitMs = 0, seq = 0, pendingBefore = 0] = reply.map(Number);
      if (waitMs <= 0) return this.ticket(seq, pendingBefore);
      if (waited + waitMs > this.maxWaitMs) {
        throw new DigitalOceanError(
          429,
          BUDGET_SPENT,
          `The DigitalOcean API rate limit for this token is used up for the next ${Math.ceil(waitMs / 1000)} s; nothing was sent.`,
          undefined,
          waitMs,
        );
      }
      this.opts.onWait?.(waitMs);
      // A little jitter, so processes that wait for the same slot do not all ask at once.
      const pause = waitMs + Math.floor(Math.random() * 20);
      await sleep(pause);
      waited += pause;
    }
  }

  private ticket(seq: number, pendingBefore: number): BudgetTicket {
    return {
      settle: async (answer) => {
        const limited = answer.status === 429;
        const retryAfter = limited && answer.retryAfterMs !== undefined ? Math.ceil(answer.retryAfterMs) : -1;
        // A 429's ratelimit-remaining says nothing about the hour when retry-after is there
        // (DigitalOcean sends 0 for the burst limit), so only then is it ignored.
        const rl = limited && retryAfter >= 0 ? undefined : answer.rateLimit;
        await runScript(this.opts.redis, SETTLE, this.keys, [
          seq,
          pendingBefore,
          rl ? rl.remaining : -1,
          rl ? Math.round(rl.reset * 1000) : 0,
          retryAfter,
          this.hourMs,
        ]);
      },
    };
  }

  /** The keys this budget uses (for tests and for clean-up). */
  get redisKeys(): readonly string[] {
    return this.keys;
  }
}

/** A short, stable, non-reversible name for a token. */
export function budgetId(token: string): string {
  return createHash('sha256').update(`droplet-bot:${token}`).digest('hex').slice(0, 16);
}

const shas = new Map<string, string>();

/** EVALSHA with a fallback to EVAL when Redis has not seen the script (after a restart too). */
async function runScript(redis: Redis, lua: string, keys: string[], args: Array<string | number>): Promise<unknown> {
  let sha = shas.get(lua);
  if (!sha) {
    sha = createHash('sha1').update(lua).digest('hex');
    shas.set(lua, sha);
  }
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!/NOSCRIPT/.test((err as Error).message)) throw err;
    return redis.eval(lua, keys.length, ...keys, ...args);
  }
}

/** The budget for the bot's token under its key prefix, sized from the settings. */
export function tokenBudget(
  redis: Redis,
  prefix: string,
  digitalocean: { token: string; ratePerMinute: number; ratePerHour: number },
  onWait?: (waitMs: number) => void,
): RedisRateBudget {
  return new RedisRateBudget({ redis, prefix, token: digitalocean.token, perMinute: digitalocean.ratePerMinute, perHour: digitalocean.ratePerHour, ...(onWait ? { onWait } : {}) });
}
