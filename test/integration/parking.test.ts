// Following an action holds no worker slot: once its action ID is saved, a job parks (delayed)
// and the status poller starts it again the moment the action ends. With one slot, a second
// request is sent while the first action still runs.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { WORKER_CONCURRENCY: '1' }, digitalocean: { durations: { reboot: 3000 } } });
});
afterAll(async () => {
  await h?.stop();
});

it('sends a second request while the first action still runs, with one worker slot, and ends both once', async () => {
  const a = h.digitalocean.addDroplet({ name: 'park-a' });
  const b = h.digitalocean.addDroplet({ name: 'park-b' });
  await h.command('reboot park-a');
  // The first job is parked, its slot free, while DigitalOcean reboots.
  const parked = await waitForState(a.id, 'delayed');
  expect(parked).toEqual(['delayed']);
  await h.command('reboot park-b');
  await h.slack.waitFor(() => (h.posts(b.id).length === 1 ? true : undefined), 10_000);
  const first = h.digitalocean.state.actions.find((x) => x.resource_id === a.id)!;
  expect(first.status).toBe('in-progress');
  expect((await h.waitForFinal('reboot', 'park-a')).text).toBe('reboot on park-a: completed');
  expect((await h.waitForFinal('reboot', 'park-b')).text).toBe('reboot on park-b: completed');
  expect(h.posts(a.id)).toHaveLength(1);
  expect(h.posts(b.id)).toHaveLength(1);
});

async function waitForState(dropletId: number, state: string): Promise<string[]> {
  const end = Date.now() + 10_000;
  for (;;) {
    const { jobs } = await h.pending(dropletId);
    if (jobs.length === 1 && jobs[0] === state) return jobs;
    if (Date.now() > end) throw new Error(`job never ${state}: ${jobs.join(', ')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
