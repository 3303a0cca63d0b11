// Fleet actions end to end: signed commands and button clicks into the real Bolt receiver, a
// real Redis and BullMQ workers, and the Slack and DigitalOcean simulators.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredMessage } from 'droplet-bot-sandbox';
import { roleMapSchema } from '../../src/domain/policy.js';
import { FLEET_ABORT, FLEET_CANCEL, FLEET_RESUME, FLEET_RETRY, FLEET_RUN, FLEET_STOP } from '../../src/slack/renderers/fleet-messages.js';
import { ROLE_MAP, USERS, startHarness, type Harness } from '../support/harness.js';
import { buttonIn, clickButton } from '../support/interactions.js';
import { Redis } from 'ioredis';
import { redisUrl } from '../support/redis.js';
import { ACTION_QUEUE } from '../../src/queue/action-job.js';
import { FleetStore } from '../../src/store/fleets.js';

const WEB_ONLY = 'U0WEBONLY';
const NOTIFY = 'C0NOTIFY01';
let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    env: { NOTIFY_CHANNEL: NOTIFY },
    // A snapshot that keeps its Droplet busy long enough for a fleet's job to wait in its line.
    digitalocean: { durations: { snapshot: 5000 } },
    roleMap: roleMapSchema.parse({
      roles: { ...ROLE_MAP.roles, web: { scopes: ['droplet:update'], droplets: ['web-*'] } },
      members: { ...ROLE_MAP.members, [WEB_ONLY]: ['web'] },
    }),
  });
});
afterAll(async () => {
  await h?.stop();
});

let tagCounter = 0;
/** A fresh tag with `n` fresh Droplets, so tests never share a fleet. */
function fleetOf(n: number, extra: { status?: 'active' | 'off' } = {}) {
  const tag = `fleet-${++tagCounter}`;
  const droplets = Array.from({ length: n }, (_, i) => h.digitalocean.addDroplet({ name: `${tag}-node-${i + 1}`, tags: [tag, 'env:test'], ...extra }));
  return { tag, droplets };
}

/** Sends the command and returns the plan the requester sees. */
async function preview(text: string, user = USERS.admin): Promise<StoredMessage> {
  const res = await h.command(text, user);
  return h.slack.waitFor(() => {
    const said = h.responses(res.responseUrl)[0];
    if (!said) return undefined;
    return (h.slack.workspace.ephemerals({ user }).find((e) => e.text === said.text) ?? { ...said, ts: '0' }) as unknown as StoredMessage;
  });
}

const rootOf = (tag: string) => h.roots().filter((m) => m.text?.includes(`(tag:${tag})`)).at(-1) as unknown as StoredMessage | undefined;
const waitForRoot = (tag: string, status: RegExp, timeoutMs = 20_000) =>
  h.slack.waitFor(() => {
    const root = rootOf(tag);
    return root && status.test(root.text ?? '') ? root : undefined;
  }, timeoutMs);
const tagPosts = (tag: string) => h.digitalocean.requests.filter((r) => r.method === 'POST' && r.path === '/v2/droplets/actions' && r.query?.tag_name === tag);
const dropletPosts = (ids: number[]) => h.digitalocean.requests.filter((r) => r.method === 'POST' && ids.some((id) => r.path === `/v2/droplets/${id}/actions`));

describe('the plan', () => {
  it('lists every Droplet with name, ID, region and status, the rules, and Run / Cancel; nothing runs', async () => {
    const { tag, droplets } = fleetOf(3);
    const plan = await preview(`reboot tag:${tag} batch=2`);
    const text = JSON.stringify(plan.blocks);
    expect(text).toContain('on 3 Droplets matching `tag:' + tag + '`');
    expect(text).toContain('2 at a time · pauses at the first error');
    for (const d of droplets) expect(text).toContain(`*${d.name}* (${d.id}) · \`nyc3\` · active`);
    expect(buttonIn(plan, FLEET_RUN)?.element.text).toMatchObject({ text: 'Run on 3 Droplets' });
    expect(buttonIn(plan, FLEET_CANCEL)).toBeDefined();
    expect(dropletPosts(droplets.map((d) => d.id))).toHaveLength(0);

    // A copy as it was shown: the click replaces the live message.
    const shown = structuredClone(plan);
    const cancelled = await clickButton(h, plan, FLEET_CANCEL, USERS.admin);
    await h.slack.waitFor(() => cancelled.replies().find((r) => r.includes('Cancelled')));
    expect(plan.text).toContain('Cancelled the plan for reboot on 3 Droplets');
    const again = await clickButton(h, shown, FLEET_RUN, USERS.admin);
    expect(await h.slack.waitFor(() => again.replies().find((r) => r.includes('was cancelled')))).toContain('Nothing was done');
    expect(dropletPosts(droplets.map((d) => d.id))).toHaveLength(0);
  });

  it('says so when a selector matches nothing, and when a listed name does not exist', async () => {
    const res = await h.command('reboot tag:no-such-tag');
    expect(await h.slack.waitFor(() => h.responses(res.responseUrl)[0]?.text)).toContain('No Droplet matches `tag:no-such-tag`');
    const glob = await h.command('reboot zz-nothing-*');
    expect(await h.slack.waitFor(() => h.responses(glob.responseUrl)[0]?.text)).toContain('No Droplet matches `zz-nothing-*`');
    const list = await h.command('reboot web-1,web-99');
    expect(await h.slack.waitFor(() => h.responses(list.responseUrl)[0]?.text)).toContain('No Droplet has the name or ID `web-99`');
  });

  it('names the Droplets a scoped role does not cover, and offers no Run button', async () => {
    const plan = await preview('reboot web-1,db-1', WEB_ONLY);
    expect(JSON.stringify(plan.blocks)).toContain('You may not run `reboot` on 1 of these Droplet: *db-1* (3164446)');
    expect(buttonIn(plan, FLEET_RUN)).toBeUndefined();
    // A single request on the uncovered Droplet is refused the same way, with nothing done.
    const res = await h.command('reboot db-1', WEB_ONLY);
    expect(await h.slack.waitFor(() => h.responses(res.responseUrl)[0]?.text)).toContain('on *db-1* (3164446): it needs the `droplet:update` scope on this Droplet');
    expect(h.posts(3164446)).toHaveLength(0);
  });
});

describe('running a fleet', () => {
  it('runs batch by batch, each Droplet once, and reports batches, the summary and one notification', async () => {
    const { tag, droplets } = fleetOf(3);
    const ids = droplets.map((d) => d.id);
    const plan = await preview(`reboot tag:${tag} batch=1`);
    const run = await clickButton(h, plan, FLEET_RUN, USERS.admin);
    await h.slack.waitFor(() => run.replies().find((r) => r.startsWith('Running reboot on 3 Droplets')));
    const root = await waitForRoot(tag, /: finished$/);
    expect(JSON.stringify(root.blocks)).toContain('3/3 completed');
    // One POST per Droplet, and each only after the one before it had ended.
    expect(dropletPosts(ids)).toHaveLength(3);
    const actions = ids.map((id) => h.digitalocean.state.actions.find((a) => a.resource_id === id)!);
    for (let i = 1; i < actions.length; i++) expect(Date.parse(actions[i]!.started_at)).toBeGreaterThanOrEqual(Date.parse(actions[i - 1]!.completed_at!));
    const thread = await h.slack.waitFor(() => {
      const t = h.thread(root.ts).map((m) => m.text ?? '');
      return t.some((l) => l.includes('*finished*')) ? t : undefined;
    });
    expect(thread[0]).toContain('*started* · 3 Droplets, 1 at a time');
    expect(thread.filter((l) => l.includes('*batch '))).toEqual([expect.stringContaining('batch 1 of 3'), expect.stringContaining('batch 2 of 3'), expect.stringContaining('batch 3 of 3')]);
    expect(thread.at(-1)).toMatch(/\*finished\* in .+ · 3\/3 completed/);
    const notes = await h.slack.waitFor(() => {
      const n = h.slack.workspace.channelMessages(NOTIFY).filter((m) => m.text?.includes(`tag:${tag}`));
      return n.length ? n : undefined;
    });
    expect(notes).toHaveLength(1);
    // Each Droplet's part is in its history.
    const history = await h.command(`history ${droplets[0]!.name}`);
    expect(await h.slack.waitFor(() => h.responses(history.responseUrl)[0]?.text)).toMatch(/reboot · \*completed\*/);
  });

  it('freezes the list: a Droplet that left the tag is dropped, one that joined is not added, and the thread says both', async () => {
    const { tag, droplets } = fleetOf(3);
    const plan = await preview(`reboot tag:${tag}`);
    droplets[1]!.tags = ['other'];
    const joined = h.digitalocean.addDroplet({ name: `${tag}-late`, tags: [tag] });
    await clickButton(h, plan, FLEET_RUN, USERS.admin);
    const root = await waitForRoot(tag, /: finished$/);
    expect(dropletPosts([droplets[0]!.id, droplets[2]!.id])).toHaveLength(2);
    expect(dropletPosts([droplets[1]!.id, joined.id])).toHaveLength(0);
    const first = h.thread(root.ts)[0]?.text ?? '';
    expect(first).toContain(`Dropped, because they left the selection after the plan was made: ${droplets[1]!.name}`);
    expect(first).toContain(`Not added, because they joined after the plan was made: ${joined.name}`);
    expect(JSON.stringify(root.blocks)).toContain('2/2 completed · 1 dropped');
  });

  it('sends one POST for a whole tag when the bulk endpoint takes the action, and follows every Droplet', async () => {
    const { tag, droplets } = fleetOf(5);
    const plan = await preview(`power-cycle tag:${tag}`);
    await clickButton(h, plan, FLEET_RUN, USERS.admin);
    const root = await waitForRoot(tag, /: finished$/);
    expect(tagPosts(tag)).toHaveLength(1);
    expect(dropletPosts(droplets.map((d) => d.id))).toHaveLength(0);
    expect(JSON.stringify(root.blocks)).toContain('5/5 completed');
    expect(h.thread(root.ts).map((m) => m.text).join('\n')).toContain('5 actions started by one POST for the whole tag');
  });

  it('never repeats an unanswered bulk POST: it finds the actions it started and follows them', async () => {
    const { tag, droplets } = fleetOf(4);
    h.digitalocean.failNext({ method: 'POST', path: '/v2/droplets/actions' }, { dropConnection: true, afterEffect: true });
    const plan = await preview(`power-cycle tag:${tag}`);
    await clickButton(h, plan, FLEET_RUN, USERS.admin);
    const root = await waitForRoot(tag, /: finished$/);
    expect(tagPosts(tag)).toHaveLength(1);
    expect(dropletPosts(droplets.map((d) => d.id))).toHaveLength(0);
    expect(h.digitalocean.state.actions.filter((a) => droplets.some((d) => d.id === a.resource_id))).toHaveLength(4);
    expect(JSON.stringify(root.blocks)).toContain('4/4 completed');
    expect(h.thread(root.ts).map((m) => m.text).join('\n')).toContain('found after an unanswered POST (it was not sent again)');
  });
});

describe('a bulk POST sent late', () => {
  it('looks at the tag again after a 429, and runs each Droplet on its own when someone joined the tag meanwhile', async () => {
    const { tag, droplets } = fleetOf(3);
    h.digitalocean.failNext({ method: 'POST', path: '/v2/droplets/actions' }, { status: 429, headers: { 'retry-after': '1' } });
    const plan = await preview(`power-cycle tag:${tag}`);
    await clickButton(h, plan, FLEET_RUN, USERS.admin);
    await h.slack.waitFor(() => (tagPosts(tag).length === 1 ? true : undefined), 10_000);
    // DigitalOcean would act on whoever has the tag when the POST lands, this Droplet included.
    const joined = h.digitalocean.addDroplet({ name: `${tag}-late`, tags: [tag] });
    const root = await waitForRoot(tag, /: finished$/);
    expect(tagPosts(tag)).toHaveLength(1);
    expect(dropletPosts(droplets.map((d) => d.id))).toHaveLength(3);
    expect(dropletPosts([joined.id])).toHaveLength(0);
    expect(JSON.stringify(root.blocks)).toContain('3/3 completed');
    expect(h.thread(root.ts).map((m) => m.text).join('\n')).toContain(`Not sent as one request for the tag: tag:${tag} changed since the fleet started (1 joined)`);
  });
});

describe('Stop while a bulk POST waits', () => {
  it('sends nothing for the tag once the fleet is stopped, and Abort then ends it with nothing sent', async () => {
    const { tag, droplets } = fleetOf(3);
    // The step reads the account's newest action just before the POST: hold that answer back, and press Stop meanwhile.
    h.digitalocean.failNext({ method: 'GET', path: '/v2/actions' }, { delayMs: 1500 });
    const before = h.digitalocean.requests.length;
    const plan = await preview(`power-cycle tag:${tag}`);
    const fleetId = String(buttonIn(plan, FLEET_RUN)!.element.value);
    await clickButton(h, plan, FLEET_RUN, USERS.admin);
    await h.slack.waitFor(() => (h.digitalocean.requests.slice(before).some((r) => r.method === 'GET' && r.path === '/v2/actions') ? true : undefined), 10_000);
    const root = rootOf(tag)!;
    // Stop as the running fleet's root message offers it (its edit to "running" comes at the end of this very step).
    const withStop = { ...root, blocks: [...(root.blocks ?? []), { type: 'actions', block_id: 'fleet_controls', elements: [{ type: 'button', action_id: FLEET_STOP, text: { type: 'plain_text', text: 'Stop' }, value: fleetId }] }] } as StoredMessage;
    const stop = await clickButton(h, withStop, FLEET_STOP, USERS.admin);
    expect(await h.slack.waitFor(() => stop.replies()[0])).toContain('Stopped power-cycle on 3 Droplets');
    const paused = await waitForRoot(tag, /: paused$/);
    await clickButton(h, paused, FLEET_ABORT, USERS.admin);
    const done = await waitForRoot(tag, /: aborted$/);
    expect(tagPosts(tag)).toHaveLength(0);
    expect(dropletPosts(droplets.map((d) => d.id))).toHaveLength(0);
    expect(JSON.stringify(done.blocks)).toContain('0/3 completed · 3 skipped');
  });
});

describe('a live fleet without its coordinator', () => {
  it('is picked up by a worker: Retry failed whose receiver stopped before restarting the coordinator still runs', async () => {
    const { tag, droplets } = fleetOf(2);
    h.digitalocean.errorNextAction({ dropletId: droplets[0]!.id });
    const plan = await preview(`reboot tag:${tag}`);
    const fleetId = String(buttonIn(plan, FLEET_RUN)!.element.value);
    await clickButton(h, plan, FLEET_RUN, USERS.admin);
    await waitForRoot(tag, /: finished$/);
    // What the Retry click does in Redis, then nothing more: as if its receiver died before restarting the coordinator.
    const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    try {
      expect(await new FleetStore(redis, h.prefix).retryFailed(fleetId, 'retry:receiver-died')).toEqual({ kind: 'moved', count: 1 });
    } finally {
      redis.disconnect();
    }
    const root = await h.slack.waitFor(() => {
      const r = rootOf(tag);
      return r && /: finished$/.test(r.text ?? '') && JSON.stringify(r.blocks).includes('2/2 completed') ? r : undefined;
    }, 20_000);
    expect(root).toBeDefined();
    expect(dropletPosts([droplets[0]!.id])).toHaveLength(2);
    expect(dropletPosts([droplets[1]!.id])).toHaveLength(1);
  });
});

describe('an unanswered bulk POST that started nothing', () => {
  it('marks every Droplet errored for a person to check, and posts nothing more until Retry failed', async () => {
    const { tag, droplets } = fleetOf(2);
    h.digitalocean.failNext({ method: 'POST', path: '/v2/droplets/actions' }, { dropConnection: true });
    const plan = await preview(`power-cycle tag:${tag}`);
    await clickButton(h, plan, FLEET_RUN, USERS.admin);
    const root = await waitForRoot(tag, /: finished$/);
    expect(tagPosts(tag)).toHaveLength(1);
    expect(dropletPosts(droplets.map((d) => d.id))).toHaveLength(0);
    expect(JSON.stringify(root.blocks)).toContain('0/2 completed · 2 errored');
    const thread = await h.slack.waitFor(() => {
      const t = h.thread(root.ts).map((m) => m.text ?? '').join('\n');
      return t.includes('*finished with errors*') ? t : undefined;
    });
    expect(thread).toContain('one may still have started');
  });
});

describe('the stop rule and the buttons', () => {
  it('pauses at the first error; Retry failed runs it again, Abort skips the rest', async () => {
    const { tag, droplets } = fleetOf(4);
    const ids = droplets.map((d) => d.id);
    h.digitalocean.errorNextAction({ dropletId: droplets[0]!.id });
    const plan = await preview(`reboot tag:${tag} batch=1`);
    await clickButton(h, plan, FLEET_RUN, USERS.admin);
    let root = await waitForRoot(tag, /: paused$/);
    expect(dropletPosts(ids)).toHaveLength(1);
    expect(JSON.stringify(root.blocks)).toContain('0/4 completed · 1 errored · 3 waiting');
    expect(buttonIn(root, FLEET_RESUME)).toBeDefined();
    expect(buttonIn(root, FLEET_ABORT)).toBeDefined();
    const thread = h.thread(root.ts).map((m) => m.text ?? '');
    expect(thread.some((l) => l.includes(`*${droplets[0]!.name}* (${droplets[0]!.id}) errored`) && l.includes('DigitalOcean reports the action as errored'))).toBe(true);

    // Someone without rights on every Droplet cannot press it.
    const refused = await clickButton(h, root, FLEET_RETRY, USERS.nobody);
    expect(await h.slack.waitFor(() => refused.replies()[0])).toContain('Nothing was done');

    await clickButton(h, root, FLEET_RETRY, USERS.admin);
    root = await waitForRoot(tag, /: running$/);
    await h.slack.waitFor(() => (dropletPosts([ids[0]!]).length === 2 ? true : undefined));
    // Stop while it runs: nothing new starts after the running batch.
    await clickButton(h, root, FLEET_STOP, USERS.admin);
    root = await waitForRoot(tag, /: paused$/);
    const postsWhenPaused = dropletPosts(ids).length;
    await clickButton(h, root, FLEET_ABORT, USERS.admin);
    root = await waitForRoot(tag, /: aborted$/);
    expect(dropletPosts(ids)).toHaveLength(postsWhenPaused);
    expect(JSON.stringify(root.blocks)).toMatch(/skipped/);
    const texts = h.thread(root.ts).map((m) => m.text ?? '').join('\n');
    expect(texts).toContain('*retrying 1 failed Droplet*');
    expect(texts).toContain(`*stopped* by <@${USERS.admin}>`);
    expect(texts).toContain('*aborted*');
  });

  it('with max_failures=1 goes on past one error, and Resume goes on after a pause', async () => {
    const { tag, droplets } = fleetOf(3);
    h.digitalocean.errorNextAction({ dropletId: droplets[0]!.id });
    h.digitalocean.errorNextAction({ dropletId: droplets[1]!.id });
    const plan = await preview(`reboot tag:${tag} batch=1 max_failures=1`);
    await clickButton(h, plan, FLEET_RUN, USERS.admin);
    const paused = await waitForRoot(tag, /: paused$/);
    expect(JSON.stringify(paused.blocks)).toContain('0/3 completed · 2 errored · 1 waiting');
    await clickButton(h, paused, FLEET_RESUME, USERS.admin);
    const root = await waitForRoot(tag, /: finished$/);
    expect(JSON.stringify(root.blocks)).toContain('1/3 completed · 2 errored');
    expect(dropletPosts(droplets.map((d) => d.id))).toHaveLength(3);
  });
});

describe('a Droplet whose job is queued behind another request', () => {
  /** Starts a long snapshot on the Droplet, then a fleet whose job for it has to wait in its line. */
  async function fleetBehindSnapshot(n: number) {
    const { tag, droplets } = fleetOf(n);
    const busy = droplets[0]!;
    await h.command(`snapshot ${busy.name}`, USERS.admin);
    await h.slack.waitFor(() => (dropletPosts([busy.id]).length === 1 ? true : undefined));
    const plan = await preview(`reboot tag:${tag} batch=${n}`);
    const fleetId = String(buttonIn(plan, FLEET_RUN)!.element.value);
    await clickButton(h, plan, FLEET_RUN, USERS.admin);
    return { tag, droplets, busy, fleetId };
  }

  it('is skipped, never sent, when the fleet is aborted while it waits', async () => {
    const { tag, droplets, busy } = await fleetBehindSnapshot(2);
    // The other Droplet finishes; this one still waits behind the snapshot.
    let root = await waitForRoot(tag, /: running$/);
    await h.slack.waitFor(() => (JSON.stringify(rootOf(tag)?.blocks).includes('1/2 completed · 1 running') ? true : undefined));
    await clickButton(h, rootOf(tag)!, FLEET_STOP, USERS.admin);
    root = await waitForRoot(tag, /: paused$/);
    await clickButton(h, root, FLEET_ABORT, USERS.admin);
    root = await waitForRoot(tag, /: aborted$/);
    expect(JSON.stringify(root.blocks)).toContain('1/2 completed · 1 skipped');
    // The snapshot's POST only: the fleet's reboot was checked against the fleet at its fence.
    expect(dropletPosts([busy.id])).toHaveLength(1);
    expect(dropletPosts([droplets[1]!.id])).toHaveLength(1);
    expect(h.thread(root.ts).map((m) => m.text ?? '').join('\n')).toContain(`${busy.name} · skipped`);
  });

  it('is marked errored, not left running for ever, when its job ends without reporting (a job this version cannot read)', async () => {
    const { tag, busy, fleetId } = await fleetBehindSnapshot(1);
    // As a rolling deploy might leave it: the job's data in a shape this version cannot read.
    const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    const jobKey = `${h.prefix}:${ACTION_QUEUE}:${fleetId}.${busy.id}.1`;
    try {
      let raw: string | null = null;
      for (let tries = 0; !raw && tries < 200; tries++) {
        raw = await redis.hget(jobKey, 'data');
        if (!raw) await new Promise((r) => setTimeout(r, 25));
      }
      if (!raw) throw new Error(`the fleet's job ${jobKey} never appeared`);
      await redis.hset(jobKey, 'data', JSON.stringify({ ...JSON.parse(raw), action: 'explode' }));
    } finally {
      redis.disconnect();
    }
    const root = await waitForRoot(tag, /: finished$/);
    expect(JSON.stringify(root.blocks)).toContain('0/1 completed · 1 errored');
    const thread = await h.slack.waitFor(() => {
      const t = h.thread(root.ts).map((m) => m.text ?? '').join('\n');
      return t.includes('*finished with errors*') ? t : undefined;
    });
    expect(thread).toContain('without reporting a result');
    expect(dropletPosts([busy.id])).toHaveLength(1);
  });
});
