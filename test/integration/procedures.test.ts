// Procedures end to end: graceful stop, resize of a running Droplet, snapshot first. Signed slash
// commands into the real receiver, a real Redis and BullMQ worker, both simulators. A test clock
// (procedure.now) stands in for the minutes a shutdown timeout would take.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleMapSchema } from '../../src/domain/policy.js';
import { APPROVE_ACTION_ID } from '../../src/slack/renderers/approval-messages.js';
import { buttonIn, clickButton } from '../support/interactions.js';
import { Redis } from 'ioredis';
import { AuditLog } from '../../src/store/audit-log.js';
import { redisUrl } from '../support/redis.js';
import { Queue } from 'bullmq';
import { webApi } from '@slack/bolt';
import { ACTION_QUEUE } from '../../src/queue/action-job.js';
import type { ActionJob } from '../../src/domain/job.js';
import { CHANNEL, SECRETS, USERS, sampleJob, startHarness, type Harness } from '../support/harness.js';
import type { StoredMessage } from 'droplet-bot-sandbox';

const U = { admin: USERS.admin, admin2: 'U0ADMIN02', operator: USERS.operator, noSnap: 'U0NOSNAP1' };

function roleMap(extra: Record<string, unknown> = {}) {
  return roleMapSchema.parse({
    roles: {
      operator: ['droplet:update'],
      admin: ['droplet:update', 'droplet:create', 'droplet:admin', 'image:create'],
      // May rebuild, but not take a snapshot.
      rebuilder: ['droplet:update', 'droplet:admin'],
    },
    members: { [U.admin]: ['admin'], [U.admin2]: ['admin'], [U.operator]: ['operator'], [U.noSnap]: ['rebuilder'] },
    ...extra,
  });
}

// Every look costs a call, and the test watcher looks every 100 ms: a budget that this file's
// pace does not reach, so no test waits on another's calls.
const FAST_BUDGET = { digitalocean: { rateLimit: { perMinute: 20_000, perHour: 200_000 } }, env: { DIGITALOCEAN_RATE_PER_MINUTE: '20000', DIGITALOCEAN_RATE_PER_HOUR: '200000' } };

let skew = 0;
const clock = () => Date.now() + skew;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ ...FAST_BUDGET, roleMap: roleMap(), bot: { procedure: { pollMs: 200, now: clock } } });
});
afterAll(async () => {
  await h?.stop();
});

let n = 0;
function droplet(status: 'active' | 'off' = 'active', size = 's-1vcpu-1gb') {
  return h.digitalocean.addDroplet({ name: `proc-${++n}`, status, size_slug: size });
}
const postedTypes = (id: number) => h.posts(id).map((r) => (r.body as { type: string }).type);
const blocks = (m: { blocks?: unknown[] }) => JSON.stringify(m.blocks ?? []);
const threadTexts = (root: { ts: string }) => h.thread(root.ts).map((r) => r.text ?? '');
async function reply(responseUrl: string) {
  return h.slack.waitFor(() => h.responses(responseUrl)[0]?.text, 10_000);
}
async function finalThread(root: { ts: string }) {
  return h.slack.waitFor(() => {
    const texts = threadTexts(root);
    return texts.some((t) => /\*(completed|errored)\*/.test(t)) ? texts : undefined;
  }, 10_000);
}

describe('/droplet stop', () => {
  it('shuts a running Droplet down gracefully and says power_off was not needed', async () => {
    const d = droplet();
    await h.command(`stop ${d.name}`);
    const root = await h.waitForFinal('stop', d.name);
    expect(root.text).toBe(`stop on ${d.name}: completed`);
    expect(postedTypes(d.id)).toEqual(['shutdown']);
    expect(d.status).toBe('off');
    const text = blocks(root);
    expect(text).toContain('will be shut down gracefully; if it still reports itself on after 2 min');
    expect(text).toMatch(/:white_check_mark: Shut down gracefully · done · [^·]+ · action \d+/);
    expect(text).toContain('Power off (still on after the shutdown) · skipped: the Droplet is already off');
    expect(text).toContain('power_off was not needed');
    const thread = await finalThread(root);
    expect(thread.some((t) => /\*Shut down gracefully\* · DigitalOcean action \d+ started/.test(t))).toBe(true);
    expect(thread.at(-1)).toMatch(/\*completed\* · completed in .+ · off: it shut down gracefully; power_off was not needed · <@U0ADMIN01>/);
  });

  it('sends nothing to a Droplet that is already off, and says so', async () => {
    const d = droplet('off');
    const res = await h.command(`stop ${d.name}`);
    expect(await reply(res.responseUrl)).toBe(`*${d.name}* is already off, so nothing was sent.`);
    expect(h.posts(d.id)).toHaveLength(0);
    expect(h.rootFor('stop', d.name)).toBeUndefined();
  });

  it('sends power_off when the shutdown completes but the Droplet still reports itself on after the timeout (api-v2#79)', async () => {
    const d = droplet();
    h.digitalocean.completeWithoutEffect({ dropletId: d.id, type: 'shutdown' });
    await h.command(`stop ${d.name} timeout=10s`);
    // The definite signal: the shutdown action completed and the Droplet is still on.
    await h.slack.waitFor(() => h.digitalocean.state.actions.find((a) => a.resource_id === d.id && a.type === 'shutdown' && a.status === 'completed'), 10_000);
    expect(d.status).toBe('active');
    expect(postedTypes(d.id)).toEqual(['shutdown']);
    skew += 11_000;
    const root = await h.waitForFinal('stop', d.name);
    expect(root.text).toBe(`stop on ${d.name}: completed`);
    expect(postedTypes(d.id)).toEqual(['shutdown', 'power_off']);
    expect(d.status).toBe('off');
    const text = blocks(root);
    expect(text).toContain(':warning: Shut down gracefully · gave way to the next step');
    expect(text).toContain('the Droplet still reports itself on after 10 s');
    expect(text).toContain('the graceful shutdown did not turn it off within 10 s, so power_off was needed');
  });

  it('sends power_off at once when DigitalOcean reports the shutdown as errored', async () => {
    const d = droplet();
    h.digitalocean.errorNextAction({ dropletId: d.id, type: 'shutdown' });
    await h.command(`stop ${d.name}`);
    const root = await h.waitForFinal('stop', d.name);
    expect(root.text).toBe(`stop on ${d.name}: completed`);
    expect(postedTypes(d.id)).toEqual(['shutdown', 'power_off']);
    expect(blocks(root)).toContain('DigitalOcean reports the action as errored');
  });

  it('reports errored when power_off fails too', async () => {
    const d = droplet();
    h.digitalocean.errorNextAction({ dropletId: d.id, type: 'shutdown' });
    h.digitalocean.errorNextAction({ dropletId: d.id, type: 'power_off' });
    await h.command(`stop ${d.name}`);
    const root = await h.waitForFinal('stop', d.name);
    expect(root.text).toBe(`stop on ${d.name}: errored`);
    expect(blocks(root)).toContain('failed at \\"Power off (still on after the shutdown)\\": DigitalOcean reports the action as errored');
  });

  it('waits out rate-limited reads while it waits for the Droplet, instead of giving up on the procedure', async () => {
    const d = droplet();
    // More 429s in a row than a read retries: the read fails while the shutdown is being followed.
    for (let i = 0; i < 6; i++) h.digitalocean.failNext({ method: 'GET', path: /^\/v2\/actions\/\d+$/ }, { status: 429, headers: { 'retry-after': '0' } });
    await h.command(`stop ${d.name}`);
    const root = await h.waitForFinal('stop', d.name);
    expect(root.text).toBe(`stop on ${d.name}: completed`);
    expect(postedTypes(d.id)).toEqual(['shutdown']);
    expect(h.digitalocean.requests.filter((r) => r.method === 'GET' && /^\/v2\/actions\/\d+$/.test(r.path) && r.at >= h.posts(d.id)[0]!.at).length).toBeGreaterThan(6);
  });

  it('refuses a timeout out of bounds with what to type, and sends nothing', async () => {
    const d = droplet();
    const res = await h.command(`stop ${d.name} timeout=5s`);
    expect((res.json as { text: string }).text).toContain('timeout must be a duration from 10s to 30m, such as timeout=2m or timeout=90s, not');
    expect(h.posts(d.id)).toHaveLength(0);
  });

  it('is listed in /droplet help with its key', async () => {
    const res = await h.command('help', U.operator);
    expect(await reply(res.responseUrl)).toContain('`/droplet stop &lt;droplet&gt; [timeout=');
  });

  it('needs droplet:update only: an operator may stop', async () => {
    const d = droplet();
    await h.command(`stop ${d.name}`, U.operator);
    expect((await h.waitForFinal('stop', d.name)).text).toBe(`stop on ${d.name}: completed`);
  });
});

describe('resize of a running Droplet', () => {
  it('stops it, resizes it, powers it on and checks the new size', async () => {
    const d = droplet();
    await h.command(`resize ${d.name} size=s-2vcpu-4gb`);
    const root = await h.waitForFinal('resize', d.name);
    expect(root.text).toBe(`resize on ${d.name}: completed`);
    expect(postedTypes(d.id)).toEqual(['shutdown', 'resize', 'power_on']);
    expect(h.posts(d.id)[1]!.body).toEqual({ type: 'resize', size: 's-2vcpu-4gb' });
    expect(d).toMatchObject({ status: 'active', size_slug: 's-2vcpu-4gb' });
    const text = blocks(root);
    expect(text).toContain(`*${d.name}* is running: it will be shut down, resized to \`s-2vcpu-4gb\` and powered on again`);
    expect(text).toMatch(/Check the new size · done/);
    expect(text).toContain('resized to s-2vcpu-4gb and powered on again; it shut down gracefully; power_off was not needed');
    // Audit and history record each step's action.
    const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    try {
      const entries = (await new AuditLog(redis, h.prefix).forDroplet(d.id, 20)).reverse();
      expect(entries.filter((e) => e.event === 'posted').map((e) => e.action)).toEqual(['shutdown', 'resize', 'power_on']);
      expect(entries.at(-1)).toMatchObject({ event: 'completed', action: 'resize' });
    } finally {
      redis.disconnect();
    }
  });

  it('leaves it off with power_on=false', async () => {
    const d = droplet();
    await h.command(`resize ${d.name} size=s-2vcpu-4gb power_on=false`);
    const root = await h.waitForFinal('resize', d.name);
    expect(root.text).toBe(`resize on ${d.name}: completed`);
    expect(postedTypes(d.id)).toEqual(['shutdown', 'resize']);
    expect(d).toMatchObject({ status: 'off', size_slug: 's-2vcpu-4gb' });
    expect(blocks(root)).toContain('Power on · skipped: power_on=false: left off');
  });

  it('powers it back on and says which step failed when the resize fails', async () => {
    const d = droplet();
    h.digitalocean.errorNextAction({ dropletId: d.id, type: 'resize' });
    await h.command(`resize ${d.name} size=s-2vcpu-4gb`);
    const root = await h.waitForFinal('resize', d.name);
    expect(root.text).toBe(`resize on ${d.name}: errored`);
    expect(postedTypes(d.id)).toEqual(['shutdown', 'resize', 'power_on']);
    expect(d).toMatchObject({ status: 'active', size_slug: 's-1vcpu-1gb' });
    const text = blocks(root);
    expect(text).toContain('failed at \\"Resize\\": DigitalOcean reports the action as errored; it was powered on again');
    expect(text).toContain('Power on · skipped: not run after the failure');
    expect(text).toContain('Power on again after the failure · done');
  });

  it('tries again to power it on when the power-on step fails, and says so', async () => {
    const d = droplet();
    h.digitalocean.errorNextAction({ dropletId: d.id, type: 'power_on' });
    await h.command(`resize ${d.name} size=s-2vcpu-4gb`);
    const root = await h.waitForFinal('resize', d.name);
    expect(root.text).toBe(`resize on ${d.name}: errored`);
    expect(postedTypes(d.id)).toEqual(['shutdown', 'resize', 'power_on', 'power_on']);
    expect(d).toMatchObject({ status: 'active', size_slug: 's-2vcpu-4gb' });
    expect(blocks(root)).toContain('failed at \\"Power on\\": DigitalOcean reports the action as errored; it was powered on again');
  });

  it('reports the failure when the Droplet does not report the new size, and leaves a running Droplet running', async () => {
    const d = droplet();
    // DigitalOcean says the resize completed, yet the Droplet keeps its old size.
    h.digitalocean.completeWithoutEffect({ dropletId: d.id, type: 'resize' });
    await h.command(`resize ${d.name} size=s-2vcpu-4gb`);
    const started = await h.slack.waitFor(() => h.rootFor('resize', d.name), 10_000);
    // The check has started (its clock runs from here): then a minute passes.
    await h.slack.waitFor(() => threadTexts(started).some((t) => t.includes('*Check the new size* · running')) || undefined, 10_000);
    skew += 61_000;
    const root = await h.waitForFinal('resize', d.name);
    expect(root.text).toBe(`resize on ${d.name}: errored`);
    expect(postedTypes(d.id)).toEqual(['shutdown', 'resize', 'power_on']);
    const text = blocks(root);
    expect(text).toContain('failed at \\"Check the new size\\": the Droplet reports size s-1vcpu-1gb, not s-2vcpu-4gb, after 1 min');
    expect(text).toContain('Power on again after the failure · skipped: the Droplet is already on');
  });

  it('powers it back on when DigitalOcean refuses the resize itself, quoting its words', async () => {
    const d = droplet();
    await h.command(`resize ${d.name} size=s-2vcpu-4gb`);
    await h.slack.waitFor(() => (postedTypes(d.id).length === 1 ? true : undefined), 10_000);
    h.digitalocean.failNext({ method: 'POST', path: `/v2/droplets/${d.id}/actions` }, { status: 422, body: { id: 'unprocessable_entity', message: 'This size is <not> available.' } });
    const root = await h.waitForFinal('resize', d.name);
    expect(root.text).toBe(`resize on ${d.name}: errored`);
    expect(postedTypes(d.id)).toEqual(['shutdown', 'resize', 'power_on']);
    expect(h.digitalocean.state.actions.filter((a) => a.resource_id === d.id).map((a) => a.type)).toEqual(['shutdown', 'power_on']);
    expect(d.status).toBe('active');
    expect(blocks(root)).toContain('failed at \\"Resize\\": This size is &lt;not&gt; available.; it was powered on again');
  });

  it('waits out a 422 pending event between steps and sends each step once', async () => {
    const d = droplet();
    await h.command(`resize ${d.name} size=s-2vcpu-4gb`);
    // As the shutdown ends, the next POST (the resize) meets a pending event once.
    await h.slack.waitFor(() => (postedTypes(d.id).length === 1 ? true : undefined), 10_000);
    h.digitalocean.failNext({ method: 'POST', path: `/v2/droplets/${d.id}/actions` }, { status: 422, body: { id: 'unprocessable_entity', message: 'Droplet already has a pending event.' } });
    const root = await h.waitForFinal('resize', d.name);
    expect(root.text).toBe(`resize on ${d.name}: completed`);
    const all = h.digitalocean.requests.filter((r) => r.method === 'POST' && r.path === `/v2/droplets/${d.id}/actions`).map((r) => (r.body as { type: string }).type);
    expect(all).toEqual(['shutdown', 'resize', 'resize', 'power_on']);
    expect(h.digitalocean.state.actions.filter((a) => a.resource_id === d.id && a.type === 'resize')).toHaveLength(1);
  });

  it('is one step, as before, on a Droplet that is off', async () => {
    const d = droplet('off');
    await h.command(`resize ${d.name} size=s-2vcpu-4gb`);
    const root = await h.waitForFinal('resize', d.name);
    expect(root.text).toBe(`resize on ${d.name}: completed`);
    expect(postedTypes(d.id)).toEqual(['resize']);
    expect(blocks(root)).not.toContain('will be shut down');
  });

  it('holds the Droplet for the whole procedure: a reboot asked for meanwhile runs after the power_on', async () => {
    const d = droplet();
    await h.command(`resize ${d.name} size=s-2vcpu-4gb`);
    await h.slack.waitFor(() => (postedTypes(d.id).length === 1 ? true : undefined), 10_000);
    await h.command(`reboot ${d.name}`);
    await h.waitForFinal('resize', d.name);
    await h.waitForFinal('reboot', d.name);
    expect(postedTypes(d.id)).toEqual(['shutdown', 'resize', 'power_on', 'reboot']);
  });
});

describe('snapshot first', () => {
  it('takes a snapshot named for the action and waits for it before a rebuild', async () => {
    const d = droplet();
    await h.command(`rebuild ${d.name} image=ubuntu-24-04-x64 snapshot_first=true`);
    const root = await h.waitForFinal('rebuild', d.name);
    expect(root.text).toBe(`rebuild on ${d.name}: completed`);
    expect(postedTypes(d.id)).toEqual(['snapshot', 'rebuild']);
    const name = (h.posts(d.id)[0]!.body as { name: string }).name;
    expect(name).toMatch(/^before rebuild \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    const snapshot = h.digitalocean.state.images.find((i) => i.name === name)!;
    expect(snapshot).toBeDefined();
    // The rebuild was sent only after the snapshot action ended.
    const snapAction = h.digitalocean.state.actions.find((a) => a.resource_id === d.id && a.type === 'snapshot')!;
    const rebuildPost = h.posts(d.id)[1]!;
    expect(Date.parse(snapAction.completed_at!)).toBeLessThanOrEqual(rebuildPost.at + 1000);
    expect(blocks(root)).toContain(`snapshot \\"${name}\\" taken, then rebuild completed`);
  });

  it('does not run the rebuild when the snapshot fails', async () => {
    const d = droplet();
    h.digitalocean.errorNextAction({ dropletId: d.id, type: 'snapshot' });
    await h.command(`rebuild ${d.name} image=ubuntu-24-04-x64 snapshot_first=true`);
    const root = await h.waitForFinal('rebuild', d.name);
    expect(root.text).toBe(`rebuild on ${d.name}: errored`);
    expect(postedTypes(d.id)).toEqual(['snapshot']);
    expect(blocks(root)).toContain('Rebuild · skipped: not run after the failure');
  });

  it('needs image:create for the snapshot as well', async () => {
    const d = droplet();
    const res = await h.command(`rebuild ${d.name} image=ubuntu-24-04-x64 snapshot_first=true`, U.noSnap);
    expect(await reply(res.responseUrl)).toContain('image:create');
    expect(h.posts(d.id)).toHaveLength(0);
  });
});

describe('a slow Droplet', () => {
  let s: Harness;
  beforeAll(async () => {
    s = await startHarness({ ...FAST_BUDGET, digitalocean: { ...FAST_BUDGET.digitalocean, durations: { shutdown: 2500, power_off: 2500 } }, roleMap: roleMap(), bot: { procedure: { pollMs: 200, now: clock } } });
  });
  afterAll(async () => {
    await s?.stop();
  });
  const types = (id: number) => s.posts(id).map((r) => (r.body as { type: string }).type);

  it('does not time out while the shutdown itself is still running, and sends no power_off once it turned the Droplet off', async () => {
    const d = s.digitalocean.addDroplet({ name: 'slow-1' });
    await s.command('stop slow-1 timeout=10s');
    await s.slack.waitFor(() => s.digitalocean.state.actions.find((a) => a.resource_id === d.id && a.type === 'shutdown'), 10_000);
    // Past the timeout while DigitalOcean still runs the shutdown (its action is in progress).
    skew += 11_000;
    const root = await s.waitForFinal('stop', 'slow-1');
    expect(root.text).toBe('stop on slow-1: completed');
    expect(types(d.id)).toEqual(['shutdown']);
    expect(JSON.stringify(root.blocks)).toContain('power_off was not needed');
  });

  it('never powers on a Droplet that someone else turned off before the procedure began', async () => {
    const d = s.digitalocean.addDroplet({ name: 'slow-2' });
    await s.command('power-off slow-2');
    await s.slack.waitFor(() => (types(d.id).length === 1 ? true : undefined), 10_000);
    // Still reported on while its power_off runs: the resize is planned for a running Droplet.
    expect(d.status).toBe('active');
    await s.command('resize slow-2 size=s-2vcpu-4gb');
    const root = await s.waitForFinal('resize', 'slow-2');
    expect(root.text).toBe('resize on slow-2: completed');
    expect(types(d.id)).toEqual(['power_off', 'resize']);
    expect(d).toMatchObject({ status: 'off', size_slug: 's-2vcpu-4gb' });
    expect(JSON.stringify(root.blocks)).toContain('Power on · skipped: it was already off before this procedure: left off');
  });

  it('fails the step, and says so, when DigitalOcean cannot be read for 30 minutes while it waits', async () => {
    const d = s.digitalocean.addDroplet({ name: 'slow-3' });
    // Every read of an action answers 503 from now on (this harness's last test).
    for (let i = 0; i < 200; i++) s.digitalocean.failNext({ method: 'GET', path: /^\/v2\/actions\/\d+$/ }, { status: 503 });
    await s.command('stop slow-3');
    await s.slack.waitFor(() => s.logs.some((l) => l.includes('DigitalOcean could not be read just now')) || undefined, 15_000);
    skew += 31 * 60_000;
    const root = await s.waitForFinal('stop', 'slow-3');
    expect(JSON.stringify(root.blocks)).toContain('DigitalOcean could not be read for 30 min');
    expect(types(d.id)[0]).toBe('shutdown');
  });
});

describe('safety.snapshot_before and approvals', () => {
  let s: Harness;
  beforeAll(async () => {
    s = await startHarness({
      ...FAST_BUDGET,
      roleMap: roleMap({ safety: { snapshot_before: ['rebuild'] }, approvals: { actions: ['resize'], approvers: ['admin'] } }),
      bot: { procedure: { pollMs: 200 } },
    });
  });
  afterAll(async () => {
    await s?.stop();
  });

  const requestIn = (root: { ts: string }) => s.slack.waitFor(() => (s.thread(root.ts) as StoredMessage[]).find((m) => buttonIn(m, APPROVE_ACTION_ID)), 10_000);

  it('snapshots before a listed action by default', async () => {
    const d = s.digitalocean.addDroplet({ name: 'safe-1' });
    await s.command('rebuild safe-1 image=ubuntu-24-04-x64');
    expect((await s.waitForFinal('rebuild', 'safe-1')).text).toBe('rebuild on safe-1: completed');
    expect(s.posts(d.id).map((r) => (r.body as { type: string }).type)).toEqual(['snapshot', 'rebuild']);
  });

  it('refuses a fleet of a listed action, which would go without its snapshots, with what to type', async () => {
    s.digitalocean.addDroplet({ name: 'safe-f1', tags: ['safe-fleet'] });
    const res = await s.command('rebuild tag:safe-fleet image=ubuntu-24-04-x64');
    const text = await s.slack.waitFor(() => s.responses(res.responseUrl)[0]?.text, 10_000);
    expect(text).toContain("The role map's safety section asks for a snapshot before every `rebuild`, which a fleet does not take");
    expect(s.roots().some((m) => m.text?.includes('safe-fleet'))).toBe(false);
  });

  it('does not send a listed action that reaches the worker without its snapshot step (an older receiver dropped it)', async () => {
    const d = s.digitalocean.addDroplet({ name: 'safe-old' });
    const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    const queue = new Queue<ActionJob>(ACTION_QUEUE, { connection: redis, prefix: s.prefix });
    try {
      const posted = await new webApi.WebClient(SECRETS.botToken, { slackApiUrl: `${s.slack.url}/api/` }).chat.postMessage({ channel: CHANNEL, text: 'rebuild on safe-old: queued' });
      const job = sampleJob({ requestId: 'old-receiver-1', action: 'rebuild', body: { type: 'rebuild', image: 'ubuntu-24-04-x64' }, droplet: { id: d.id, name: d.name }, rootTs: posted.ts! });
      await queue.add('rebuild', job, { jobId: job.requestId, attempts: 3 });
      const line = await s.slack.waitFor(() => s.thread(posted.ts!).find((m) => m.text?.includes('without the snapshot')), 10_000);
      expect(line.text).toContain('so it was not sent. Ask again.');
      expect(s.posts(d.id)).toHaveLength(0);
    } finally {
      await queue.close();
      redis.disconnect();
    }
  });

  it('asks for approval when snapshot_first=false turns the safety off', async () => {
    const d = s.digitalocean.addDroplet({ name: 'safe-2' });
    await s.command('rebuild safe-2 image=ubuntu-24-04-x64 snapshot_first=false');
    const root = await s.slack.waitFor(() => {
      const r = s.rootFor('rebuild', 'safe-2');
      return r?.text?.endsWith(': awaiting approval') ? r : undefined;
    }, 10_000);
    const request = await requestIn(root);
    expect(s.posts(d.id)).toHaveLength(0);
    await clickButton(s, request, APPROVE_ACTION_ID, U.admin2);
    expect((await s.waitForFinal('rebuild', 'safe-2')).text).toBe('rebuild on safe-2: completed');
    expect(s.posts(d.id).map((r) => (r.body as { type: string }).type)).toEqual(['rebuild']);
  });

  it('approves a procedure whole: the request states the downtime plan, and no step asks again', async () => {
    const d = s.digitalocean.addDroplet({ name: 'safe-3' });
    await s.command('resize safe-3 size=s-2vcpu-4gb');
    const root = await s.slack.waitFor(() => {
      const r = s.rootFor('resize', 'safe-3');
      return r?.text?.endsWith(': awaiting approval') ? r : undefined;
    }, 10_000);
    expect(blocks(root)).toContain('*safe-3* is running: it will be shut down, resized to `s-2vcpu-4gb` and powered on again');
    const request = await requestIn(root);
    expect(blocks(request)).toContain('*The plan:* *safe-3* is running: it will be shut down, resized');
    expect(s.posts(d.id)).toHaveLength(0);
    await clickButton(s, request, APPROVE_ACTION_ID, U.admin2);
    const final = await s.waitForFinal('resize', 'safe-3');
    expect(final.text).toBe('resize on safe-3: completed');
    expect(s.posts(d.id).map((r) => (r.body as { type: string }).type)).toEqual(['shutdown', 'resize', 'power_on']);
    // One approval request only.
    expect((s.thread(root.ts) as StoredMessage[]).filter((m) => buttonIn(m, APPROVE_ACTION_ID) || /Approval/.test(m.text ?? '')).length).toBeLessThanOrEqual(1);
  });
});

describe('NOTIFY_CHANNEL', () => {
  it('gets one line for the whole procedure', async () => {
    const notify = 'C0NOTIFY01';
    const w = await startHarness({ ...FAST_BUDGET, roleMap: roleMap(), env: { ...FAST_BUDGET.env, NOTIFY_CHANNEL: notify }, bot: { procedure: { pollMs: 200 } } });
    try {
      const d = w.digitalocean.addDroplet({ name: 'note-1' });
      await w.command('resize note-1 size=s-2vcpu-4gb');
      await w.waitForFinal('resize', 'note-1');
      const lines = await w.slack.waitFor(() => {
        const m = w.slack.workspace.channelMessages(notify);
        return m.length ? m : undefined;
      }, 10_000);
      expect(lines).toHaveLength(1);
      expect(lines[0]!.text).toMatch(/:white_check_mark: \*resize\* on \*note-1\* \(\d+\) completed in .+: resized to s-2vcpu-4gb and powered on again/);
      expect(w.posts(d.id)).toHaveLength(3);
    } finally {
      await w.stop();
    }
  });
});
