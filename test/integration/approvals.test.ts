// Four-eyes approvals end to end: signed slash commands and signed block_actions clicks into the
// real Bolt receiver, a real Redis (atomic decisions, BullMQ expiry jobs) and both simulators.
import { webApi } from '@slack/bolt';
import { Redis } from 'ioredis';
import { chatOps } from '../../src/slack/chat-ops.js';
import { slackRenderer } from '../../src/slack/renderers/index.js';
import { decideApproval } from '../../src/requests/approval-decisions.js';
import { ApprovalStore } from '../../src/store/approvals.js';
import { createLogger } from '../../src/log.js';
import { DigitalOceanClient } from '../../src/digitalocean/client.js';
import { SlackOutbox } from '../../src/queue/slack-outbox.js';
import { AccessResolver } from '../../src/domain/access.js';
import { OutboxReporter } from '../../src/slack/reporter.js';
import { Intake } from '../../src/store/intake.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { displayName, type ActionType } from '../../src/domain/catalogue/index.js';
import { roleMapSchema } from '../../src/domain/policy.js';
import { blockActionsBody, signSlackRequest, type JsonObject, type StoredMessage } from 'droplet-bot-sandbox';
import { APPROVE_ACTION_ID, DENY_ACTION_ID } from '../../src/slack/renderers/approval-messages.js';
import { CHANNEL, SECRETS, auditEvents, startHarness, type Harness } from '../support/harness.js';
import { buttonIn, clickButton } from '../support/interactions.js';
import { redisUrl } from '../support/redis.js';

const U = {
  requester: 'U0ADMIN01',
  admin2: 'U0ADMIN02',
  admin3: 'U0ADMIN03',
  lead: 'U0LEAD001',
  operator: 'U0OPERATOR',
  nobody: 'U0NOBODY1',
};
const APPROVALS_CHANNEL = 'C0APPROVE1';

function roleMap(extra: Record<string, unknown> = {}) {
  return roleMapSchema.parse({
    roles: {
      operator: ['droplet:update'],
      // An approver role without droplet:admin: may approve a power-off, not a rebuild.
      lead: ['droplet:update'],
      admin: ['droplet:update', 'droplet:create', 'droplet:admin', 'image:create'],
    },
    members: { [U.requester]: ['admin'], [U.admin2]: ['admin'], [U.admin3]: ['admin'], [U.lead]: ['lead'], [U.operator]: ['operator'] },
    approvals: { actions: ['rebuild', 'restore', 'password_reset', 'power_off', 'resize'], approvers: ['admin', 'lead'], expires_after: '30m', ...extra },
  });
}

const rootOf = (h: Harness, action: ActionType, name: string) => h.roots().filter((m) => m.text?.startsWith(`${displayName(action)} on ${name}:`)).at(-1);
const posts = (h: Harness, dropletId: number) => h.digitalocean.requests.filter((r) => r.method === 'POST' && r.path === `/v2/droplets/${dropletId}/actions`);
const message = (h: Harness, m: { channel: string; ts: string }) => h.slack.workspace.getMessage(m.channel, m.ts)!;
const blocksText = (m: { blocks?: unknown[] }) => JSON.stringify(m.blocks ?? []);

async function requestApproval(h: Harness, text: string, action: ActionType, name: string, user = U.requester, where = CHANNEL) {
  const res = await h.command(text, user);
  expect(res.status).toBe(200);
  const root = await h.slack.waitFor(() => {
    const r = rootOf(h, action, name);
    return r?.text?.endsWith(': awaiting approval') ? r : undefined;
  }, 10_000);
  const request = await h.slack.waitFor(() => {
    const pool = where === CHANNEL ? h.thread(root.ts) : h.slack.workspace.channelMessages(where);
    return (pool as StoredMessage[]).find((m) => buttonIn(m, APPROVE_ACTION_ID) && m.text.includes(`${displayName(action)} on ${name}`));
  }, 10_000);
  // A copy: the workspace updates messages in place, and a late click comes from the old buttons.
  return { root, request: structuredClone(request) };
}

async function waitFinal(h: Harness, action: ActionType, name: string) {
  return h.slack.waitFor(() => {
    const r = rootOf(h, action, name);
    return r && /: (completed|errored)$/.test(r.text ?? '') ? r : undefined;
  }, 15_000);
}

describe('approvals', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ roleMap: roleMap() });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('does not queue an action that needs approval; posts who asked, exact parameters, the Droplet state and the buttons', async () => {
    const d = h.digitalocean.addDroplet({ name: 'appr-show', status: 'off' });
    const { root, request } = await requestApproval(h, 'resize appr-show size=s-2vcpu-4gb disk=true', 'resize', 'appr-show');
    expect(root.text).toBe('resize on appr-show: awaiting approval');
    const text = blocksText(request);
    expect(text).toContain(`<@${U.requester}> asked for *resize* on *appr-show* (${d.id})`);
    expect(text).toContain('`size=s-2vcpu-4gb disk=true`');
    expect(text).toContain('*Status*\\noff');
    expect(text).toContain('*Size*\\n`s-1vcpu-1gb`');
    expect(text).toContain('*Image*\\nubuntu-24-04-x64');
    const approve = buttonIn(request, APPROVE_ACTION_ID)!.element;
    // The button carries only an opaque ID, and a disk resize asks for confirmation.
    expect(approve.value).toMatch(/^[0-9a-f]{24}$/);
    expect(JSON.stringify(approve.confirm)).toContain('cannot be undone');
    expect(buttonIn(request, DENY_ACTION_ID)!.element.value).toBe(approve.value);
    // Nothing left that could run: no job but the finished one, nothing in the intake.
    expect(await h.pending(d.id)).toEqual({ jobs: [], intake: 0 });
    expect(posts(h, d.id)).toHaveLength(0);
    expect(await auditEvents(h, d.id)).toEqual([`requested:${U.requester}`]);
  });

  it('runs an action that is not in the list without asking', async () => {
    const d = h.digitalocean.addDroplet({ name: 'appr-free' });
    await h.command('reboot appr-free', U.requester);
    expect((await waitFinal(h, 'reboot', 'appr-free')).text).toBe('reboot on appr-free: completed');
    expect(posts(h, d.id)).toHaveLength(1);
  });

  it('refuses self-approval, approvers without the role or the scopes, and does nothing', async () => {
    const d = h.digitalocean.addDroplet({ name: 'appr-refuse' });
    const { request } = await requestApproval(h, 'rebuild appr-refuse image=debian-12-x64', 'rebuild', 'appr-refuse');
    // Rebuild destroys data: Approve asks for confirmation.
    expect(buttonIn(request, APPROVE_ACTION_ID)!.element.confirm).toBeDefined();

    const self = await clickButton(h, request, APPROVE_ACTION_ID, U.requester);
    expect(self.status).toBe(200);
    expect(await h.slack.waitFor(() => self.replies()[0])).toContain('you cannot approve it yourself');

    const operator = await clickButton(h, request, APPROVE_ACTION_ID, U.operator);
    expect(await h.slack.waitFor(() => operator.replies()[0])).toContain('Only people with the `admin` or `lead` role may approve');

    const nobody = await clickButton(h, request, DENY_ACTION_ID, U.nobody);
    expect(await h.slack.waitFor(() => nobody.replies()[0])).toContain('Only people with the `admin` or `lead` role may deny');

    const lead = await clickButton(h, request, APPROVE_ACTION_ID, U.lead);
    expect(await h.slack.waitFor(() => lead.replies()[0])).toMatch(/it needs the `droplet:admin` scope.*So you may not approve it either/);

    // Nothing left that could run: no job but the finished one, nothing in the intake.
    expect(await h.pending(d.id)).toEqual({ jobs: [], intake: 0 });
    expect(posts(h, d.id)).toHaveLength(0);
    const now = message(h, request);
    expect(buttonIn(now, APPROVE_ACTION_ID)).toBeDefined();
    expect(rootOf(h, 'rebuild', 'appr-refuse')!.text).toBe('rebuild on appr-refuse: awaiting approval');
  });

  it('queues an approved request once, with the approver named, and removes the buttons', async () => {
    const d = h.digitalocean.addDroplet({ name: 'appr-ok' });
    const { root, request } = await requestApproval(h, 'power-off appr-ok', 'power_off', 'appr-ok');
    const click = await clickButton(h, request, APPROVE_ACTION_ID, U.lead);
    expect(click.status).toBe(200);
    const final = await waitFinal(h, 'power_off', 'appr-ok');
    expect(final.text).toBe('power-off on appr-ok: completed');
    expect(blocksText(final)).toContain(`approved by <@${U.lead}>`);
    expect(posts(h, d.id)).toHaveLength(1);
    expect(posts(h, d.id)[0]!.body).toEqual({ type: 'power_off' });

    const decided = message(h, request);
    expect(buttonIn(decided, APPROVE_ACTION_ID)).toBeUndefined();
    expect(buttonIn(decided, DENY_ACTION_ID)).toBeUndefined();
    expect(blocksText(decided)).toContain(`*Approved* by <@${U.lead}>`);
    const thread = h.thread(root.ts).map((m) => m.text);
    expect(thread.some((t) => t?.includes(`*approved* by <@${U.lead}>`))).toBe(true);
    expect(click.replies()).toEqual([]);
    expect(await auditEvents(h, d.id)).toEqual(expect.arrayContaining([`requested:${U.requester}`, `approved:${U.lead}`]));

    const late = await clickButton(h, request, APPROVE_ACTION_ID, U.admin2);
    expect(await h.slack.waitFor(() => late.replies()[0])).toContain(`<@${U.lead}> already approved this request`);
    // Nothing left that could run: no job but the finished one, nothing in the intake.
    expect(await h.pending(d.id)).toEqual({ jobs: ['completed'], intake: 0 });
    expect(posts(h, d.id)).toHaveLength(1);
  });

  it('an approved request runs, once, even when the job store fails right after the decision', async () => {
    const d = h.digitalocean.addDroplet({ name: 'appr-crash' });
    const { root, request } = await requestApproval(h, 'power-off appr-crash', 'power_off', 'appr-crash');
    const approvalId = String(buttonIn(request, APPROVE_ACTION_ID)!.element.value);
    // A receiver that wins the decision, then dies (or loses Redis) before the job is queued.
    const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    const slackClient = new webApi.WebClient(SECRETS.botToken, { slackApiUrl: `${h.slack.url}/api/` });
    const outboxQueue = SlackOutbox.createQueue(redis, h.prefix);
    const logger = createLogger({ level: 'silent' });
    try {
      const result = await decideApproval(
        {
          store: new ApprovalStore(redis, h.prefix),
          chat: chatOps(slackClient),
          render: slackRenderer,
          audit: async () => {},
          logger,
          settings: roleMap().approvals,
          access: new AccessResolver(roleMap(), { members: async () => [] }),
          digitalocean: new DigitalOceanClient({ apiUrl: h.digitalocean.url, token: SECRETS.doToken }),
          intake: new Intake(redis, h.prefix),
          holder: 'r-died-after-approve',
          enqueue: async () => {
            throw new Error('Connection is closed.');
          },
          reporter: new OutboxReporter(new SlackOutbox(redis, h.prefix, outboxQueue), undefined),
        },
        { approvalId, user: U.lead, decision: 'approve' },
      );
      expect(result).toEqual({ kind: 'decided', outcome: 'approved' });
    } finally {
      await outboxQueue.close();
      redis.disconnect();
    }
    // The decision put the job in the intake; a worker's sweep queues it.
    const final = await waitFinal(h, 'power_off', 'appr-crash');
    expect(final.text).toBe('power-off on appr-crash: completed');
    expect(posts(h, d.id)).toHaveLength(1);
    const thread = h.thread(root.ts).map((m) => m.text ?? '');
    expect(thread.filter((t) => t.includes(`*approved* by <@${U.lead}>`))).toHaveLength(1);
    expect(thread.filter((t) => t.includes('*completed*'))).toHaveLength(1);
  });

  it('lets the requester withdraw, and nobody approve, once the approvals section is gone from the role map', async () => {
    const d = h.digitalocean.addDroplet({ name: 'appr-gone' });
    const { request } = await requestApproval(h, 'power-off appr-gone', 'power_off', 'appr-gone');
    const approvalId = String(buttonIn(request, APPROVE_ACTION_ID)!.element.value);
    const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    const slackClient = new webApi.WebClient(SECRETS.botToken, { slackApiUrl: `${h.slack.url}/api/` });
    const outboxQueue = SlackOutbox.createQueue(redis, h.prefix);
    try {
      // A receiver whose role map reloaded without an approvals section.
      const deps = {
        store: new ApprovalStore(redis, h.prefix),
        chat: chatOps(slackClient),
        render: slackRenderer,
        audit: async () => {},
        logger: createLogger({ level: 'silent' }),
        settings: undefined,
        access: new AccessResolver(roleMap(), { members: async () => [] }),
        digitalocean: new DigitalOceanClient({ apiUrl: h.digitalocean.url, token: SECRETS.doToken }),
        intake: new Intake(redis, h.prefix),
        holder: 'r-no-approvals',
        enqueue: async () => {},
        reporter: new OutboxReporter(new SlackOutbox(redis, h.prefix, outboxQueue), undefined),
      };
      const approve = await decideApproval(deps, { approvalId, user: U.admin2, decision: 'approve' });
      expect(approve.kind === 'refused' && approve.message).toContain('Approvals are no longer set up');
      expect(await decideApproval(deps, { approvalId, user: U.requester, decision: 'deny' })).toEqual({ kind: 'decided', outcome: 'denied' });
    } finally {
      await outboxQueue.close();
      redis.disconnect();
    }
    expect(posts(h, d.id)).toHaveLength(0);
  });

  it('withdraws a request whose approval message failed to post, before saying so: its buttons, if they reached Slack, run nothing', async () => {
    const d = h.digitalocean.addDroplet({ name: 'appr-lost-post' });
    // The root message goes through; the approval request is posted, but Slack's answer is lost.
    h.slack.failNext('chat.postMessage', { skip: 1, error: 'internal_error', afterEffect: true });
    const res = await h.command('power-off appr-lost-post', U.requester);
    const reply = await h.slack.waitFor(() => h.responses(res.responseUrl)[0]?.text, 10_000);
    expect(reply).toBe('The approval request could not be posted (something went wrong on the bot\'s side (tell its operators if it keeps happening)). Your request was withdrawn and will not run; nothing was done.');
    const root = await h.slack.waitFor(() => (rootOf(h, 'power_off', 'appr-lost-post')?.text?.endsWith(': not run') ? rootOf(h, 'power_off', 'appr-lost-post') : undefined));
    const orphan = h.slack.workspace.replies(CHANNEL, root!.ts).find((m) => buttonIn(m, APPROVE_ACTION_ID))!;
    expect(orphan).toBeDefined();
    const click = await clickButton(h, orphan, APPROVE_ACTION_ID, U.lead);
    expect(await h.slack.waitFor(() => click.replies()[0])).toContain('expired before anyone decided. Nothing was done');
    expect(posts(h, d.id)).toHaveLength(0);
  });

  it('runs a request once when two approvers click Approve at the same moment, twice each', async () => {
    const d = h.digitalocean.addDroplet({ name: 'appr-race' });
    const { request } = await requestApproval(h, 'password-reset appr-race', 'password_reset', 'appr-race');
    const clicks = await Promise.all([
      clickButton(h, request, APPROVE_ACTION_ID, U.admin2),
      clickButton(h, request, APPROVE_ACTION_ID, U.admin3),
      clickButton(h, request, APPROVE_ACTION_ID, U.admin2),
      clickButton(h, request, APPROVE_ACTION_ID, U.admin3),
    ]);
    expect(clicks.every((c) => c.status === 200)).toBe(true);
    await waitFinal(h, 'password_reset', 'appr-race');
    // Nothing left that could run: no job but the finished one, nothing in the intake.
    expect(await h.pending(d.id)).toEqual({ jobs: ['completed'], intake: 0 });
    expect(posts(h, d.id)).toHaveLength(1);
    // Exactly one click won; the other three were told who decided.
    const replies = clicks.map((c) => c.replies());
    expect(replies.filter((r) => r.length === 0)).toHaveLength(1);
    expect(replies.filter((r) => r[0]?.includes('already approved this request'))).toHaveLength(3);
    expect((await auditEvents(h, d.id)).filter((e) => e.startsWith('approved:'))).toHaveLength(1);
  });

  it('refuses a tampered click and a forged approval ID, and runs nothing', async () => {
    const d = h.digitalocean.addDroplet({ name: 'appr-forge' });
    const { request } = await requestApproval(h, 'power-off appr-forge', 'power_off', 'appr-forge');
    const id = String(buttonIn(request, APPROVE_ACTION_ID)!.element.value);
    // A signed click whose body was changed on the way: the signature no longer matches.
    const body = blockActionsBody({
      user_id: U.lead,
      channel_id: request.channel ?? CHANNEL,
      message_ts: request.ts,
      message: request as unknown as JsonObject,
      response_url: h.slack.responseUrl(),
      actions: [{ action_id: APPROVE_ACTION_ID, block_id: buttonIn(request, APPROVE_ACTION_ID)!.block_id, text: 'Approve', value: 'f'.repeat(24) }],
    });
    const headers = signSlackRequest(SECRETS.signingSecret, body);
    const tampered = await fetch(h.eventsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: body.replace('f'.repeat(24), id),
    });
    expect(tampered.status).toBe(401);
    // A correctly signed click that names a request the bot never made.
    const forgedMessage = JSON.parse(JSON.stringify(request).split(id).join('0'.repeat(24)));
    const forged = await clickButton(h, forgedMessage, APPROVE_ACTION_ID, U.lead);
    expect(await h.slack.waitFor(() => forged.replies()[0])).toContain('no longer on record. Nothing was done');
    // Nothing left that could run: no job but the finished one, nothing in the intake.
    expect(await h.pending(d.id)).toEqual({ jobs: [], intake: 0 });
    expect(posts(h, d.id)).toHaveLength(0);
    expect(rootOf(h, 'power_off', 'appr-forge')!.text).toBe('power-off on appr-forge: awaiting approval');
  });

  it('denies: says so on the request and in the thread, queues nothing, and later clicks change nothing', async () => {
    const d = h.digitalocean.addDroplet({ name: 'appr-deny' });
    const { root, request } = await requestApproval(h, 'power-off appr-deny', 'power_off', 'appr-deny');
    await clickButton(h, request, DENY_ACTION_ID, U.admin2);
    const decided = await h.slack.waitFor(() => {
      const m = message(h, request);
      return buttonIn(m, APPROVE_ACTION_ID) ? undefined : m;
    });
    expect(blocksText(decided)).toContain(`*Denied* by <@${U.admin2}>`);
    expect(buttonIn(decided, DENY_ACTION_ID)).toBeUndefined();
    expect(await h.slack.waitFor(() => h.thread(root.ts).find((m) => m.text?.includes('*denied*'))?.text)).toContain(`*denied* by <@${U.admin2}> · nothing was done · <@${U.requester}>`);
    expect(rootOf(h, 'power_off', 'appr-deny')!.text).toBe('power-off on appr-deny: denied');

    const late = await clickButton(h, request, APPROVE_ACTION_ID, U.admin3);
    expect(await h.slack.waitFor(() => late.replies()[0])).toContain(`<@${U.admin2}> already denied this request`);
    // Nothing left that could run: no job but the finished one, nothing in the intake.
    expect(await h.pending(d.id)).toEqual({ jobs: [], intake: 0 });
    expect(posts(h, d.id)).toHaveLength(0);
    expect(await auditEvents(h, d.id)).toEqual([`requested:${U.requester}`, `denied:${U.admin2}`]);
  });

  it('lets the requester withdraw their own request with Deny', async () => {
    const d = h.digitalocean.addDroplet({ name: 'appr-withdraw' });
    const { request } = await requestApproval(h, 'power-off appr-withdraw', 'power_off', 'appr-withdraw');
    await clickButton(h, request, DENY_ACTION_ID, U.requester);
    const decided = await h.slack.waitFor(() => (buttonIn(message(h, request), DENY_ACTION_ID) ? undefined : message(h, request)));
    expect(blocksText(decided)).toContain(`*Withdrawn* by <@${U.requester}>`);
    expect(posts(h, d.id)).toHaveLength(0);
  });

  it('does not run on an approval when the Droplet changed since the request: it says what changed and asks for a new request', async () => {
    const d = h.digitalocean.addDroplet({ name: 'appr-changed', tags: ['env:prod'] });
    const { root, request } = await requestApproval(h, 'power-off appr-changed', 'power_off', 'appr-changed');
    const live = h.digitalocean.state.droplets.find((x) => x.id === d.id)!;
    live.status = 'off';
    live.size_slug = 's-2vcpu-4gb';
    live.tags = ['env:staging'];
    const click = await clickButton(h, request, APPROVE_ACTION_ID, U.admin2);
    const said = await h.slack.waitFor(() => click.replies()[0]);
    expect(said).toContain('status `active` → `off`, size `s-1vcpu-1gb` → `s-2vcpu-4gb`, tags `env:prod` → `env:staging`');
    expect(said).toContain('nothing was run');
    expect(await h.slack.waitFor(() => h.thread(root.ts).find((m) => m.text?.includes('changed since the request'))?.text)).toContain(`<@${U.requester}>, ask again`);
    // Still open, so it can be denied; nothing ran.
    expect(buttonIn(message(h, request), APPROVE_ACTION_ID)).toBeDefined();
    expect(posts(h, d.id)).toHaveLength(0);
    expect(rootOf(h, 'power_off', 'appr-changed')!.text).toBe('power-off on appr-changed: awaiting approval');
  });

  it('keeps the approval request within Block Kit limits for a 255-character Droplet name', async () => {
    const name = `${'a'.repeat(200)}-${'b'.repeat(54)}`;
    expect(name).toHaveLength(255);
    h.digitalocean.addDroplet({ name });
    const { request } = await requestApproval(h, `rebuild ${name} image=ubuntu-22-04-x64`, 'rebuild', name);
    const confirm = buttonIn(request, APPROVE_ACTION_ID)!.element.confirm as { text: { text: string } };
    expect(confirm.text.text.length).toBeLessThanOrEqual(300);
    expect(confirm.text.text).toMatch(/^rebuild on a+-b*… cannot be undone: it overwrites the Droplet's disk\.$/);
  });

  it('escapes what DigitalOcean returns in the approval request', async () => {
    const image = { ...h.digitalocean.state.images.find((i) => i.slug === 'ubuntu-24-04-x64')!, id: 990001, slug: null, public: false, distribution: '<!channel>', name: '<https://evil.example|click> & co' };
    h.digitalocean.state.images.push(image);
    h.digitalocean.addDroplet({ name: 'appr-escape', image });
    const { request } = await requestApproval(h, 'power-off appr-escape', 'power_off', 'appr-escape');
    const text = blocksText(request);
    expect(text).toContain('&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; co');
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<https://evil.example');
  });
});

describe('approvals in their own channel', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ roleMap: roleMap({ channel: APPROVALS_CHANNEL }) });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('posts the request in the approvals channel and points to it from the thread', async () => {
    const d = h.digitalocean.addDroplet({ name: 'appr-chan' });
    const { root, request } = await requestApproval(h, 'power-off appr-chan', 'power_off', 'appr-chan', U.requester, APPROVALS_CHANNEL);
    expect(request.channel).toBe(APPROVALS_CHANNEL);
    expect(blocksText(request)).toContain(`Requested in <#${CHANNEL}> · <https://slack.com/archives/${CHANNEL}/p${root.ts.replace('.', '')}|open the request's thread>`);
    expect(await h.slack.waitFor(() => h.thread(root.ts).find((m) => m.text?.includes('awaiting approval'))?.text)).toContain(`in <#${APPROVALS_CHANNEL}>`);
    await clickButton(h, request, APPROVE_ACTION_ID, U.admin2);
    expect((await waitFinal(h, 'power_off', 'appr-chan')).text).toBe('power-off on appr-chan: completed');
    expect(posts(h, d.id)).toHaveLength(1);
  });
});

describe('approvals in a channel the bot is not in', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ roleMap: roleMap({ channel: APPROVALS_CHANNEL }) });
    h.slack.workspace.resolveChannel(APPROVALS_CHANNEL);
    h.slack.workspace.setBotMembership(APPROVALS_CHANNEL, false);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('says which channel to invite the bot to, and nothing waits or runs', async () => {
    const d = h.digitalocean.addDroplet({ name: 'appr-nochan' });
    const res = await h.command('power-off appr-nochan', U.requester);
    const reply = await h.slack.waitFor(() => h.responses(res.responseUrl)[0]?.text, 5000);
    expect(reply).toBe(
      `I cannot post the approval request in <#${APPROVALS_CHANNEL}>: invite me there with \`/invite @droplet-bot\`. Your request was withdrawn and will not run; nothing was done.`,
    );
    expect(await h.slack.waitFor(() => rootOf(h, 'power_off', 'appr-nochan')?.text?.endsWith(': not run'))).toBe(true);
    // Nothing left that could run: no job but the finished one, nothing in the intake.
    expect(await h.pending(d.id)).toEqual({ jobs: [], intake: 0 });
    expect(posts(h, d.id)).toHaveLength(0);
  });
});

describe('approval expiry', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ roleMap: roleMap({ expires_after: '1s' }) });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('expires a request nobody decided, says so on the request and in the thread, and refuses a late Approve', async () => {
    const d = h.digitalocean.addDroplet({ name: 'appr-expire' });
    const { root, request } = await requestApproval(h, 'power-off appr-expire', 'power_off', 'appr-expire');
    // Nobody clicks: the delayed job in the workers closes it.
    const decided = await h.slack.waitFor(() => (buttonIn(message(h, request), APPROVE_ACTION_ID) ? undefined : message(h, request)), 10_000);
    expect(blocksText(decided)).toContain('*Expired*: nobody decided within 1 s');
    expect(await h.slack.waitFor(() => h.thread(root.ts).find((m) => m.text?.includes('*expired*'))?.text)).toContain(`nobody decided within 1 s; nothing was done · <@${U.requester}>`);
    expect(rootOf(h, 'power_off', 'appr-expire')!.text).toBe('power-off on appr-expire: expired');

    const late = await clickButton(h, request, APPROVE_ACTION_ID, U.admin2);
    expect(await h.slack.waitFor(() => late.replies()[0])).toContain('This request expired before anyone decided');
    // Nothing left that could run: no job but the finished one, nothing in the intake.
    expect(await h.pending(d.id)).toEqual({ jobs: [], intake: 0 });
    expect(posts(h, d.id)).toHaveLength(0);
    expect(await auditEvents(h, d.id)).toEqual([`requested:${U.requester}`, `expired:${U.requester}`]);
  });
});
