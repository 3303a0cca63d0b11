// The action watcher against a scripted DigitalOcean: how many status calls it makes, which
// kind, and how soon it notices an action's end.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ActionWatcher, type WatcherOptions } from '../../src/digitalocean/action-watcher.js';
import { DigitalOceanError } from '../../src/digitalocean/errors.js';
import type { Action } from '../../src/digitalocean/types.js';

/** Actions that end at set times, served like GET /v2/actions and GET /v2/actions/{id}. */
class FakeActions {
  readonly ends = new Map<number, number>();
  lists = 0;
  singles: number[] = [];
  /** Ids of other actions on the account, newer than ours. */
  others = 0;
  failLists: DigitalOceanError | undefined;

  add(id: number, endsInMs: number): void {
    this.ends.set(id, performance.now() + endsInMs);
  }

  private view(id: number): Action {
    const done = performance.now() >= (this.ends.get(id) ?? Infinity);
    return { id, status: done ? 'completed' : 'in-progress', type: 'reboot', started_at: '', completed_at: null, resource_id: 1, resource_type: 'droplet', region_slug: 'nyc3' };
  }

  async listActions(perPage = 200): Promise<Action[]> {
    this.lists++;
    if (this.failLists) throw this.failLists;
    const ours = [...this.ends.keys()].sort((a, b) => b - a).map((id) => this.view(id));
    const newer = [...Array(this.others)].map((_, i) => ({ ...this.view(0), id: 1_000_000 + i }));
    return [...newer, ...ours].slice(0, perPage);
  }

  async getAction(id: number): Promise<Action> {
    this.singles.push(id);
    if (!this.ends.has(id)) throw new DigitalOceanError(404, 'not_found', 'The resource you were accessing could not be found.');
    return this.view(id);
  }
}

const FAST: WatcherOptions = { minIntervalMs: 10, maxIntervalMs: 60 };

afterEach(() => {
  vi.useRealTimers();
});

describe('ActionWatcher', () => {
  it('follows 50 actions in flight with one listing per round, and notices each end within an interval', async () => {
    // Fake timers and clocks: the schedule is the watcher's own, whatever else the machine is doing.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
    const fake = new FakeActions();
    const watcher = new ActionWatcher(fake, FAST);
    const seen: number[] = [];
    // Commands arrive over 150 ms, and each action takes 300 ms.
    const follows = [...Array(50)].map(async (_, i) => {
      await new Promise((r) => setTimeout(r, i * 3));
      const id = 100 + i;
      fake.add(id, 300);
      const endsAt = fake.ends.get(id)!;
      const action = await watcher.follow(id, 0.6);
      seen.push(performance.now() - endsAt);
      return action;
    });
    await vi.advanceTimersByTimeAsync(2000);
    const done = await Promise.all(follows);
    vi.useRealTimers();
    expect(done.every((a) => a.status === 'completed')).toBe(true);
    // No single reads at all: every action is in the listing.
    expect(fake.singles).toHaveLength(0);
    // Schedules line up after each listing: about one listing per 60 ms round for ~500 ms,
    // shared by all 50, rather than one per action per round.
    expect(fake.lists).toBeLessThanOrEqual(15);
    // Each end is noticed within one interval.
    expect(Math.max(...seen)).toBeLessThanOrEqual(60);
    expect(watcher.size).toBe(0);
  });

  it('reads one action alone directly, and paces by how long its type usually takes', async () => {
    const fake = new FakeActions();
    const opts: WatcherOptions = { minIntervalMs: 10, maxIntervalMs: 40, maxLongIntervalMs: 400 };
    const short = new ActionWatcher(fake, opts);
    fake.add(1, 800);
    await short.follow(1, 0.4); // usually 400 ms: checked every 40 ms
    const shortReads = fake.singles.length;

    const slow = new FakeActions();
    const long = new ActionWatcher(slow, opts);
    slow.add(2, 800);
    await long.follow(2, 4); // usually 4 s: a tenth of that, 400 ms, between checks
    expect(fake.lists + slow.lists).toBe(0);
    expect(shortReads).toBeGreaterThanOrEqual(12);
    expect(slow.singles.length).toBeLessThanOrEqual(3);
  });

  it('reads actions that have dropped off the listing one by one, and stops listing for them', async () => {
    const fake = new FakeActions();
    fake.others = 200; // a busy account: our two actions are older than the newest 200
    const watcher = new ActionWatcher(fake, FAST);
    fake.add(1, 200);
    fake.add(2, 200);
    await Promise.all([watcher.follow(1, 0.3), watcher.follow(2, 0.3)]);
    // One listing showed they are out of reach; after that only single reads.
    expect(fake.lists).toBe(1);
    expect(fake.singles.length).toBeGreaterThanOrEqual(4);
  });

  it('falls back to single reads when the listing fails, but not when it was rate limited', async () => {
    const fake = new FakeActions();
    fake.failLists = new DigitalOceanError(503, 'service_unavailable', 'Service unavailable');
    const watcher = new ActionWatcher(fake, FAST);
    fake.add(1, 100);
    fake.add(2, 100);
    await Promise.all([watcher.follow(1, 0.2), watcher.follow(2, 0.2)]);
    expect(fake.singles.length).toBeGreaterThanOrEqual(2);

    const limited = new FakeActions();
    limited.failLists = new DigitalOceanError(429, 'too_many_requests', 'API Rate limit exceeded.', undefined, 1000);
    const w2 = new ActionWatcher(limited, FAST);
    limited.add(1, 100);
    limited.add(2, 100);
    const both = Promise.all([w2.follow(1, 0.2), w2.follow(2, 0.2)]);
    // A second rate-limited listing is the signal: by then the watcher has had its chance to fall back.
    while (limited.lists < 2) await new Promise((r) => setTimeout(r, 5));
    expect(limited.lists).toBeGreaterThan(1);
    expect(limited.singles).toHaveLength(0);
    limited.failLists = undefined;
    await both;
  });

  it('rejects a follow whose action does not exist', async () => {
    const fake = new FakeActions();
    const watcher = new ActionWatcher(fake, FAST);
    await expect(watcher.follow(404, 0.1)).rejects.toMatchObject({ status: 404 });
  });
});
