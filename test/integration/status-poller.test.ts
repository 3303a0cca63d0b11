// One status poller per token across processes: several StatusPoller instances (as in several
// worker processes) share one Redis; one of them lists, every follower hears its action's end,
// another takes over when the leader dies, and nothing is called while nothing is in flight.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDigitalOceanSimulator, type DigitalOceanSimulator } from 'droplet-bot-sandbox';
import { DigitalOceanClient } from '../../src/digitalocean/client.js';
import { StatusPoller } from '../../src/digitalocean/status-poller.js';
import { SECRETS } from '../support/harness.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

let digitalocean: DigitalOceanSimulator;
let redis: Redis;
const prefix = uniquePrefix('poller');
const clients: DigitalOceanClient[] = [];

beforeAll(async () => {
  digitalocean = await startDigitalOceanSimulator({ token: SECRETS.doToken, timeScale: 1, durations: { reboot: 1500 } });
  redis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  redis?.disconnect();
  await digitalocean?.close();
  await deleteKeys(prefix);
});

interface Member {
  poller: StatusPoller;
  reads: number;
  rounds: Array<{ watched: number; calls: number }>;
}

function member(tokenId: string, extra: { leaseMs?: number; staleMs?: number; wake?: (ids: string[]) => Promise<void> } = {}): Member {
  const client = new DigitalOceanClient({ apiUrl: digitalocean.url, token: SECRETS.doToken });
  clients.push(client);
  const m: Member = { reads: 0, rounds: [], poller: undefined as never };
  m.poller = new StatusPoller({
    redis,
    prefix,
    tokenId,
    client,
    pollMs: 200,
    leaseMs: extra.leaseMs ?? 1500,
    ...(extra.staleMs !== undefined ? { staleMs: extra.staleMs } : {}),
    ...(extra.wake ? { wake: extra.wake } : {}),
    onRead: (_kind, n) => (m.reads += n),
    onRound: (r) => m.rounds.push(r),
  });
  return m;
}

async function reboots(n: number): Promise<number[]> {
  const client = new DigitalOceanClient({ apiUrl: digitalocean.url, token: SECRETS.doToken });
  clients.push(client);
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = digitalocean.addDroplet({ name: `poll-${randomName()}` });
    ids.push((await client.postAction(d.id, { type: 'reboot' })).id);
  }
  return ids;
}
let counter = 0;
const randomName = () => `${Date.now().toString(36)}-${++counter}`;

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the status poller', () => {
  it('lists from one process only, and every process hears of its own actions ending', async () => {
    const members = [member('t1'), member('t1'), member('t1')];
    await Promise.all(members.map((m) => m.poller.start()));
    try {
      expect(members.filter((m) => m.poller.isLeader)).toHaveLength(1);
      const ids = await reboots(12);
      const listingsBefore = digitalocean.requests.filter((r) => r.method === 'GET' && r.path === '/v2/actions').length;
      const ended = await Promise.all(ids.map((id, i) => members[i % 3]!.poller.follow(id, 30)));
      expect(ended.map((a) => a.status)).toEqual(ids.map(() => 'completed'));
      expect(ended.map((a) => a.id)).toEqual(ids);
      // Only the leader called DigitalOcean, and one listing per round covered all twelve.
      expect(members.filter((m) => m.reads > 0)).toHaveLength(1);
      const leader = members.find((m) => m.poller.isLeader)!;
      // The busy rounds are over once a round finds nothing left to watch.
      await until('an idle round', () => leader.rounds.at(-1)?.watched === 0);
      const listings = digitalocean.requests.filter((r) => r.method === 'GET' && r.path === '/v2/actions').length - listingsBefore;
      expect(listings).toBe(leader.rounds.filter((r) => r.watched > 0).length);
      expect(digitalocean.requests.filter((r) => r.method === 'GET' && /^\/v2\/actions\/\d+$/.test(r.path))).toHaveLength(0);
    } finally {
      await Promise.all(members.map((m) => m.poller.stop()));
    }
  });

  it('makes no call at all while nothing is in flight', async () => {
    const m = member('t2');
    await m.poller.start();
    try {
      const before = digitalocean.requests.length;
      // The definite signal: five leader rounds have run, each finding nothing to watch.
      await until('five idle rounds', () => m.rounds.length >= 5);
      expect(m.rounds.every((r) => r.watched === 0 && r.calls === 0)).toBe(true);
      expect(digitalocean.requests.length).toBe(before);
      expect(m.reads).toBe(0);
    } finally {
      await m.poller.stop();
    }
  });

  it('is taken over within a few seconds when the leader dies, and the followers still hear', async () => {
    const a = member('t3', { leaseMs: 1000 });
    const b = member('t3', { leaseMs: 1000 });
    await a.poller.start();
    await b.poller.start();
    const [leader, other] = a.poller.isLeader ? [a, b] : [b, a];
    try {
      const ids = await reboots(3);
      const waiting = ids.map((id) => other.poller.follow(id, 30));
      // The leader dies without a word: its timers stop and its lease is left to run out.
      leader.poller.abandon();
      const diedAt = Date.now();
      await until('the other to take the lease', () => other.poller.isLeader, 5000);
      expect(Date.now() - diedAt).toBeLessThan(3000);
      expect((await Promise.all(waiting)).map((x) => x.status)).toEqual(['completed', 'completed', 'completed']);
      expect(other.reads).toBeGreaterThan(0);
    } finally {
      await Promise.all([a.poller.stop(), b.poller.stop()]);
    }
  });

  it('ignores a malformed message or saved result, and still tells every follower', async () => {
    const m = member('t5');
    await m.poller.start();
    try {
      const [id] = await reboots(1);
      const base = `${prefix}:status:v1:t5`;
      // Another release's shape, or a stray publisher: neither may crash a worker or block a result.
      await redis.set(`${base}:ended:999999999`, 'not json');
      await redis.publish(`${base}:ended`, 'not json');
      await redis.publish(`${base}:ended`, JSON.stringify({ id }));
      const waiting = m.poller.follow(id!, 30);
      // An ID DigitalOcean does not know: refused three rounds running, then final.
      const unknown = m.poller.follow(999999999, 30).catch((err: Error) => err);
      expect((await waiting).status).toBe('completed');
      expect(await unknown).toMatchObject({ status: 404 });
    } finally {
      await m.poller.stop();
    }
  });

  it('hears the end of an action that started long before a rerun follows it, instead of giving up unread', async () => {
    const m = member('t6');
    await m.poller.start();
    try {
      const [id] = await reboots(1);
      await until('the reboot to end', () => digitalocean.state.actions.find((a) => a.id === id && a.status === 'completed'));
      // As a job rerun an hour after its POST would follow it.
      const ended = await m.poller.follow(id!, 30, undefined, Date.now() - 3_600_000);
      expect(ended.status).toBe('completed');
    } finally {
      await m.poller.stop();
    }
  });

  it('does not end a follow on a refusal that does not repeat (an auth blip)', async () => {
    const m = member('t7');
    await m.poller.start();
    try {
      const [id] = await reboots(1);
      for (let i = 0; i < 4; i++) digitalocean.failNext({ method: 'GET', path: /^\/v2\/actions/ }, { status: 401, body: { id: 'unauthorized', message: 'Unable to authenticate you' } });
      expect((await m.poller.follow(id!, 30)).status).toBe('completed');
    } finally {
      await m.poller.stop();
    }
  });

  it('keeps watching an action a job is parked on, however long the job waits for a slot, and wakes it', async () => {
    const woken: string[] = [];
    // Watches go stale after a second without interest; a parked job shows none until it runs again.
    const m = member('t8', { staleMs: 1000, wake: async (ids) => void woken.push(...ids) });
    await m.poller.start();
    try {
      const [id] = await reboots(1);
      await m.poller.park(id!, 'parked-job-1');
      await until('the end to be saved', () => woken.length > 0, 10_000);
      expect(woken).toEqual(['parked-job-1']);
      expect(await m.poller.result(id!)).toMatchObject({ id, status: 'completed' });
    } finally {
      await m.poller.stop();
    }
  });

  it('tells a follower that starts after the action ended, from the saved result', async () => {
    const m = member('t4');
    await m.poller.start();
    try {
      const [id] = await reboots(1);
      await m.poller.follow(id!, 30);
      const late = member('t4');
      await late.poller.start();
      expect((await late.poller.follow(id!, 30)).status).toBe('completed');
      expect(late.reads).toBe(0);
      await late.poller.stop();
    } finally {
      await m.poller.stop();
    }
  });
});
