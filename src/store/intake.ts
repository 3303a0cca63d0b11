// Every request from the moment it is acked until it is queued (or opened for approval), so a
// receiver that dies at any point in between leaves a record a worker finishes.
//
// A record moves through stages, each move one Lua step that checks the stage and the holder:
//   received   the request as typed, recorded (and claimed, so a redelivery is a no-op) before the ack
//   resolved   checked and looked up: the job to run exists, with no root message yet
//   announced  the root message is posted (rootTs known)
//   approved   a second person approved; the job only has to be queued
// Refusals withdraw the record before the user is told. A sweep in the workers takes over a
// record whose receiver is gone (its heartbeat key expired) or that has not moved for a while,
// and either finishes it or withdraws it and says it did not run; because every move checks the
// holder, a receiver that wakes after a take-over can do nothing more with it.
import { randomBytes } from 'node:crypto';
import { Heartbeat } from './heartbeat.js';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { ACTION_TYPES, actionBodySchema } from '../domain/catalogue/index.js';
import { actionJobSchema, type ActionJob } from '../domain/job.js';
import { requestOptionsSchema } from '../domain/procedures/options.js';

export const requestSchema = z.object({
  requestId: z.string().min(1),
  userId: z.string().min(1),
  channelId: z.string().min(1),
  action: z.enum(ACTION_TYPES),
  target: z.union([z.object({ kind: z.literal('id'), id: z.number().int().positive() }), z.object({ kind: z.literal('name'), name: z.string().min(1) })]),
  /** The API body the request asks for, parameters checked. */
  body: actionBodySchema,
  /** Keys that pick or shape a procedure (stop, power_on=, snapshot_first=, timeout=). */
  options: requestOptionsSchema.optional(),
  /** Asked from a message (a message shortcut): the request's message goes in that message's thread. */
  threadTs: z.string().regex(/^\d+\.\d+$/).optional(),
});
export type RecordedRequest = z.output<typeof requestSchema>;

const STAGES = ['received', 'resolved', 'announced', 'approved'] as const;
export type IntakeStage = (typeof STAGES)[number];

export const intakeRecordSchema = z.object({
  v: z.literal(2),
  stage: z.enum(STAGES),
  /** Who may move it next: a receiver's instance ID, or a sweeper's after a take-over. */
  holder: z.string().min(1),
  request: requestSchema,
  job: actionJobSchema.extend({ rootTs: z.string() }).optional(),
  /** The job waits for a second person once announced. */
  needsApproval: z.boolean().optional(),
  /** Stage "approved": the line the thread gets, as the approver's receiver wrote it. */
  approvedLine: z.string().optional(),
  /** Stage "received": unique per delivery, so a redelivered command never matches a resent write. */
  nonce: z.string().optional(),
});
export type IntakeRecord = z.output<typeof intakeRecordSchema>;

/** The shape the previous release wrote (announced, then queued): still read for one release. */
const legacyRecordSchema = z.object({ at: z.number(), job: actionJobSchema });

export type ReadRecord =
  | { kind: 'record'; requestId: string; raw: string; record: IntakeRecord; ageMs: number }
  | { kind: 'unreadable'; requestId: string; raw: string; problem: string };

const now = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// Every script below can run twice for one call: ioredis sends a command again after a
// reconnect when its first answer was lost. So each one also answers "yes" when it finds its
// own earlier write, never "someone else got there first".

// KEYS: claim, records, moved-at. ARGV: id, claim ttl (s), record.
const RECEIVE = `${now}
if not redis.call('SET', KEYS[1], now, 'EX', ARGV[2], 'NX') then
  if redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[3] then return 1 end
  return 0
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[3], now, ARGV[1])
return 1`;

// Decodes the record in ARGV[1]'s field, or returns false for anything that is not one.
const decode = `local function record(raw)
  if not raw then return false end
  local ok, r = pcall(cjson.decode, raw)
  if not ok or type(r) ~= 'table' then return false end
  return r
end`;

// KEYS: records, moved-at. ARGV: id, expected stage, expected holder, new record.
const MOVE = `${now}
${decode}
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw == ARGV[4] then return 1 end
local r = record(raw)
if not r or r.stage ~= ARGV[2] or r.holder ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
redis.call('ZADD', KEYS[2], now, ARGV[1])
return 1`;

// KEYS: records, moved-at, tombstone. ARGV: id, expected stage, expected holder. The tombstone
// remembers who withdrew it, so a second run of the same withdrawal still answers yes.
const WITHDRAW = `
${decode}
local r = record(redis.call('HGET', KEYS[1], ARGV[1]))
if not r then return redis.call('GET', KEYS[3]) == ARGV[3] and 1 or 0 end
if r.stage ~= ARGV[2] or r.holder ~= ARGV[3] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SET', KEYS[3], ARGV[3], 'EX', 86400)
return 1`;

// With KEYS[2] the moved-at set and KEYS[3] the holder's heartbeat: the holder still beats and
// moved the record less than `stale` ms ago, so it is still working on it.
const heldByLiveHolder = `local function held_by_live_holder(id, stale)
  local moved = tonumber(redis.call('ZSCORE', KEYS[2], id) or '0')
  return redis.call('EXISTS', KEYS[3]) == 1 and now - moved < tonumber(stale)
end`;

// KEYS: records, moved-at, the holder's heartbeat. ARGV: id, record as read, new record, stale after (ms).
const TAKE_OVER = `${now}
${heldByLiveHolder}
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw == ARGV[3] then return 1 end
if raw ~= ARGV[2] then return 0 end
if held_by_live_holder(ARGV[1], ARGV[4]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[2], now, ARGV[1])
return 1`;

// KEYS: records, moved-at, the holder's heartbeat (or a key that never exists). ARGV: id,
// record as read, stale after (ms). Drops an unreadable record, unless its holder still beats
// and it moved lately (a newer release may be writing records this one cannot read).
const DROP = `${now}
${heldByLiveHolder}
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
if held_by_live_holder(ARGV[1], ARGV[3]) then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1`;

// KEYS: records, moved-at. Returns (id, age in ms) pairs, and forgets ages of records that are gone.
const AGES = `${now}
local out = {}
local all = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
for i = 1, #all, 2 do
  if redis.call('HEXISTS', KEYS[1], all[i]) == 1 then
    out[#out + 1] = all[i]
    out[#out + 1] = tostring(now - tonumber(all[i + 1]))
  else
    redis.call('ZREM', KEYS[2], all[i])
  end
end
return out`;

/** A holder whose heartbeat key is this old is gone, and its records are taken over. */
const HEARTBEAT_TTL_MS = 15_000;

/** A record not moved for this long is taken over even if its receiver still beats. */
export const STALE_AFTER_MS = 2 * 60_000;

export class Intake {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly claimTtlSeconds = 24 * 3600,
  ) {}

  get recordsKey(): string {
    return `${this.prefix}:intake`;
  }
  get movedKey(): string {
    return `${this.prefix}:intake:moved`;
  }
  heartbeatKey(holder: string): string {
    return `${this.prefix}:receiver:${holder}`;
  }

  /** A new holder's sign of life (receivers and sweepers alike); start it before it holds records. */
  heartbeat(onError: (err: Error) => void): Heartbeat {
    return new Heartbeat(this.redis, (id) => this.heartbeatKey(id), HEARTBEAT_TTL_MS, onError);
  }

  /**
   * Claims the request ID and records the request, in one step. False when the ID was claimed
   * before: Slack delivered the same command again, or the form was submitted twice.
   */
  async receive(request: RecordedRequest, holder: string): Promise<boolean> {
    const record: IntakeRecord = { v: 2, stage: 'received', holder, request, nonce: randomBytes(8).toString('hex') };
    const claim = `${this.prefix}:claim:${request.requestId}`;
    return Number(await this.redis.eval(RECEIVE, 3, claim, this.recordsKey, this.movedKey, request.requestId, String(this.claimTtlSeconds), JSON.stringify(record))) === 1;
  }

  /** Moves a record from `from` (held by `holder`) to `next`; false when someone else took it over. */
  async move(requestId: string, from: IntakeStage, holder: string, next: IntakeRecord): Promise<boolean> {
    return Number(await this.redis.eval(MOVE, 2, this.recordsKey, this.movedKey, requestId, from, holder, JSON.stringify(next))) === 1;
  }

  /** Withdraws a record still at `from` and held by `holder`: once this returns true, it never runs. */
  async withdraw(requestId: string, from: IntakeStage, holder: string): Promise<boolean> {
    return Number(await this.redis.eval(WITHDRAW, 3, this.recordsKey, this.movedKey, `${this.prefix}:intake:withdrawn:${requestId}`, requestId, from, holder)) === 1;
  }

  /** Forgets a record whose job is queued (or whose approval request is open). */
  async done(requestId: string): Promise<void> {
    await this.redis.multi().hdel(this.recordsKey, requestId).zrem(this.movedKey, requestId).exec();
  }

  /** Every record, read and checked; the legacy shape comes back as an announced record. */
  async all(): Promise<ReadRecord[]> {
    const [raws, ages] = await Promise.all([this.redis.hgetall(this.recordsKey), this.redis.eval(AGES, 2, this.recordsKey, this.movedKey) as Promise<string[]>]);
    const ageOf = new Map<string, number>();
    for (let i = 0; i < ages.length; i += 2) ageOf.set(ages[i]!, Number(ages[i + 1]));
    return Object.entries(raws).map(([requestId, raw]) => readRecord(requestId, raw, ageOf.get(requestId)));
  }

  /**
   * Takes over a record whose holder is gone (no heartbeat) or that has not moved for
   * `staleAfterMs`, provided nobody changed it since it was read. The record keeps its stage.
   */
  async takeOver(read: Extract<ReadRecord, { kind: 'record' }>, holder: string, staleAfterMs = STALE_AFTER_MS): Promise<IntakeRecord | undefined> {
    const next: IntakeRecord = { ...read.record, holder };
    const taken = Number(
      await this.redis.eval(TAKE_OVER, 3, this.recordsKey, this.movedKey, this.heartbeatKey(read.record.holder), read.requestId, read.raw, JSON.stringify(next), String(staleAfterMs)),
    );
    return taken === 1 ? next : undefined;
  }

  /**
   * Removes a record nobody can read, if it is still the one that was read, and unless the
   * receiver that holds it (when that much can be read) still beats and moved it lately.
   */
  async drop(requestId: string, raw: string, staleAfterMs = STALE_AFTER_MS): Promise<boolean> {
    let holder: string | undefined;
    try {
      const h = (JSON.parse(raw) as { holder?: unknown }).holder;
      if (typeof h === 'string' && h !== '') holder = h;
    } catch {
      // Nothing to read: no holder to wait for.
    }
    const heartbeat = holder ? this.heartbeatKey(holder) : `${this.prefix}:receiver:-none-`;
    return Number(await this.redis.eval(DROP, 3, this.recordsKey, this.movedKey, heartbeat, requestId, raw, String(staleAfterMs))) === 1;
  }
}

/** The request part of an intake record, rebuilt from its job (for records made past the request stage). */
export function requestOf(job: ActionJob): RecordedRequest {
  return { requestId: job.requestId, userId: job.requester, channelId: job.channel, action: job.action, target: { kind: 'id', id: job.droplet.id }, body: job.body };
}

function readRecord(requestId: string, raw: string, ageMs: number | undefined): ReadRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { kind: 'unreadable', requestId, raw, problem: 'not JSON' };
  }
  const current = intakeRecordSchema.safeParse(parsed);
  if (current.success) return { kind: 'record', requestId, raw, record: current.data, ageMs: ageMs ?? Number.POSITIVE_INFINITY };
  const legacy = legacyRecordSchema.safeParse(parsed);
  if (legacy.success) {
    // Written by the previous release after the root message, before the queue; nobody beats for it.
    const { job } = legacy.data;
    return {
      kind: 'record',
      requestId,
      raw,
      record: { v: 2, stage: 'announced', holder: 'previous-release', request: requestOf(job), job },
      ageMs: Math.max(0, Date.now() - legacy.data.at),
    };
  }
  return { kind: 'unreadable', requestId, raw, problem: current.error.issues.map((i) => `${i.path.join('.') || 'record'}: ${i.message}`).join('; ') };
}

/** Where an unreadable record's thread is, when enough of it can be made out to say so there. */
export function threadOf(raw: string): { channel: string; rootTs?: string; user?: string } | undefined {
  try {
    const r = JSON.parse(raw) as { job?: Partial<ActionJob>; request?: { channelId?: unknown; userId?: unknown } };
    const channel = r.job?.channel ?? r.request?.channelId;
    if (typeof channel !== 'string') return undefined;
    const user = r.job?.requester ?? r.request?.userId;
    return { channel, ...(r.job?.rootTs ? { rootTs: r.job.rootTs } : {}), ...(typeof user === 'string' ? { user } : {}) };
  } catch {
    return undefined;
  }
}
