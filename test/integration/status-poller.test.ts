// One status poller per token across processes: several StatusPoller instances (as in several
// worker processes) share one Redis. Jobs park on their actions; one instance lists, saves each
// end and wakes the jobs parked on it, another takes over when the leader dies, and nothing is
// called while nothing is in flight.
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDigitalOceanSimulator, type DigitalOceanSimulator } from 'droplet-bot-sandbox';
import { DigitalOceanClient } from '../../src/digitalocean/client.js';
import { StatusPoller } from '../../src/digitalocean/status-poller.js';
import type { Action } from '../../src/digitalocean/types.js';
import type { DigitalOceanError } from '../../src/digitalocean/errors.js';
import { awaitEnd } from '../../src/worker/await-end.js';
import { SECRETS } from '../support/harness.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';
import { until } from '../support/until.js';

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
  client: DigitalOceanClient;
  reads: number;
  rounds: Array<{ watched: number; calls: number }>;
  /** The job IDs this instance woke, as the leader. */
  woken: string[];
}

function member(tokenId: string, extra: { leaseMs?: number; staleMs?: number } = {}): Member {
  const client = new DigitalOceanClient({ apiUrl: digitalocean.url, token: SECRETS.doToken });
  clients.push(client);
  const m: Member = { reads: 0, rounds: [], woken: [], client, poller: undefined as never };
  m.poller = new StatusPoller({
    redis,
    prefix,
    tokenId,
    client,
    pollMs: 200,
    leaseMs: extra.leaseMs ?? 1500,
    ...(extra.staleMs !== undefined ? { staleMs: extra.staleMs } : {}),
    wake: async (ids) => void m.woken.push(...ids),
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


/** As a job does: park on the action, then read its end once the poller saved it. */
async function parkUntilEnded(m: Member, id: number, jobId = `job-${id}`): Promise<Action | DigitalOceanError> {
  await m.poller.park(id, jobId);
  return until(`the end of action ${id}`, () => m.poller.result(id));
}

describe('the status poller', () => {
  it('lists from one process only, and wakes the jobs parked on every process', async () => {
    const members = [member('t1'), member('t1'), member('t1')];
    await Promise.all(members.map((m) => m.poller.start()));
    try {
      expect(members.filter((m) => m.poller.isLeader)).toHaveLength(1);
      const ids = await reboots(12);
      const listingsBefore = digitalocean.requests.filter((r) => r.method === 'GET' && r.path === '/v2/actions').length;
      const ended = (await Promise.all(ids.map((id, i) => parkUntilEnded(members[i % 3]!, id)))) as Action[];
      expect(ended.map((a) => a.status)).toEqual(ids.map(() => 'completed'));
      expect(ended.map((a) => a.id)).toEqual(ids);
      // Only the leader called DigitalOcean, and one listing per round covered all twelve.
      expect(members.filter((m) => m.reads > 0)).toHaveLength(1);
      const leader = members.find((m) => m.poller.isLeader)!;
      // The busy rounds are over once a round finds nothing left to watch.
      await until('an idle round', () => leader.rounds.at(-1)?.watched === 0);
      expect(leader.woken.sort()).toEqual(ids.map((id) => `job-${id}`).sort());
      const listings = digitalocean.requests.filter((r) => r.method === 'GET' && r.path === '/v2/actions').length - listingsBefore;
      expect(listings).toBe(leader.rounds.filter((r) => r.calls > 0).length);
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

  it('is taken over within a few seconds when the leader dies, and parked jobs still hear', async () => {
    const a = member('t3', { leaseMs: 1000 });
    const b = member('t3', { leaseMs: 1000 });
    await a.poller.start();
    await b.poller.start();
    const [leader, other] = a.poller.isLeader ? [a, b] : [b, a];
    try {
      const ids = await reboots(3);
      const waiting = ids.map((id) => parkUntilEnded(other, id));
      // The leader dies without a word: its timers stop and its lease is left to run out.
      leader.poller.abandon();
      const diedAt = Date.now();
      await until('the other to take the lease', () => other.poller.isLeader, 5000);
      expect(Date.now() - diedAt).toBeLessThan(3000);
      expect(((await Promise.all(waiting)) as Action[]).map((x) => x.status)).toEqual(['completed', 'completed', 'completed']);
      expect(other.reads).toBeGreaterThan(0);
    } finally {
      await Promise.all([a.poller.stop(), b.poller.stop()]);
    }
  });

  it('ignores a malformed saved result, and ends an action DigitalOcean does not know only after three refusals', async () => {
    const m = member('t5');
    await m.poller.start();
    try {
      const [id] = await reboots(1);
      // Another release's shape: it is no result, and it blocks nobody else's.
      await redis.set(`${prefix}:status:v1:t5:ended:999999999`, 'not json');
      expect(await m.poller.result(999999999)).toBeUndefined();
      const waiting = parkUntilEnded(m, id!);
      // An ID DigitalOcean does not know: refused three rounds running, then final.
      const unknown = parkUntilEnded(m, 999999999);
      expect(((await waiting) as Action).status).toBe('completed');
      expect(await unknown).toMatchObject({ status: 404 });
      expect(m.rounds.filter((r) => r.watched > 0).length).toBeGreaterThanOrEqual(3);
    } finally {
      await m.poller.stop();
    }
  });

  it('hears the end of an action that started long before a rerun waits for it, instead of giving up unread', async () => {
    const m = member('t6');
    await m.poller.start();
    const queue = new Queue('poller-late', { connection: redis, prefix });
    try {
      const [id] = await reboots(1);
      await until('the reboot to end', () => digitalocean.state.actions.find((a) => a.id === id && a.status === 'completed'));
      // As a job rerun an hour after its POST would wait for it: past its deadline, nothing saved yet.
      const job = await queue.add('late', {} as never);
      const ended = await awaitEnd(job as never, id!, { type: 'reboot', typicalSeconds: 30, startedAt: Date.now() - 3_600_000 }, { watcher: m.poller, digitalocean: m.client, requests: { promote: async () => {} } });
      expect(ended.status).toBe('completed');
    } finally {
      await queue.close();
      await m.poller.stop();
    }
  });

  it('does not end a wait on a refusal that does not repeat (an auth blip)', async () => {
    const m = member('t7');
    await m.poller.start();
    try {
      const [id] = await reboots(1);
      for (let i = 0; i < 4; i++) digitalocean.failNext({ method: 'GET', path: /^\/v2\/actions/ }, { status: 401, body: { id: 'unauthorized', message: 'Unable to authenticate you' } });
      expect(((await parkUntilEnded(m, id!)) as Action).status).toBe('completed');
    } finally {
      await m.poller.stop();
    }
  });

  it('keeps watching an action a job is parked on, however long the job waits for a slot, and wakes it', async () => {
    // Watches go stale after a second without interest; a parked job shows none until it runs again.
    const m = member('t8', { staleMs: 1000 });
    await m.poller.start();
    try {
      const [id] = await reboots(1);
      await m.poller.park(id!, 'parked-job-1');
      await until('the end to be saved', () => m.woken.length > 0, 10_000);
      expect(m.woken).toEqual(['parked-job-1']);
      expect(await m.poller.result(id!)).toMatchObject({ id, status: 'completed' });
    } finally {
      await m.poller.stop();
    }
  });

  it('gives a job that waits after the action ended its saved result, with no call', async () => {
    const m = member('t4');
    await m.poller.start();
    try {
      const [id] = await reboots(1);
      await parkUntilEnded(m, id!);
      const late = member('t4');
      await late.poller.start();
      expect(await late.poller.result(id!)).toMatchObject({ status: 'completed' });
      expect(late.reads).toBe(0);
      await late.poller.stop();
    } finally {
      await m.poller.stop();
    }
  });

  it('learns how long a kind of action takes, keeps it in Redis across restarts, and then lists sparsely until near the end', async () => {
    // Its own simulator (power cycles of 5 s) and its own prefix, so nothing learned elsewhere counts.
    const sim = await startDigitalOceanSimulator({ token: SECRETS.doToken, timeScale: 1, durations: { power_cycle: 5000 } });
    const own = uniquePrefix('learn');
    const client = new DigitalOceanClient({ apiUrl: sim.url, token: SECRETS.doToken });
    const poller = (pollMs: number) => new StatusPoller({ redis, prefix: own, tokenId: 'tl', client, pollMs, leaseMs: 1000 });
    const cycle = async (n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await client.postAction(sim.addDroplet({ name: `learn-${randomName()}` }).id, { type: 'power_cycle' })).id);
      return out;
    };
    const listingsBetween = (from: number, to: number) => sim.requests.filter((r) => r.method === 'GET' && r.path === '/v2/actions' && r.at >= from && r.at <= to).map((r) => r.at);
    const follow = async (p: StatusPoller, ids: number[]) => {
      const postedAt = Date.now();
      await Promise.all(ids.map((id, i) => p.park(id, `learn-job-${i}`, { type: 'power_cycle', startedAt: postedAt })));
      await until('every cycle to end', async () => (await Promise.all(ids.map((id) => p.result(id)))).every(Boolean), 20_000);
      return { postedAt, endedAt: Date.now() };
    };
    try {
      // Nothing learned yet: a listing every 100 ms while the three cycles run.
      const cold = poller(100);
      await cold.start();
      const first = await follow(cold, await cycle(3));
      const coldListings = listingsBetween(first.postedAt, first.endedAt).length;
      await cold.stop();
      const known = await poller(100).learned();
      expect(known.get('power_cycle|*')).toMatchObject({ n: 3 });
      // And per region, as the listings showed it.
      const region = sim.state.actions.find((a) => a.type === 'power_cycle')!.region_slug;
      expect(known.get(`power_cycle|${region}`)).toMatchObject({ n: 3 });
      expect(known.get('power_cycle|*')!.meanMs).toBeGreaterThanOrEqual(4000);
      expect(known.get('power_cycle|*')!.meanMs).toBeLessThanOrEqual(6000);

      // A new poller (as after a restart) starts from what is in Redis.
      const warm = poller(100);
      await warm.start();
      const second = await follow(warm, await cycle(1));
      const warmListings = listingsBetween(second.postedAt, second.endedAt);
      await warm.stop();
      expect(warmListings.length).toBeLessThan(coldListings / 2);
      // Before the window near the expected end opens (about 4 s in), looks come no closer than the sparse cadence (5 x 100 ms).
      const early = warmListings.filter((at) => at < second.postedAt + 3000);
      for (let i = 1; i < early.length; i++) expect(early[i]! - early[i - 1]!).toBeGreaterThanOrEqual(450);
      expect((await warm.learned()).get('power_cycle|*')).toMatchObject({ n: 4 });
    } finally {
      await client.close();
      await sim.close();
      await deleteKeys(own);
    }
  });

  it('still reads an action older than every listing page while a newer one keeps the leader listing densely', async () => {
    // A reboot of 5 s that no listing page reaches, and a power cycle of 8 s whose learned figures
    // (5 s) make the leader list every 500 ms from 4 s to 8 s: the reboot ends inside that window.
    const sim = await startDigitalOceanSimulator({ token: SECRETS.doToken, timeScale: 1, durations: { power_cycle: 8000, reboot: 5000 } });
    const own = uniquePrefix('old-action');
    const real = new DigitalOceanClient({ apiUrl: sim.url, token: SECRETS.doToken });
    try {
      const old = (await real.postAction(sim.addDroplet({ name: `old-${randomName()}` }).id, { type: 'reboot' })).id;
      // As on a busy account: the old reboot is further back than any page the leader reads.
      const client = {
        listActions: async (perPage: number, page: number) => (await real.listActions(perPage, page)).filter((a) => a.id !== old),
        getAction: (id: number) => real.getAction(id),
      };
      await redis.hset(`${own}:status:v1:durations`, 'power_cycle|*', JSON.stringify({ meanMs: 5000, devMs: 0, n: 5 }));
      // A steady cadence (1 s) slower than the dense one (500 ms), as with the defaults (2 s and 1 s).
      const p = new StatusPoller({ redis, prefix: own, tokenId: 'to', client, pollMs: 1000, leaseMs: 1000 });
      await p.start();
      try {
        const newer = (await real.postAction(sim.addDroplet({ name: `newer-${randomName()}` }).id, { type: 'power_cycle' })).id;
        await p.park(old, 'old-job', { type: 'reboot', startedAt: Date.now() });
        await p.park(newer, 'newer-job', { type: 'power_cycle', startedAt: Date.now() });
        // The old reboot's end is heard while the power cycle is still in progress, in its dense window
        // (when every listing counted as a look at everything, the reboot waited for the cycle to end).
        await until('the old action to be read', () => p.result(old), 20_000);
        expect(sim.state.actions.find((a) => a.id === newer)!.status).toBe('in-progress');
        expect(sim.requests.filter((r) => r.method === 'GET' && r.path === `/v2/actions/${old}`).length).toBeGreaterThan(0);
      } finally {
        await p.stop();
      }
    } finally {
      await real.close();
      await sim.close();
      await deleteKeys(own);
    }
  });
});
