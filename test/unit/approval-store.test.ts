// The approval decision is one atomic step in a real Redis: whoever comes first wins, and an
// approval after the deadline turns into the expiry.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApprovalStore, type Approval } from '../../src/store/approvals.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

let redis: Redis;
let store: ApprovalStore;
const prefix = uniquePrefix('approvals');

beforeAll(() => {
  redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  store = new ApprovalStore(redis, prefix);
});
afterAll(async () => {
  redis.disconnect();
  await deleteKeys(prefix);
});

function approval(expiresInMs = 60_000): Approval {
  const now = Date.now();
  return {
    id: ApprovalStore.newId(),
    job: {
      requestId: `req-${Math.random()}`,
      action: 'power_off',
      body: { type: 'power_off' },
      droplet: { id: 42, name: 'web-1' },
      requester: 'U0REQ',
      channel: 'C0OPS',
      rootTs: '1700000000.000100',
      requestedAt: now,
    },
    before: { status: 'active', size: 's-1vcpu-1gb', imageId: 1, image: 'ubuntu-24-04-x64' },
    requestedAt: now,
    expiresAt: now + expiresInMs,
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('ApprovalStore', () => {
  it("decides deadlines on Redis's clock, not on the deciding process's own", async () => {
    const redisNow = await store.time();
    const live = { ...approval(), requestedAt: redisNow, expiresAt: redisNow + 60_000 };
    const lapsed = { ...approval(), id: ApprovalStore.newId(), requestedAt: redisNow - 120_000, expiresAt: redisNow - 1 };
    await store.create(live);
    await store.create(lapsed);
    // This process's clock is an hour fast: by it, both deadlines have passed.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(redisNow + 3_600_000);
    expect(await store.decide(live.id, 'approved', 'U0A')).toEqual({ kind: 'won', state: 'approved', by: 'U0A' });
    // And an hour slow: by it, this one is still open.
    vi.setSystemTime(redisNow - 3_600_000);
    expect(await store.decide(lapsed.id, 'approved', 'U0A')).toEqual({ kind: 'won', state: 'expired', by: '' });
  });

  it('stores under the prefix and reads back what it stored', async () => {
    const a = approval();
    await store.create(a);
    await store.setMessage(a.id, 'C0OPS', '1700000000.000200');
    const got = await store.get(a.id);
    expect(got).toEqual({ approval: { ...a, message: { channel: 'C0OPS', ts: '1700000000.000200' } }, state: 'pending' });
    expect(await redis.exists(`${prefix}:approval:${a.id}`)).toBe(1);
    expect(await redis.pttl(`${prefix}:approval:${a.id}`)).toBeGreaterThan(60_000);
  });

  it('lets exactly one of many simultaneous decisions win', async () => {
    const a = approval();
    await store.create(a);
    const results = await Promise.all([
      store.decide(a.id, 'approved', 'U0A'),
      store.decide(a.id, 'approved', 'U0B'),
      store.decide(a.id, 'expired', ''),
      store.decide(a.id, 'denied', 'U0C'),
      store.decide(a.id, 'approved', 'U0A'),
    ]);
    const winners = results.filter((r) => r.kind === 'won');
    expect(winners).toHaveLength(1);
    const winner = winners[0] as { state: string; by: string };
    for (const r of results.filter((x) => x.kind === 'lost')) expect(r).toEqual({ kind: 'lost', state: winner.state, by: winner.by });
    expect((await store.get(a.id))?.state).toBe(winner.state);
  });

  it('turns an approval after the deadline into the expiry', async () => {
    const a = approval(1000);
    await store.create(a);
    expect(await store.decide(a.id, 'approved', 'U0A', a.expiresAt + 1)).toEqual({ kind: 'won', state: 'expired', by: '' });
    expect(await store.decide(a.id, 'approved', 'U0A')).toEqual({ kind: 'lost', state: 'expired', by: '' });
  });

  it('knows nothing of unknown or malformed IDs', async () => {
    expect(await store.decide('0123456789abcdef01234567', 'approved', 'U0A')).toEqual({ kind: 'missing' });
    expect(await store.get('../../etc')).toBeUndefined();
    expect(await store.decide('a b', 'approved', 'U0A')).toEqual({ kind: 'missing' });
    const a = approval();
    await store.create(a);
    await store.remove(a.id);
    expect(await store.get(a.id)).toBeUndefined();
  });
});
