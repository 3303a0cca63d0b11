// Pending approval requests in Redis, one hash per request under the bot's key prefix. Buttons
// carry only the opaque ID; everything else is read back from here. The decision is one Lua
// script, so two Approve clicks, or an Approve racing the expiry job, have exactly one winner.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { actionJobSchema } from '../queue/action-job.js';
import { dropletStateSchema } from './rules.js';

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
  | { kind: 'missing' };

export interface StoredApproval {
  approval: Approval;
  state: ApprovalState;
  decidedBy?: string;
  decidedAt?: number;
}

// KEYS[1] the approval hash. ARGV: outcome, user, now (ms). An approve or deny that arrives after
// the deadline turns into the expiry, so nothing is approved late even if the expiry job is slow.
const DECIDE = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'missing', '', ''} end
if state ~= 'pending' then return {'lost', state, redis.call('HGET', KEYS[1], 'decidedBy') or ''} end
local outcome = ARGV[1]
local by = ARGV[2]
if outcome ~= 'expired' and tonumber(ARGV[3]) >= tonumber(redis.call('HGET', KEYS[1], 'expiresAt')) then
  outcome = 'expired'
  by = ''
end
redis.call('HSET', KEYS[1], 'state', outcome, 'decidedBy', by, 'decidedAt', ARGV[3])
return {'won', outcome, by}
`;

/** Decided requests stay readable this long after their deadline, for late clicks and support. */
const KEEP_AFTER_EXPIRY_MS = 7 * 24 * 3600 * 1000;

export class ApprovalStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:approval:${id}`;
  }

  /** A new opaque ID: 96 random bits, nothing a click could guess or forge. */
  static newId(): string {
    return randomBytes(12).toString('hex');
  }

  async create(approval: Approval): Promise<void> {
    const data = approvalSchema.parse(approval);
    const key = this.key(data.id);
    const res = await this.redis
      .multi()
      .hset(key, { state: 'pending', data: JSON.stringify(data), expiresAt: String(data.expiresAt) })
      .pexpireat(key, data.expiresAt + KEEP_AFTER_EXPIRY_MS)
      .exec();
    const failed = res?.find(([err]) => err);
    if (!res || failed) throw failed?.[0] ?? new Error('approval write was aborted');
  }

  /** Remembers where the request message was posted. */
  async setMessage(id: string, channel: string, ts: string): Promise<void> {
    await this.redis.hset(this.key(id), 'message', JSON.stringify({ channel, ts }));
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

  /** Moves a pending request to `outcome`, atomically; only the first caller wins. */
  async decide(id: string, outcome: Outcome, user: string, now = Date.now()): Promise<DecideResult> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return { kind: 'missing' };
    const [kind, state, by] = (await this.redis.eval(DECIDE, 1, this.key(id), outcome, user, String(now))) as [string, string, string];
    if (kind === 'missing') return { kind: 'missing' };
    return { kind: kind === 'won' ? 'won' : 'lost', state: state as Outcome, by };
  }

  /** Forgets a request whose message could not be posted, so nobody can act on it. */
  async remove(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }
}
