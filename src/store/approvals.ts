// Pending approval requests in Redis, one hash per request under the bot's key prefix. Buttons
// carry only the opaque ID; everything else is read back from here. The decision is one Lua
// script, so two Approve clicks, or an Approve racing the expiry job, have exactly one winner.
import { redisNow } from './redis.js';
import { PendingApprovals } from './pending-approvals.js';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { actionJobSchema } from '../domain/job.js';
import { dropletStateSchema } from '../domain/approval-rules.js';

export const approvalSchema = z.object({
  id: z.string().min(1),
  /** The job as it will run once approved; rootTs is set, approver is not. */
  job: actionJobSchema,
  /** The Droplet when the request was made, to show what changed by the time of the decision. */
  before: dropletStateSchema,
  requestedAt: z.number(),
  expiresAt: z.number(),
  /** Where the message with the buttons is. */
  message: z.object({ channel: z.string(), ts: z.string() }).optional(),
});
export type Approval = z.output<typeof approvalSchema>;

export type ApprovalState = 'pending' | 'approved' | 'denied' | 'expired';
export type Outcome = Exclude<ApprovalState, 'pending'>;

export type DecideResult =
  | { kind: 'won'; state: Outcome; by: string }
  | { kind: 'lost'; state: Outcome; by: string }
  /** An expiry asked with `due` before the deadline (on Redis's clock): try again in `inMs`. */
  | { kind: 'early'; inMs: number }
  | { kind: 'missing' };

export interface StoredApproval {
  approval: Approval;
  state: ApprovalState;
  decidedBy?: string;
  decidedAt?: number;
}

// KEYS: the approval hash, the intake's records and moved-at. ARGV: outcome, user, now (ms, or ''
// for Redis's own clock), request ID, intake record for an approval. An approve or deny that
// arrives after the deadline turns into the expiry, so nothing is approved late even if the
// expiry job is slow. An approval writes the job to run into the intake in the same step, so a
// crash right after the decision leaves it for a worker to queue: approved always means run.
// ARGV[6] is a nonce for this one call: ioredis may send it again after a reconnect, and the
// second run must answer "won", as the first did. ARGV[7] = 'due' makes an expiry wait for the
// deadline on Redis's clock (the expiry job's timer runs on a process's own).
const DECIDE = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'missing', '', ''} end
if state ~= 'pending' then
  if ARGV[6] ~= '' and redis.call('HGET', KEYS[1], 'nonce') == ARGV[6] then
    return {'won', state, redis.call('HGET', KEYS[1], 'decidedBy') or ''}
  end
  return {'lost', state, redis.call('HGET', KEYS[1], 'decidedBy') or ''}
end
local now = tonumber(ARGV[3])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local outcome = ARGV[1]
local by = ARGV[2]
local expiresAt = tonumber(redis.call('HGET', KEYS[1], 'expiresAt'))
if outcome == 'expired' and ARGV[7] == 'due' and now < expiresAt then return {'early', tostring(expiresAt - now), ''} end
if outcome ~= 'expired' and now >= expiresAt then
  outcome = 'expired'
  by = ''
end
redis.call('HSET', KEYS[1], 'state', outcome, 'decidedBy', by, 'decidedAt', now, 'nonce', ARGV[6])
if outcome == 'approved' and ARGV[5] ~= '' then
  redis.call('HSET', KEYS[2], ARGV[4], ARGV[5])
  redis.call('ZADD', KEYS[3], now, ARGV[4])
end
return {'won', outcome, by}
`;

// KEYS: the approval hash, the intake's records and moved-at. ARGV: data, expiresAt, keep until,
// request ID, holder ('' for no intake check). Opens the request only while its intake record is
// still announced and held by this receiver, and clears that record in the same step.
const CREATE = `
if redis.call('HGET', KEYS[1], 'data') == ARGV[1] then return 1 end
if ARGV[5] ~= '' then
  local raw = redis.call('HGET', KEYS[2], ARGV[4])
  if not raw then return 0 end
  local ok, r = pcall(cjson.decode, raw)
  if not ok or type(r) ~= 'table' or r.stage ~= 'announced' or r.holder ~= ARGV[5] then return 0 end
  redis.call('HDEL', KEYS[2], ARGV[4])
  redis.call('ZREM', KEYS[3], ARGV[4])
end
redis.call('HSET', KEYS[1], 'state', 'pending', 'data', ARGV[1], 'expiresAt', ARGV[2])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return 1
`;

/** Where the intake keeps its records, for the steps that touch both. */
export interface IntakeKeys {
  recordsKey: string;
  movedKey: string;
}

/** Decided requests stay readable this long after their deadline, for late clicks and support. */
const KEEP_AFTER_EXPIRY_MS = 7 * 24 * 3600 * 1000;

export class ApprovalStore {
  private readonly pending: PendingApprovals;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.pending = new PendingApprovals(redis, prefix);
  }

  private key(id: string): string {
    return `${this.prefix}:approval:${id}`;
  }

  /** A new opaque ID: 96 random bits, nothing a click could guess or forge. */
  static newId(): string {
    return randomBytes(12).toString('hex');
  }

  /** Redis's clock in ms: deadlines are set and checked on it, never on a process's own. */
  async time(): Promise<number> {
    return redisNow(this.redis);
  }

  /**
   * Stores a pending request. With `guard`, only while the request's intake record is still
   * announced and held by `guard.holder`, clearing it in the same step; false otherwise.
   */
  async create(approval: Approval, guard?: { intake: IntakeKeys; holder: string }): Promise<boolean> {
    const data = approvalSchema.parse(approval);
    const created = await this.redis.eval(
      CREATE,
      3,
      this.key(data.id),
      guard?.intake.recordsKey ?? `${this.prefix}:intake`,
      guard?.intake.movedKey ?? `${this.prefix}:intake:moved`,
      JSON.stringify(data),
      String(data.expiresAt),
      String(data.expiresAt + KEEP_AFTER_EXPIRY_MS),
      data.job.requestId,
      guard?.holder ?? '',
    );
    if (Number(created) !== 1) return false;
    await this.pending.add(data.id, data.expiresAt).catch(() => {});
    return true;
  }

  /** Remembers where the request message was posted. */
  async setMessage(id: string, channel: string, ts: string): Promise<void> {
    await this.redis.hset(this.key(id), 'message', JSON.stringify({ channel, ts }));
  }

  /** Up to `max` requests (and fleets) still waiting for a decision, the soonest deadline first. */
  pendingIds(max: number): Promise<string[]> {
    return this.pending.ids(max);
  }

  async get(id: string): Promise<StoredApproval | undefined> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return undefined;
    const h = await this.redis.hgetall(this.key(id));
    if (!h.data || !h.state) return undefined;
    const approval = approvalSchema.parse({ ...JSON.parse(h.data), ...(h.message ? { message: JSON.parse(h.message) } : {}) });
    return {
      approval,
      state: h.state as ApprovalState,
      ...(h.decidedBy ? { decidedBy: h.decidedBy } : {}),
      ...(h.decidedAt ? { decidedAt: Number(h.decidedAt) } : {}),
    };
  }

  /**
   * Moves a pending request to `outcome`, atomically; only the first caller wins. `approved`
   * writes `onApprove.record` into the intake in the same step. `now` defaults to Redis's clock.
   */
  async decide(
    id: string,
    outcome: Outcome,
    user: string,
    now?: number,
    onApprove?: { intake: IntakeKeys; requestId: string; record: string },
    opts: { onlyWhenDue?: boolean } = {},
  ): Promise<DecideResult> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return { kind: 'missing' };
    const nonce = randomBytes(8).toString('hex');
    const [kind, state, by] = (await this.redis.eval(
      DECIDE,
      3,
      this.key(id),
      onApprove?.intake.recordsKey ?? `${this.prefix}:intake`,
      onApprove?.intake.movedKey ?? `${this.prefix}:intake:moved`,
      outcome,
      user,
      now === undefined ? '' : String(now),
      onApprove?.requestId ?? '',
      onApprove?.record ?? '',
      nonce,
      opts.onlyWhenDue ? 'due' : '',
    )) as [string, string, string];
    if (kind === 'missing') return { kind: 'missing' };
    if (kind === 'early') return { kind: 'early', inMs: Number(state) };
    await this.pending.remove(id).catch(() => {});
    return { kind: kind === 'won' ? 'won' : 'lost', state: state as Outcome, by };
  }

  /** Forgets a request whose message could not be posted, so nobody can act on it. */
  async remove(id: string): Promise<void> {
    await this.redis.del(this.key(id));
    await this.pending.remove(id).catch(() => {});
  }
}
