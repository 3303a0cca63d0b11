// Each person's recent requests in Redis: fed from audit entries, never moved back by an entry
// that arrives late, kept to the newest few with nothing left behind, and whose list an entry
// goes in (the requester's, even when an approver wrote it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { AuditEntry } from '../../src/domain/audit.js';
import { RECENT_KEPT, RecentRequests } from '../../src/store/recent-requests.js';
import { requestState } from '../../src/slack/home-model.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

let redis: Redis;
const prefix = uniquePrefix('recent');
beforeAll(() => {
  redis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await deleteKeys(prefix);
  redis.disconnect();
});

const entry = (requestId: string, event: AuditEntry['event'], extra: Partial<AuditEntry> = {}): AuditEntry => ({
  event,
  requestId,
  user: 'U1',
  requester: 'U1',
  action: 'reboot',
  dropletId: 7,
  dropletName: 'web-1',
  channel: 'C1',
  ts: '1.2',
  ...extra,
});

describe('recent requests', () => {
  it('keeps the furthest state of each request, whatever order the entries arrive in', async () => {
    const recent = new RecentRequests(redis, prefix);
    await recent.note(entry('a', 'requested', { message: 'awaiting approval' }));
    expect(requestState((await recent.list('U1'))[0]!).state).toBe('waiting for approval');
    // The worker's start is written before the receiver's approval line: the approval does not move it back.
    await recent.note(entry('a', 'posted', { actionId: 41 }));
    await recent.note(entry('a', 'approved', { user: 'U2' }));
    expect(requestState((await recent.list('U1'))[0]!).state).toBe('in progress (action 41)');
    await recent.note(entry('a', 'completed', { actionId: 41 }));
    expect(requestState((await recent.list('U1'))[0]!)).toEqual({ state: 'completed', phase: 'done' });
    // The approver's list holds nothing of it.
    expect(await recent.list('U2')).toEqual([]);
  });

  it('a procedure’s steps are progress, and only its own end ends it', async () => {
    const recent = new RecentRequests(redis, prefix);
    await recent.note(entry('p', 'posted', { step: 'shutdown', actionId: 1 }));
    await recent.note(entry('p', 'completed', { step: 'shutdown', actionId: 1 }));
    expect(requestState((await recent.list('U1'))[0]!)).toEqual({ state: 'running, step "shutdown" done', phase: 'running' });
    await recent.note(entry('p', 'completed'));
    expect(requestState((await recent.list('U1'))[0]!).phase).toBe('done');
  });

  it('lists newest first, keeps the newest few, and leaves nothing of the rest behind', async () => {
    const recent = new RecentRequests(redis, prefix);
    for (let i = 0; i < RECENT_KEPT + 5; i++) await recent.note(entry(`n${i}`, 'requested', { user: 'U3', requester: 'U3' }));
    const listed = await recent.list('U3', 100);
    expect(listed.map((c) => c.id)).toEqual(Array.from({ length: RECENT_KEPT }, (_, i) => `n${RECENT_KEPT + 4 - i}`));
    expect(await redis.hlen(`${prefix}:recent:U3:cards`)).toBe(RECENT_KEPT);
    expect(await redis.ttl(`${prefix}:recent:U3`)).toBeGreaterThan(0);
  });

  it('puts each Droplet of a fleet under the fleet, once, and nobody’s entries nowhere', async () => {
    const recent = new RecentRequests(redis, prefix);
    for (const id of [1, 2, 3]) await recent.note(entry(`F.${id}.1`, 'posted', { user: 'U4', requester: 'U4', fleetId: 'F', dropletId: id }));
    const listed = await recent.list('U4');
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ kind: 'fleet', id: 'F', channel: 'C1', ts: '1.2' });
    expect(await recent.note(entry('x', 'unreadable', { user: 'unknown', requester: undefined }))).toBeUndefined();
  });
});
