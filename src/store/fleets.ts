// Fleet runs in Redis: one hash per fleet with the frozen plan, its status, and one field per
// Droplet. Status changes and each Droplet's result are single Lua steps that check what they
// change from, so a late result, a double click or a second coordinator run changes nothing.
import { redisNow } from './redis.js';
import { PendingApprovals } from './pending-approvals.js';
import type { Redis } from 'ioredis';
import { fleetPlanSchema, targetStateSchema, FLEET_STATUSES, type FleetPlan, type FleetStatus, type TargetPhase, type TargetState } from '../domain/fleet/run.js';

/** A plan nobody ran is forgotten after this long; its Run button then says so. */
export const PLAN_TTL_SECONDS = 15 * 60;
const RUN_TTL_SECONDS = 30 * 24 * 3600;

export interface StoredFleet {
  plan: FleetPlan;
  status: FleetStatus;
  states: Map<number, TargetState>;
  rootTs?: string;
  /** The last batch started (0 before the first). */
  batch: number;
  /** Why it is paused, or who stopped it. */
  reason?: string;
  /** Set while a batch is being queued: a rerun checks each of its jobs exists. */
  starting?: number;
  /** Errors someone chose to go on past with Resume. */
  forgiven: number;
  /** How many times Retry failed ran: the coordinator's own changes carry it, so each round's are new. */
  gen: number;
  /** ms of the last progress edit of the root message. */
  rootAt: number;
  /** ms of the last check that each running Droplet's job is alive. */
  reconciledAt: number;
  /** The progress text the root message shows now. */
  shown?: string;
  /** Set when the fleet waits (or waited) for a second person. */
  approval?: FleetApproval;
}

export interface FleetApproval {
  /** Why it needs approval, as the request says it. */
  why: string;
  requestedAt: number;
  /** On Redis's clock: a decision at or after it is an expiry. */
  expiresAt: number;
  /** Where the request with Approve / Deny is. */
  message?: { channel: string; ts: string };
  /** Who approved or denied it ('' for an expiry). */
  decidedBy?: string;
  /** Everything that follows the decision (thread line, request message, audit) was done. */
  closedOut?: boolean;
}

export type FleetDecision = 'accepted' | 'denied' | 'expired';

export type FleetDecideResult =
  | { kind: 'won'; status: FleetDecision; by: string }
  /** Decided before (or never asked): the status it has, and who decided. */
  | { kind: 'lost'; status: FleetStatus; by: string }
  /** An expiry asked before the deadline on Redis's clock: try again in `inMs`. */
  | { kind: 'early'; inMs: number }
  | { kind: 'missing' };

// KEYS: fleet. ARGV: ttl, then field/value pairs, 'plan' first. A second run of the same call
// (the same plan) answers yes again.
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('HGET', KEYS[1], 'plan') == ARGV[3] then return 1 end
  return 0
end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1`;

// The fleets a coordinator must be driving (accepted, running, paused, aborting) are kept in one
// sorted set, scored by when they became live: a worker's sweep starts the coordinator of any that
// has none (a receiver stopped after Run or Approve; a Retry on a fleet whose coordinator had just
// ended). Every status change keeps it right in the same Lua step.
const LIVE = `
local function live(status, id, key)
  if status == 'accepted' or status == 'running' or status == 'paused' or status == 'aborting' then
    local t = redis.call('TIME')
    redis.call('ZADD', key, 'NX', tonumber(t[1]) * 1000, id)
  else
    redis.call('ZREM', key, id)
  end
end
`;

// KEYS: fleet, live set. ARGV: comma-separated statuses it may move from, new status, nonce, ttl,
// fleet ID, then field/value pairs. Every applied nonce is recorded (n:<nonce>), so a call that
// runs twice (ioredis resends after a reconnect) answers yes again and changes nothing, even if
// another change came in between.
const TRANSITION = `${LIVE}
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return -1 end
if redis.call('HEXISTS', KEYS[1], 'n:' .. ARGV[3]) == 1 then return 1 end
if status == ARGV[2] and redis.call('HGET', KEYS[1], 'nonce') == ARGV[3] then return 1 end
local allowed = false
for s in string.gmatch(ARGV[1], '[^,]+') do if s == status then allowed = true end end
if not allowed then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'nonce', ARGV[3], 'n:' .. ARGV[3], '1')
for i = 6, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], ARGV[4])
live(ARGV[2], ARGV[5], KEYS[2])
return 1`;

// KEYS: fleet. ARGV: field, phases it may move from (comma-separated), attempt it must be ('' for
// any), new state JSON. Moves one Droplet's part only from what the caller expects.
const SET_TARGET = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
if raw == ARGV[4] then return 1 end
local ok, t = pcall(cjson.decode, raw)
if not ok or type(t) ~= 'table' then return 0 end
if ARGV[3] ~= '' and tostring(t.attempt) ~= ARGV[3] then return 0 end
local allowed = false
for s in string.gmatch(ARGV[2], '[^,]+') do if s == t.phase then allowed = true end end
if not allowed then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
return 1`;

// KEYS: fleet, live set. ARGV: outcome (accepted, denied or expired), who, nonce, ttl, fleet
// ID, 'due' to make an expiry wait for the deadline. A decision on a fleet awaiting approval, once:
// an approval or denial at or after the deadline (on Redis's clock) is an expiry, and an approval
// marks the fleet accepted in the same step, so a worker's sweep starts it if this process dies.
const DECIDE = `${LIVE}
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing', '', ''} end
if status ~= 'awaiting' then
  local kind = 'lost'
  if redis.call('HGET', KEYS[1], 'nonce') == ARGV[3] then kind = 'won' end
  return {kind, status, redis.call('HGET', KEYS[1], 'decidedBy') or ''}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expiresAt = tonumber(redis.call('HGET', KEYS[1], 'approvalExpiresAt') or '0')
local outcome = ARGV[1]
local by = ARGV[2]
if outcome == 'expired' and ARGV[6] == 'due' and now < expiresAt then return {'early', tostring(expiresAt - now), ''} end
if outcome ~= 'expired' and now >= expiresAt then
  outcome = 'expired'
  by = ''
end
redis.call('HSET', KEYS[1], 'status', outcome, 'nonce', ARGV[3], 'decidedBy', by)
redis.call('EXPIRE', KEYS[1], ARGV[4])
live(outcome, ARGV[5], KEYS[2])
return {'won', outcome, by}`;

// KEYS: fleet, live set. ARGV: nonce, ttl, fleet ID. Retry failed as one step: only from paused
// or finished, every errored Droplet back to waiting with its attempt bumped, and the fleet running
// again, so it cannot interleave with Resume, Abort or a second click; the generation goes up, so
// the coordinator's own changes (pause, finish) of the next round are new changes. Answers how
// many, -1 missing, -2 refused; a resent call answers what the first did.
const RETRY_FAILED = `${LIVE}
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return -1 end
local done = redis.call('HGET', KEYS[1], 'n:' .. ARGV[1])
if done then return tonumber(done) end
if status ~= 'paused' and status ~= 'finished' then return -2 end
local all = redis.call('HGETALL', KEYS[1])
local count = 0
for i = 1, #all, 2 do
  if string.sub(all[i], 1, 2) == 't:' then
    local ok, t = pcall(cjson.decode, all[i + 1])
    if ok and type(t) == 'table' and t.phase == 'errored' then
      redis.call('HSET', KEYS[1], all[i], cjson.encode({phase = 'waiting', attempt = (tonumber(t.attempt) or 1) + 1}))
      count = count + 1
    end
  end
end
redis.call('HSET', KEYS[1], 'status', 'running', 'nonce', ARGV[1], 'n:' .. ARGV[1], tostring(count), 'forgiven', '0', 'reason', '')
redis.call('HINCRBY', KEYS[1], 'gen', 1)
redis.call('EXPIRE', KEYS[1], ARGV[2])
live('running', ARGV[3], KEYS[2])
return count`;

/** The fleet's record is there but this version cannot read it (a deploy changed its shape). */
export class UnreadableFleetError extends Error {
  override name = 'UnreadableFleetError';
}

export class FleetStore {
  private readonly pending: PendingApprovals;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.pending = new PendingApprovals(redis, prefix);
  }

  key(id: string): string {
    return `${this.prefix}:fleet:${id}`;
  }

  /** Fleets a coordinator must be driving. (The key's name is older than its meaning: it once held only accepted fleets.) */
  get liveKey(): string {
    return `${this.prefix}:fleets:accepted`;
  }

  /** Saves a new plan, every Droplet waiting; it lapses unless someone runs it. */
  async create(plan: FleetPlan): Promise<void> {
    const fields: string[] = ['plan', JSON.stringify(plan), 'status', 'planned', 'batch', '0', 'rootAt', '0'];
    for (const t of plan.targets) fields.push(`t:${t.id}`, JSON.stringify({ phase: 'waiting', attempt: 1 } satisfies TargetState));
    if (Number(await this.redis.eval(CREATE, 1, this.key(plan.id), String(PLAN_TTL_SECONDS), ...fields)) !== 1) throw new Error(`fleet ${plan.id} exists already`);
  }

  async read(id: string): Promise<StoredFleet | undefined> {
    const all = await this.redis.hgetall(this.key(id));
    if (!all.plan || !all.status) return undefined;
    try {
      return parseFleet(id, all);
    } catch (err) {
      throw new UnreadableFleetError(`fleet ${id}: ${(err as Error).message}`);
    }
  }

  /**
   * Moves the fleet from one of `from` to `to`, with extra fields, in one step. `nonce` names the
   * call, so a resent command finds its own change. `missing`: the plan lapsed or never existed.
   */
  async transition(id: string, from: readonly FleetStatus[], to: FleetStatus, nonce: string, fields: Record<string, string> = {}): Promise<'moved' | 'refused' | 'missing'> {
    const args = [from.join(','), to, nonce, String(RUN_TTL_SECONDS), id, ...Object.entries(fields).flat()];
    const answer = Number(await this.redis.eval(TRANSITION, 2, this.key(id), this.liveKey, ...args));
    if (answer === 1 && to === 'awaiting' && fields.approvalExpiresAt) await this.pending.add(id, Number(fields.approvalExpiresAt)).catch(() => {});
    return answer === 1 ? 'moved' : answer === -1 ? 'missing' : 'refused';
  }

  /** Moves one Droplet's part from one of `from` (and, when given, from this attempt) to `next`. */
  async setTarget(id: string, dropletId: number, from: readonly TargetPhase[], attempt: number | undefined, next: TargetState): Promise<boolean> {
    return Number(await this.redis.eval(SET_TARGET, 1, this.key(id), `t:${dropletId}`, from.join(','), attempt === undefined ? '' : String(attempt), JSON.stringify(next))) === 1;
  }

  /**
   * Decides a fleet awaiting approval, once: approve (accepted), deny, or expire. `nonce` names
   * the call, so a resent command finds its own win. `onlyWhenDue`: an expiry before the deadline
   * changes nothing and says how long to wait.
   */
  async decide(id: string, outcome: FleetDecision, by: string, nonce: string, opts: { onlyWhenDue?: boolean } = {}): Promise<FleetDecideResult> {
    const [kind, status, who] = (await this.redis.eval(DECIDE, 2, this.key(id), this.liveKey, outcome, by, nonce, String(RUN_TTL_SECONDS), id, opts.onlyWhenDue ? 'due' : '')) as [string, string, string];
    if (kind === 'missing') return { kind: 'missing' };
    if (kind === 'early') return { kind: 'early', inMs: Number(status) };
    await this.pending.remove(id).catch(() => {});
    if (kind === 'won') return { kind: 'won', status: status as FleetDecision, by: who };
    return { kind: 'lost', status: status as FleetStatus, by: who };
  }

  /** Redis's clock in ms: approval deadlines are set and checked on it. */
  async time(): Promise<number> {
    return redisNow(this.redis);
  }

  /** Retry failed, in one step: the number of Droplets set to run again, or why not. */
  async retryFailed(id: string, nonce: string): Promise<{ kind: 'moved'; count: number } | { kind: 'refused' | 'missing' }> {
    const answer = Number(await this.redis.eval(RETRY_FAILED, 2, this.key(id), this.liveKey, nonce, String(RUN_TTL_SECONDS), id));
    return answer >= 0 ? { kind: 'moved', count: answer } : { kind: answer === -1 ? 'missing' : 'refused' };
  }

  /** Plain fields the coordinator alone writes: root, batch, starting, rootAt, shown, reason. */
  async set(id: string, fields: Record<string, string>): Promise<void> {
    await this.redis.hset(this.key(id), fields);
  }

  async unset(id: string, ...fields: string[]): Promise<void> {
    if (fields.length) await this.redis.hdel(this.key(id), ...fields);
  }

  /** Records the root message once; false when another run recorded one first. */
  async setRoot(id: string, ts: string): Promise<boolean> {
    return (await this.redis.hsetnx(this.key(id), 'root', ts)) === 1;
  }

  /** Fleets live (accepted, running, paused or aborting) for at least `olderThanMs`: the sweep checks each has its coordinator. */
  async liveBefore(olderThanMs: number): Promise<string[]> {
    const now = await this.time();
    return this.redis.zrangebyscore(this.liveKey, '-inf', now - olderThanMs);
  }

  /** The fleet's status, or undefined when its record is gone. */
  async statusOf(id: string): Promise<FleetStatus | undefined> {
    return ((await this.redis.hget(this.key(id), 'status')) ?? undefined) as FleetStatus | undefined;
  }

  /** Drops a fleet from the live set (its record expired, or it ended without a coordinator to say so). */
  async forgetLive(id: string): Promise<void> {
    await this.redis.zrem(this.liveKey, id);
  }
}

function parseFleet(id: string, all: Record<string, string>): StoredFleet {
  const plan = fleetPlanSchema.parse(JSON.parse(all.plan!));
  if (!(FLEET_STATUSES as readonly string[]).includes(all.status!)) throw new Error(`fleet ${id} has an unknown status ${all.status}`);
  const states = new Map<number, TargetState>();
  for (const t of plan.targets) {
    const raw = all[`t:${t.id}`];
    states.set(t.id, raw ? targetStateSchema.parse(JSON.parse(raw)) : { phase: 'waiting', attempt: 1 });
  }
  return {
    plan,
    status: all.status as FleetStatus,
    states,
    batch: Number(all.batch ?? 0),
    forgiven: Number(all.forgiven ?? 0),
    gen: Number(all.gen ?? 0),
    rootAt: Number(all.rootAt ?? 0),
    reconciledAt: Number(all.reconciledAt ?? 0),
    ...(all.root ? { rootTs: all.root } : {}),
    ...(all.reason ? { reason: all.reason } : {}),
    ...(all.starting ? { starting: Number(all.starting) } : {}),
    ...(all.shown ? { shown: all.shown } : {}),
    ...(all.approvalExpiresAt
      ? {
          approval: {
            why: all.approvalWhy ?? '',
            requestedAt: Number(all.approvalRequestedAt ?? 0),
            expiresAt: Number(all.approvalExpiresAt),
            ...(all.approvalMessage ? { message: JSON.parse(all.approvalMessage) as { channel: string; ts: string } } : {}),
            ...(all.decidedBy !== undefined ? { decidedBy: all.decidedBy } : {}),
            ...(all.approvalClosed ? { closedOut: true } : {}),
          },
        }
      : {}),
  };
}
