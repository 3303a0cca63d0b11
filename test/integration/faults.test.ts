// The bot's promises under faults, in-process: one action at a time per Droplet, no double POST
// when an answer is lost, DigitalOcean's 422/429/5xx and slow answers, Slack rate limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { displayName, type ActionType } from '../../src/domain/catalogue/index.js';
import { startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ digitalocean: { durations: { reboot: 400, power_off: 300, shutdown: 300, power_on: 300, power_cycle: 300 } } });
});
afterAll(async () => {
  await h?.stop();
});

const posts = (dropletId: number) => h.posts(dropletId);
const actionsOf = (dropletId: number) => [...h.digitalocean.state.actions.values()].filter((a) => a.resource_id === dropletId);

const rootFor = (action: ActionType, name: string) => h.rootFor(action, name);
const waitForFinal = (action: ActionType, name: string, timeoutMs?: number) => h.waitForFinal(action, name, timeoutMs);

describe('one action at a time per Droplet', () => {
  it('makes later requests wait their turn, in order, with a note, and never hits the pending-event 422', async () => {
    const d = h.digitalocean.addDroplet({ name: 'one-at-a-time' });
    await h.command('reboot one-at-a-time');
    await h.command('power-off one-at-a-time');
    await h.command('power-on one-at-a-time');
    const last = await waitForFinal('power_on', 'one-at-a-time');
    expect(last.text).toBe('power-on on one-at-a-time: completed');
    expect(rootFor('reboot', 'one-at-a-time')?.text).toBe('reboot on one-at-a-time: completed');
    expect(rootFor('power_off', 'one-at-a-time')?.text).toBe('power-off on one-at-a-time: completed');

    // Exactly three POSTs: a 422 "pending event" would have been a fourth.
    const sent = posts(d.id).map((r) => (r.body as { type: string }).type);
    expect(sent).toEqual(['reboot', 'power_off', 'power_on']);
    const actions = actionsOf(d.id).sort((a, b) => a.id - b.id);
    for (let i = 1; i < actions.length; i++) expect(Date.parse(actions[i]!.started_at)).toBeGreaterThanOrEqual(Date.parse(actions[i - 1]!.completed_at!));

    const waiting = h.thread(rootFor('power_off', 'one-at-a-time')!.ts).map((m) => m.text ?? '');
    expect(waiting.some((t) => /waiting for reboot \(asked by <@U0ADMIN01>\) to finish/.test(t))).toBe(true);
  });

  it('waits and retries when DigitalOcean still answers "pending event"', async () => {
    const d = h.digitalocean.addDroplet({ name: 'busy-elsewhere' });
    // Something outside the bot (the control panel, say) is working on this Droplet.
    h.digitalocean.state.droplets.find((x) => x.id === d.id)!.locked = true;
    setTimeout(() => (h.digitalocean.state.droplets.find((x) => x.id === d.id)!.locked = false), 700);
    await h.command('power-cycle busy-elsewhere');
    const root = await waitForFinal('power_cycle', 'busy-elsewhere');
    expect(root.text).toBe('power-cycle on busy-elsewhere: completed');
    expect(posts(d.id).length).toBeGreaterThan(1);
    expect(actionsOf(d.id)).toHaveLength(1);
  });
});

describe('no double execution when DigitalOcean answers badly', () => {
  it('finds the action instead of POSTing again when the connection drops after the request went out', async () => {
    const d = h.digitalocean.addDroplet({ name: 'lost-answer' });
    h.digitalocean.failNext({ method: 'POST', path: `/v2/droplets/${d.id}/actions` }, { afterEffect: true, dropConnection: true });
    await h.command('power-off lost-answer');
    const root = await waitForFinal('power_off', 'lost-answer');
    expect(root.text).toBe('power-off on lost-answer: completed');
    expect(posts(d.id)).toHaveLength(1);
    expect(actionsOf(d.id)).toHaveLength(1);
    expect(h.digitalocean.requests.some((r) => r.method === 'GET' && r.path === `/v2/droplets/${d.id}/actions`)).toBe(true);
  });

  it('finds the action when DigitalOcean answers 500 after starting it', async () => {
    const d = h.digitalocean.addDroplet({ name: 'half-failed' });
    h.digitalocean.failNext({ method: 'POST', path: `/v2/droplets/${d.id}/actions` }, { afterEffect: true, status: 500 });
    await h.command('shutdown half-failed');
    expect((await waitForFinal('shutdown', 'half-failed')).text).toBe('shutdown on half-failed: completed');
    expect(actionsOf(d.id)).toHaveLength(1);
  });

  it('posts again when a 500 started nothing, and runs the action once', async () => {
    const d = h.digitalocean.addDroplet({ name: 'plain-500' });
    h.digitalocean.failNext({ method: 'POST', path: `/v2/droplets/${d.id}/actions` }, { status: 500 });
    await h.command('shutdown plain-500');
    expect((await waitForFinal('shutdown', 'plain-500')).text).toBe('shutdown on plain-500: completed');
    expect(posts(d.id)).toHaveLength(2);
    expect(actionsOf(d.id)).toHaveLength(1);
  });

  it("never takes an earlier request's action for its own after an unanswered POST", async () => {
    const d = h.digitalocean.addDroplet({ name: 'same-type-twice' });
    await h.command('power-cycle same-type-twice');
    await waitForFinal('power_cycle', 'same-type-twice');
    // The second POST never reaches DigitalOcean: its connection drops before an answer.
    h.digitalocean.failNext({ method: 'POST', path: `/v2/droplets/${d.id}/actions` }, { dropConnection: true });
    await h.command('power-cycle same-type-twice');
    await h.slack.waitFor(() => h.roots().filter((m) => m.text === 'power-cycle on same-type-twice: completed').length === 2, 20_000);
    // Two actions ran: the rerun looked for its own action, found only the first request's, and POSTed again.
    expect(actionsOf(d.id)).toHaveLength(2);
    expect(posts(d.id)).toHaveLength(3);
  });

  it('honours retry-after on a 429', async () => {
    const d = h.digitalocean.addDroplet({ name: 'rate-limited' });
    h.digitalocean.failNext({ method: 'POST', path: `/v2/droplets/${d.id}/actions` }, { status: 429, headers: { 'retry-after': '1' } });
    const started = Date.now();
    await h.command('reboot rate-limited');
    expect((await waitForFinal('reboot', 'rate-limited')).text).toBe('reboot on rate-limited: completed');
    const [first, second] = posts(d.id);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(900);
    expect(actionsOf(d.id)).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('rides out slow status reads', async () => {
    const d = h.digitalocean.addDroplet({ name: 'slow-reads' });
    for (let i = 0; i < 3; i++) h.digitalocean.failNext({ method: 'GET', path: /^\/v2\/actions/ }, { delayMs: 600 });
    await h.command('power-off slow-reads');
    expect((await waitForFinal('power_off', 'slow-reads')).text).toBe('power-off on slow-reads: completed');
    expect(posts(d.id)).toHaveLength(1);
  });
});

describe('Slack failures lose nothing', () => {
  it('delivers every status once Slack stops rate-limiting, without holding up the action', async () => {
    const d = h.digitalocean.addDroplet({ name: 'slack-limited' });
    await h.command('power-off slack-limited');
    const root = await h.slack.waitFor(() => rootFor('power_off', 'slack-limited'));
    // From now on Slack refuses the next several thread posts and root updates.
    h.slack.failNext('chat.postMessage', { status: 429, retryAfter: 1, times: 3 });
    h.slack.failNext('chat.update', { error: 'internal_error', times: 2 });
    await h.slack.waitFor(() => actionsOf(d.id)[0]?.status === 'completed', 10_000);
    const done = await waitForFinal('power_off', 'slack-limited');
    expect(done.text).toBe('power-off on slack-limited: completed');
    const thread = await h.slack.waitFor(() => {
      const t = h.thread(root.ts).map((m) => m.text ?? '');
      return t.some((x) => x.includes('*completed*')) ? t : undefined;
    }, 20_000);
    expect(thread.filter((t) => t.includes('*queued*'))).toHaveLength(1);
    expect(thread.filter((t) => t.includes('*in-progress*'))).toHaveLength(1);
    expect(thread.filter((t) => t.includes('*completed*'))).toHaveLength(1);
    expect(thread.findIndex((t) => t.includes('*in-progress*'))).toBeLessThan(thread.findIndex((t) => t.includes('*completed*')));
    // Each 429 paused the outbox for the second Slack asked: no post came sooner after it.
    const posts = h.slack.callsTo('chat.postMessage');
    const limited = posts.filter((c) => c.error === 'ratelimited');
    expect(limited).toHaveLength(3);
    for (const c of limited) expect(posts.find((n) => n.at > c.at)!.at - c.at).toBeGreaterThanOrEqual(900);
  }, 40_000);
});

describe('actions that do not end', () => {
  let g: Harness;
  beforeAll(async () => {
    g = await startHarness({ digitalocean: { durations: { reboot: 60_000, power_off: 300 } }, bot: { watcher: { pollMs: 100, deadlineMs: 1500 } } });
  });
  afterAll(async () => {
    await g?.stop();
  });
  const finalIn = (prefix: string) =>
    g.slack.waitFor(() => {
      const m = g.roots().find((r) => r.text?.startsWith(prefix));
      return m && /: (completed|errored)$/.test(m.text ?? '') ? m : undefined;
    }, 20_000);

  it('stops following an action stuck in progress, says so, and lets the next request on the Droplet run', async () => {
    g.digitalocean.addDroplet({ name: 'stuck' });
    await g.command('reboot stuck');
    await g.command('power-off stuck');
    const stuck = await finalIn('reboot on stuck');
    expect(stuck.text).toBe('reboot on stuck: errored');
    expect(g.thread(stuck.ts).at(-1)?.text).toMatch(/still reports action \d+ as in-progress/);
    // The Droplet's line moved on: the next request asks DigitalOcean (which still says "pending event" and is retried).
    await g.slack.waitFor(() => g.digitalocean.requests.some((r) => r.method === 'POST' && (r.body as { type?: string }).type === 'power_off'), 10_000);
  }, 40_000);

  it('gives up when DigitalOcean keeps refusing the status read (403, three rounds running)', async () => {
    const d = g.digitalocean.addDroplet({ name: 'no-read' });
    for (let i = 0; i < 20; i++) g.digitalocean.failNext({ method: 'GET', path: /^\/v2\/actions/ }, { status: 403, body: { id: 'forbidden', message: 'You are not authorized to perform this operation' } });
    await g.command('power-off no-read');
    const root = await finalIn('power-off on no-read');
    expect(root.text).toBe('power-off on no-read: errored');
    expect(g.thread(root.ts).at(-1)?.text).toContain('You are not authorized to perform this operation');
    expect(g.digitalocean.requests.filter((r) => r.method === 'POST' && r.path === `/v2/droplets/${d.id}/actions`)).toHaveLength(1);
  });
});
