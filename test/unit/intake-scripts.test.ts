// The intake's and the approval store's Lua steps may run twice for one call: ioredis sends a
// command again after a reconnect when its first answer was lost. A second run must give the
// caller the answer the first one would have, never "someone else got there first".
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApprovalStore, type Approval } from '../../src/store/approvals.js';
import { Intake, type IntakeRecord, type RecordedRequest } from '../../src/store/intake.js';
import { FleetStore } from '../../src/store/fleets.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

let redis: Redis;
const prefix = uniquePrefix('scripts');
beforeAll(() => {
  redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  redis.disconnect();
  await deleteKeys(prefix);
});

/** Runs every EVAL twice, as a resend after a reconnect would, and answers with the second reply. */
function resending(): Redis {
  const twice = redis.duplicate();
  const evalOnce = twice.eval.bind(twice) as (...args: unknown[]) => Promise<unknown>;
  (twice as unknown as { eval: (...args: unknown[]) => Promise<unknown> }).eval = async (...args: unknown[]) => {
    await evalOnce(...args);
    return evalOnce(...args);
  };
  return twice;
}

let n = 0;
const request = (): RecordedRequest => ({ requestId: `resend-${++n}`, userId: 'U0A', channelId: 'C0OPS', action: 'reboot', target: { kind: 'name', name: 'web-1' }, body: { type: 'reboot' } });

describe('a resent step answers as the first run would', () => {
  it('receive, move and withdraw', async () => {
    const r = resending();
    try {
      const intake = new Intake(r, prefix);
      const req = request();
      expect(await intake.receive(req, 'r-1')).toBe(true);
      const job = { requestId: req.requestId, action: req.action, body: req.body, droplet: { id: 1, name: 'web-1' }, requester: 'U0A', channel: 'C0OPS', rootTs: '', requestedAt: 1 };
      const next: IntakeRecord = { v: 2, stage: 'resolved', holder: 'r-1', request: req, job };
      expect(await intake.move(req.requestId, 'received', 'r-1', next)).toBe(true);
      expect(await intake.withdraw(req.requestId, 'resolved', 'r-1')).toBe(true);
      // Someone else's withdrawal is still not ours.
      expect(await new Intake(redis, prefix).withdraw(req.requestId, 'resolved', 'r-2')).toBe(false);
    } finally {
      r.disconnect();
    }
  });

  it('a redelivered command is still refused as a repeat', async () => {
    const intake = new Intake(redis, prefix);
    const req = request();
    expect(await intake.receive(req, 'r-1')).toBe(true);
    expect(await intake.receive(req, 'r-1')).toBe(false);
  });

  it('an approval decision and the opening of a request', async () => {
    const r = resending();
    try {
      const store = new ApprovalStore(r, prefix);
      const now = await store.time();
      const a: Approval = {
        id: ApprovalStore.newId(),
        job: { requestId: 'resend-approval', action: 'power_off', body: { type: 'power_off' }, droplet: { id: 2, name: 'db-1' }, requester: 'U0REQ', channel: 'C0OPS', rootTs: '1.2', requestedAt: now },
        before: { status: 'active', size: 's-1vcpu-1gb', imageId: 1, image: 'ubuntu' },
        requestedAt: now,
        expiresAt: now + 60_000,
      };
      expect(await store.create(a)).toBe(true);
      expect(await store.decide(a.id, 'approved', 'U0A')).toEqual({ kind: 'won', state: 'approved', by: 'U0A' });
      // A second click is a second call: it loses.
      expect(await new ApprovalStore(redis, prefix).decide(a.id, 'approved', 'U0A')).toEqual({ kind: 'lost', state: 'approved', by: 'U0A' });
    } finally {
      r.disconnect();
    }
  });
});

describe("a fleet's Lua steps", () => {
  const plan = (id: string) => ({
    id,
    action: 'reboot' as const,
    body: { type: 'reboot' as const },
    selector: { kind: 'tag' as const, tag: 'web' },
    rollout: { batch: { kind: 'count' as const, count: 1 }, maxFailures: 0 },
    requester: 'U0A',
    channel: 'C0OPS',
    createdAt: Date.now(),
    targets: [{ id: 1, name: 'web-1', region: 'nyc3', status: 'active' }],
  });

  it('a status change resent after another change came in answers yes and changes nothing', async () => {
    const fleets = new FleetStore(redis, prefix);
    await fleets.create(plan('flresend1'));
    expect(await fleets.transition('flresend1', ['planned'], 'accepted', 'run:1')).toBe('moved');
    expect(await fleets.transition('flresend1', ['accepted'], 'running', 'begin:1')).toBe('moved');
    expect(await fleets.transition('flresend1', ['running'], 'paused', 'stop:1')).toBe('moved');
    expect(await fleets.transition('flresend1', ['paused'], 'running', 'resume:1')).toBe('moved');
    expect(await fleets.transition('flresend1', ['running'], 'paused', 'stop:2')).toBe('moved');
    // Resume's reply was lost and ioredis sends it again, after the second Stop: it must not undo the Stop.
    expect(await fleets.transition('flresend1', ['paused'], 'running', 'resume:1')).toBe('moved');
    expect((await fleets.read('flresend1'))?.status).toBe('paused');
  });

  it('Retry failed resent answers its first count and retries nothing more', async () => {
    const r = resending();
    try {
      const fleets = new FleetStore(r, prefix);
      await fleets.create(plan('flresend2'));
      await fleets.transition('flresend2', ['planned'], 'accepted', 'run:2');
      await fleets.transition('flresend2', ['accepted'], 'running', 'begin:2');
      await fleets.setTarget('flresend2', 1, ['waiting'], 1, { phase: 'errored', attempt: 1, message: 'boom' });
      await fleets.transition('flresend2', ['running'], 'paused', 'rule:2');
      expect(await fleets.retryFailed('flresend2', 'retry:2')).toEqual({ kind: 'moved', count: 1 });
      const after = await fleets.read('flresend2');
      expect(after?.states.get(1)).toEqual({ phase: 'waiting', attempt: 2 });
      expect(after?.gen).toBe(1);
    } finally {
      r.disconnect();
    }
  });

  it('the live set holds a fleet while a coordinator must drive it, and never after', async () => {
    const fleets = new FleetStore(redis, prefix);
    const live = async () => redis.zrange(fleets.liveKey, '0', '-1');
    await fleets.create(plan('flresend3'));
    expect(await live()).not.toContain('flresend3');
    await fleets.transition('flresend3', ['planned'], 'accepted', 'run:3');
    expect(await live()).toContain('flresend3');
    await fleets.transition('flresend3', ['accepted'], 'running', 'begin:3');
    await fleets.transition('flresend3', ['running'], 'finished', 'finish:0');
    expect(await live()).not.toContain('flresend3');
    await fleets.setTarget('flresend3', 1, ['waiting'], 1, { phase: 'errored', attempt: 1 });
    await fleets.retryFailed('flresend3', 'retry:3');
    expect(await live()).toContain('flresend3');
  });
});
