// The last step before a DigitalOcean POST: prove, in one Redis step, that this worker still
// holds the job (and that its gate, say its fleet's status, is open), and mark the job "about to
// POST" in that same step. BullMQ's lock is a token
// in the job's `lock` key; a worker that was frozen (GC pause, VM stall, SIGSTOP) or cut off
// from Redis past its lock keeps running its processor when it wakes, and by then another
// worker may own the job. Such a worker fails this check and drops the job without a word to
// DigitalOcean. What is left is the moment between this step and the request leaving the socket:
// a worker frozen exactly there, past its lock, could still send (DigitalOcean has no
// idempotency key; its "pending event" 422 usually refuses the second).
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { GateClosedError, LostJobError, type Fence, type Gate } from '../worker/fence.js';

export { LostJobError };

// KEYS: the job's lock key, the job's hash, and a gate hash (or the job's hash again). ARGV: our
// lock token, the job's new data (JSON), the gate's field ('' for none), then the closed values.
// Answers 1 when marked, 0 when the lock is lost, or the gate's value when it is closed.
const FENCE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
if ARGV[3] ~= '' then
  local v = redis.call('HGET', KEYS[3], ARGV[3])
  for i = 4, #ARGV do if v == ARGV[i] then return v end end
end
redis.call('HSET', KEYS[2], 'data', ARGV[2])
return 1`;

export class JobFence implements Fence {
  constructor(private readonly redis: Redis) {}

  /** Writes `data` into the job only if `token` still holds its lock; otherwise throws LostJobError. */
  async hold<T>(job: Job<T>, data: T, token: string | undefined, gate?: Gate): Promise<void> {
    const jobKey = `${job.queueQualifiedName}:${job.id}`;
    // BullMQ hands every run its token; a run without one holds no lock and so may not POST.
    if (token === undefined) throw new LostJobError(String(job.id));
    const answer = await this.redis.eval(FENCE, 3, `${jobKey}:lock`, jobKey, gate?.key ?? jobKey, token, JSON.stringify(data), gate?.field ?? '', ...(gate?.closed ?? []));
    if (typeof answer === 'string') throw new GateClosedError(answer);
    if (Number(answer) !== 1) throw new LostJobError(String(job.id));
    job.data = data;
  }
}
