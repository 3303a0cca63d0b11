// Fleets that need a second person: signed commands and clicks into the real Bolt receiver, a real
// Redis (one atomic decision per fleet, BullMQ expiry jobs) and the Slack and DigitalOcean simulators.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { StoredMessage } from 'droplet-bot-sandbox';
import { roleMapSchema } from '../../src/domain/policy.js';
import { FleetStore } from '../../src/store/fleets.js';
import { FLEET_APPROVE, FLEET_DENY, FLEET_RUN } from '../../src/slack/renderers/fleet-messages.js';
import { CHANNEL, auditEvents, startHarness, type Harness } from '../support/harness.js';
import { buttonIn, clickButton } from '../support/interactions.js';
import { redisUrl } from '../support/redis.js';

const U = { requester: 'U0FLREQ01', admin: 'U0FLADM01', webAdmin: 'U0FLWEB01', operator: 'U0FLOPS01', nobody: 'U0NOBODY1' };

function roleMap(extra: Record<string, unknown> = {}) {
  return roleMapSchema.parse({
    roles: {
      operator: ['droplet:update'],
      admin: ['droplet:update', 'droplet:create', 'droplet:admin', 'image:create'],
      // An approver whose rights stop at web-*: it may not approve a fleet that reaches further.
      'web-admin': { scopes: ['droplet:update', 'droplet:admin'], droplets: ['web-*'] },
    },
    members: { [U.requester]: ['admin'], [U.admin]: ['admin'], [U.webAdmin]: ['web-admin'], [U.operator]: ['operator'] },
    approvals: { actions: ['rebuild'], approvers: ['admin', 'web-admin'], expires_after: '30m', fleet_min: 3, ...extra },
  });
}

let tagCounter = 0;
function fleetOf(h: Harness, n: number) {
  const tag = `appr-fleet-${++tagCounter}`;
  return { tag, droplets: Array.from({ length: n }, (_, i) => h.digitalocean.addDroplet({ name: `${tag}-node-${i + 1}`, tags: [tag] })) };
}

async function preview(h: Harness, text: string, user: string): Promise<StoredMessage> {
  const res = await h.command(text, user);
  return h.slack.waitFor(() => {
    const said = h.responses(res.responseUrl)[0];
    if (!said) return undefined;
    return (h.slack.workspace.ephemerals({ user }).find((e) => e.text === said.text) ?? { ...said, ts: '0' }) as unknown as StoredMessage;
  });
}

const rootOf = (h: Harness, selector: string) => h.roots().filter((m) => m.text?.includes(`(${selector})`)).at(-1) as unknown as StoredMessage | undefined;
const waitForRoot = (h: Harness, selector: string, status: RegExp) =>
  h.slack.waitFor(() => {
    const root = rootOf(h, selector);
    return root && status.test(root.text ?? '') ? root : undefined;
  }, 20_000);
const dropletPosts = (h: Harness, ids: number[]) => h.digitalocean.requests.filter((r) => r.method === 'POST' && ids.some((id) => r.path === `/v2/droplets/${id}/actions`));
const threadText = (h: Harness, root: StoredMessage) => h.thread(root.ts).map((m) => m.text ?? '').join('\n');

/** Plans, clicks "Ask for approval", and returns the root and (a copy of) the request with its buttons. */
async function askApproval(h: Harness, text: string, selector: string, user = U.requester, where = CHANNEL) {
  const plan = await preview(h, text, user);
  const ask = await clickButton(h, plan, FLEET_RUN, user);
  expect(await h.slack.waitFor(() => ask.replies()[0])).toContain('Asked for approval of');
  const root = await waitForRoot(h, selector, /: awaiting approval$/);
  const pool = () => (where === CHANNEL ? h.thread(root.ts) : h.slack.workspace.channelMessages(where)) as unknown as StoredMessage[];
  const request = await h.slack.waitFor(() => pool().find((m) => buttonIn(m, FLEET_APPROVE) && JSON.stringify(m.blocks).includes(`\`${selector}\``)));
  return { plan, root, request: structuredClone(request) };
}

describe('a fleet that needs approval', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ roleMap: roleMap() });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('asks instead of running; the approver sees the frozen list; Approve runs each Droplet once', async () => {
    const { tag, droplets } = fleetOf(h, 3);
    const ids = droplets.map((d) => d.id);
    const plan = await preview(h, `reboot tag:${tag}`, U.requester);
    expect(buttonIn(plan, FLEET_RUN)?.element.text).toMatchObject({ text: 'Ask for approval to run on 3 Droplets' });
    expect(JSON.stringify(plan.blocks)).toContain("the role map's fleet_min is 3");

    const { root, request } = await askApproval(h, `reboot tag:${tag}`, `tag:${tag}`);
    expect(dropletPosts(h, ids)).toHaveLength(0);
    // The same frozen list the requester saw: every Droplet with its name, ID, region and status.
    for (const d of droplets) expect(JSON.stringify(request.blocks)).toContain(`*${d.name}* (${d.id}) · \`nyc3\` · active`);
    expect(JSON.stringify(root.blocks)).toContain('awaiting approval · 3 Droplets, none started');
    expect(JSON.stringify(root.blocks)).toContain("a fleet of 3 Droplets needs a second person's approval");

    // One Droplet leaves the tag while the request waits: the approved run drops it, and adds nobody.
    droplets[2]!.tags = ['elsewhere'];

    // Nobody approves their own fleet, nobody without an approver role approves, and a scoped approver covers too little.
    const own = await clickButton(h, request, FLEET_APPROVE, U.requester);
    expect(await h.slack.waitFor(() => own.replies()[0])).toContain('cannot approve it yourself');
    const nobody = await clickButton(h, request, FLEET_APPROVE, U.operator);
    expect(await h.slack.waitFor(() => nobody.replies()[0])).toContain('Nothing was done');
    const scoped = await clickButton(h, request, FLEET_APPROVE, U.webAdmin);
    expect(await h.slack.waitFor(() => scoped.replies()[0])).toContain(`they do not cover ${droplets[0]!.name} (${droplets[0]!.id})`);
    expect(dropletPosts(h, ids)).toHaveLength(0);

    const approved = await clickButton(h, request, FLEET_APPROVE, U.admin);
    expect(await h.slack.waitFor(() => approved.replies()[0])).toContain('Approved: reboot on 3 Droplets runs now');
    const done = await waitForRoot(h, `tag:${tag}`, /: finished$/);
    expect(JSON.stringify(done.blocks)).toContain(`approved by <@${U.admin}>`);
    expect(JSON.stringify(done.blocks)).toContain('2/2 completed · 1 dropped');
    expect(dropletPosts(h, [ids[0]!, ids[1]!])).toHaveLength(2);
    expect(dropletPosts(h, [ids[2]!])).toHaveLength(0);

    // A second Approve (from the buttons as they were) changes nothing.
    const again = await clickButton(h, request, FLEET_APPROVE, U.admin);
    expect(await h.slack.waitFor(() => again.replies()[0])).toContain('already approved this fleet; it runs once');
    const thread = threadText(h, root);
    expect(thread).toContain(`*approved* by <@${U.admin}>`);
    expect(thread).toContain(`Dropped, because they left the selection after the plan was made: ${droplets[2]!.name}`);
    // The request lost its buttons and names the approver.
    const decided = h.slack.workspace.getMessage(CHANNEL, request.ts)!;
    expect(buttonIn(decided, FLEET_APPROVE)).toBeUndefined();
    expect(JSON.stringify(decided.blocks)).toContain(`*Approved* by <@${U.admin}>`);
    expect(await auditEvents(h, ids[0]!)).toEqual([`requested:${U.requester}`, `approved:${U.admin}`, `posted:${U.requester}`, `completed:${U.requester}`]);
  });

  it('Deny closes it: nothing runs, the root and the thread say who denied it, and later clicks change nothing', async () => {
    const { tag, droplets } = fleetOf(h, 2);
    const ids = droplets.map((d) => d.id);
    // rebuild is listed under approvals.actions: even two Droplets need approval.
    const { root, request } = await askApproval(h, `rebuild tag:${tag} image=ubuntu-22-04-x64`, `tag:${tag}`);
    expect(buttonIn(request, FLEET_APPROVE)?.element.confirm).toBeDefined();
    const denied = await clickButton(h, request, FLEET_DENY, U.admin);
    expect(await h.slack.waitFor(() => denied.replies()[0])).toContain('Denied: rebuild on 2 Droplets will not run');
    const closed = await waitForRoot(h, `tag:${tag}`, /: denied$/);
    expect(JSON.stringify(closed.blocks)).toContain(`denied by <@${U.admin}>; nothing was done`);
    expect(await h.slack.waitFor(() => (threadText(h, root).includes('*denied* by') ? threadText(h, root) : undefined))).toContain(`nothing was done · <@${U.requester}>`);
    const late = await clickButton(h, request, FLEET_APPROVE, U.admin);
    expect(await h.slack.waitFor(() => late.replies()[0])).toContain('already denied this request');
    const flows = await h.pending(ids[0]!);
    expect(flows.jobs).toEqual([]);
    expect(dropletPosts(h, ids)).toHaveLength(0);
    expect(await auditEvents(h, ids[1]!)).toEqual([`requested:${U.requester}`, `denied:${U.admin}`]);
  });

  it('a fleet below fleet_min whose action is not listed runs without approval', async () => {
    const { tag } = fleetOf(h, 2);
    const plan = await preview(h, `reboot tag:${tag}`, U.requester);
    expect(buttonIn(plan, FLEET_RUN)?.element.text).toMatchObject({ text: 'Run on 2 Droplets' });
  });
});

const APPROVALS_CHANNEL = 'C0APPROVE1';

describe('fleet approval expiry, with requests in their own channel', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ roleMap: roleMap({ expires_after: '1s', channel: APPROVALS_CHANNEL }) });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('expires a fleet nobody approved, says so, and refuses a late Approve', async () => {
    const { tag, droplets } = fleetOf(h, 3);
    const { root, request } = await askApproval(h, `reboot tag:${tag}`, `tag:${tag}`, U.requester, APPROVALS_CHANNEL);
    // The fleet's thread says where the request is, and the request links back to the thread.
    expect(await h.slack.waitFor(() => (threadText(h, root).includes('*awaiting approval*') ? threadText(h, root) : undefined))).toContain(`in <#${APPROVALS_CHANNEL}>`);
    expect(JSON.stringify(request.blocks)).toContain("open the fleet's thread");
    const closed = await waitForRoot(h, `tag:${tag}`, /: expired$/);
    expect(JSON.stringify(closed.blocks)).toContain('nobody approved in time; nothing was done');
    expect(await h.slack.waitFor(() => (threadText(h, root).includes('*expired*') ? threadText(h, root) : undefined))).toContain(`nobody decided within 1 s; nothing was done · <@${U.requester}>`);
    const late = await clickButton(h, request, FLEET_APPROVE, U.admin);
    expect(await h.slack.waitFor(() => late.replies()[0])).toContain('expired before anyone decided');
    expect(dropletPosts(h, droplets.map((d) => d.id))).toHaveLength(0);
  });

  it("finishes a decision whose receiver stopped right after it: the deadline's job posts what the click could not", async () => {
    const { tag, droplets } = fleetOf(h, 3);
    const { root, request } = await askApproval(h, `reboot tag:${tag}`, `tag:${tag}`, U.requester, APPROVALS_CHANNEL);
    const fleetId = String(buttonIn(request, FLEET_APPROVE)!.element.value);
    // The Deny click's atomic step, and nothing after it: its receiver died right there.
    const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    try {
      expect(await new FleetStore(redis, h.prefix).decide(fleetId, 'denied', U.admin, 'deny:receiver-died')).toMatchObject({ kind: 'won', status: 'denied' });
    } finally {
      redis.disconnect();
    }
    // At the deadline the expiry job finds the decision not followed up, and does it.
    const closed = await waitForRoot(h, `tag:${tag}`, /: denied$/);
    expect(JSON.stringify(closed.blocks)).toContain(`denied by <@${U.admin}>; nothing was done`);
    expect(await h.slack.waitFor(() => (threadText(h, root).includes('*denied* by') ? threadText(h, root) : undefined))).toContain(`<@${U.requester}>`);
    const decided = await h.slack.waitFor(() => {
      const m = h.slack.workspace.getMessage(APPROVALS_CHANNEL, request.ts);
      return m && !buttonIn(m, FLEET_APPROVE) ? m : undefined;
    });
    expect(JSON.stringify(decided.blocks)).toContain(`*Denied* by <@${U.admin}>`);
    expect(dropletPosts(h, droplets.map((d) => d.id))).toHaveLength(0);
  });
});

