// The Home tab as things happen: a person's recent requests and fleets with their state and
// thread, the tab published again by a worker when one of them ends (with no click from the
// person), and a fleet waiting for approval approved from an approver's tab. The real Bolt
// receiver and workers, a real Redis and the Slack and DigitalOcean simulators.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appHomeOpenedBody, blockActionsBody, sendToBot, type JsonObject, type SlackView, type StoredMessage } from 'droplet-bot-sandbox';
import { roleMapSchema } from '../../src/domain/policy.js';
import { FLEET_APPROVE, FLEET_RUN } from '../../src/slack/renderers/fleet-messages.js';
import { MAX_VIEW_BLOCKS } from '../../src/slack/renderers/home-view.js';
import { CHANNEL, SECRETS, USERS, startHarness, type Harness } from '../support/harness.js';
import { buttonIn, clickButton } from '../support/interactions.js';
import { DENY_ACTION_ID } from '../../src/slack/renderers/approval-messages.js';

const OP = 'U0HOMEOP1';
let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    roleMap: roleMapSchema.parse({
      roles: { admin: ['droplet:update', 'droplet:create', 'droplet:admin', 'image:create'], operator: ['droplet:update'] },
      members: { [USERS.admin]: ['admin'], [OP]: ['operator'], [USERS.operator]: ['operator'] },
      approvals: { actions: ['power_off'], approvers: ['admin'], fleet_min: 3 },
    }),
    digitalocean: { durations: { reboot: 1500 } },
    bot: { home: { refreshWindowMs: 300 } },
  });
});
afterAll(async () => {
  await h?.stop();
});

const home = (user: string) => h.slack.workspace.views.homeFor(user)?.view;
const publishes = (user: string) => h.slack.callsTo('views.publish').filter((c) => c.args.user_id === user).length;
const recent = (view: SlackView) => view.blocks.filter((b) => String(b.block_id).startsWith('recent:')).map((b) => String((b.text as JsonObject).text));

async function openHome(user: string): Promise<SlackView> {
  const before = home(user)?.hash;
  const res = await sendToBot(h.eventsUrl, SECRETS.signingSecret, appHomeOpenedBody({ user_id: user, ...(home(user) ? { view: home(user)! } : {}) }), { 'content-type': 'application/json' });
  expect(res.status).toBe(200);
  return h.slack.waitFor(() => (home(user) && home(user)!.hash !== before ? home(user) : undefined), 5000);
}

/** The next version of `user`'s tab that `pass` accepts, however it came to be published. */
const homeWhen = (user: string, pass: (text: string) => boolean, ms = 20_000) => h.slack.waitFor(() => (home(user) && pass(JSON.stringify(home(user)!.blocks)) ? home(user) : undefined), ms);

describe('the Home tab, live', () => {
  it('lists the person’s request with its thread, and is published again by a worker when it ends', async () => {
    const d = h.digitalocean.addDroplet({ name: 'live-web-1' });
    const first = await openHome(OP);
    expect(recent(first)).toEqual([]);
    await h.command('reboot live-web-1', OP);
    const root = await h.slack.waitFor(() => h.roots().find((m) => m.text?.startsWith('reboot on live-web-1: in-progress')), 10_000);
    // Opened while it runs: in progress, with a link to its thread.
    const running = await openHome(OP);
    expect(recent(running)).toHaveLength(1);
    expect(recent(running)[0]).toMatch(new RegExp(`^:arrows_counterclockwise: reboot on \\*live-web-1\\* \\(${d.id}\\) · in progress \\(action \\d+\\) · asked \\d\\d:\\d\\d UTC · <https://slack.com/archives/${CHANNEL}/p${root.ts.replace('.', '')}\\|thread>$`));
    const opened = publishes(OP);
    // Nobody touches the tab again: the worker publishes it when the reboot ends.
    const ended = await homeWhen(OP, (t) => t.includes(':white_check_mark: reboot on *live-web-1*'));
    expect(recent(ended)[0]).toContain('· completed ·');
    expect(publishes(OP)).toBeGreaterThan(opened);
    // No app_home_opened or click from OP since: the worker published it on its own.
    expect(h.slack.workspace.views.homeFor(OP)!.view.hash).not.toBe(running.hash);
    expect(ended.blocks.length).toBeLessThanOrEqual(MAX_VIEW_BLOCKS);
  });

  it('does not publish the tab of someone who never opened it', async () => {
    h.digitalocean.addDroplet({ name: 'live-web-2' });
    h.digitalocean.addDroplet({ name: 'live-web-3' });
    await h.command('reboot live-web-2', USERS.operator);
    await h.waitForFinal('reboot', 'live-web-2');
    // A later end for someone who did open it: once their tab shows it, the earlier end's turn has passed.
    await h.command('reboot live-web-3', OP);
    await homeWhen(OP, (t) => t.includes(':white_check_mark: reboot on *live-web-3*'));
    expect(publishes(USERS.operator)).toBe(0);
  });

  it('offers a fleet waiting for approval on an approver’s tab; Approve there runs it, and the requester’s tab follows it to the end', async () => {
    const tag = 'live-fleet';
    const droplets = [1, 2, 3].map((i) => h.digitalocean.addDroplet({ name: `live-fleet-${i}`, tags: [tag] }));
    await openHome(OP);
    const res = await h.command(`reboot tag:${tag}`, OP);
    const said = await h.slack.waitFor(() => h.responses(res.responseUrl)[0]);
    const plan = (h.slack.workspace.ephemerals({ user: OP }).find((e) => e.text === said.text) ?? { ...said, ts: '0' }) as unknown as StoredMessage;
    const ask = await clickButton(h, plan, FLEET_RUN, OP);
    expect(await h.slack.waitFor(() => ask.replies()[0])).toContain('Asked for approval of');
    // The requester's tab lists it as waiting.
    expect(recent(await openHome(OP))[0]).toContain(`reboot on 3 Droplets, tagged ${tag} · waiting for approval`);
    // The requester is not offered their own fleet; the admin is.
    expect(JSON.stringify(home(OP)!.blocks)).not.toContain('Waiting for your approval');
    const view = await openHome(USERS.admin);
    const section = view.blocks.find((b) => String(b.block_id).startsWith('approval:') && String((b.text as JsonObject).text).includes(`tagged ${tag}`))!;
    expect(String((section.text as JsonObject).text)).toMatch(new RegExp(`^\\*reboot\\* fleet on \\*3 Droplets tagged ${tag}\\*, asked by <@${OP}>, until \\d\\d:\\d\\d UTC · <https://slack.com/archives/${CHANNEL}/p\\d+\\|thread>$`));
    const fleetId = String(section.block_id).slice('approval:'.length);
    const buttons = view.blocks.find((b) => b.block_id === `approval-buttons:${fleetId}`)!;
    const approve = (buttons.elements as JsonObject[]).find((e) => e.action_id === FLEET_APPROVE)!;
    expect(approve.value).toBe(fleetId);
    const before = home(USERS.admin)!.hash;
    const click = await sendToBot(h.eventsUrl, SECRETS.signingSecret, blockActionsBody({ user_id: USERS.admin, view: { ...view, state: { values: {} } }, actions: [{ action_id: FLEET_APPROVE, block_id: String(buttons.block_id), value: fleetId } as never] }));
    expect(click.status).toBe(200);
    // The approver's tab comes back saying so, without the request.
    const after = await h.slack.waitFor(() => (home(USERS.admin)!.hash !== before ? home(USERS.admin) : undefined), 5000);
    const afterText = JSON.stringify(after.blocks);
    expect(afterText).toContain('Approved: reboot on 3 Droplets runs now');
    expect(afterText).not.toContain(`tagged ${tag}*, asked by`);
    // The requester's tab is published again as the fleet's Droplets end, up to its end.
    const done = await homeWhen(OP, (t) => t.includes(`reboot on 3 Droplets, tagged ${tag} · finished: 3/3 completed`), 30_000);
    expect(recent(done)[0]).toMatch(/^:white_check_mark: /);
    // One action per Droplet, whatever the clicks and refreshes: one POST by tag, or one each.
    const posts = h.digitalocean.requests.filter((r) => r.method === 'POST' && (r.path.includes(`tag_name=${tag}`) || droplets.some((d) => r.path === `/v2/droplets/${d.id}/actions`)));
    expect(posts.length === 1 || posts.length === 3).toBe(true);
  });

  it('lists a fleet run one job per Droplet once, as the fleet, not each Droplet', async () => {
    for (const i of [1, 2]) h.digitalocean.addDroplet({ name: `live-glob-${i}` });
    await openHome(USERS.operator);
    const res = await h.command('reboot live-glob-*', USERS.operator);
    const said = await h.slack.waitFor(() => h.responses(res.responseUrl)[0]);
    const plan = (h.slack.workspace.ephemerals({ user: USERS.operator }).find((e) => e.text === said.text) ?? { ...said, ts: '0' }) as unknown as StoredMessage;
    await clickButton(h, plan, FLEET_RUN, USERS.operator);
    const done = await homeWhen(USERS.operator, (t) => t.includes('reboot on 2 Droplets, named live-glob-* · finished: 2/2 completed'), 30_000);
    const lines = recent(done);
    expect(lines.filter((l) => l.includes('live-glob'))).toHaveLength(1);
    expect(lines.some((l) => l.includes('*live-glob-1*') || l.includes('*live-glob-2*'))).toBe(false);
  });

  it('shows an approver with the tab open a new request waiting, and takes it away once it is decided, without a click on the tab', async () => {
    const d = h.digitalocean.addDroplet({ name: 'live-web-9' });
    await openHome(USERS.admin);
    const line = `*power-off* on *live-web-9* (${d.id}), asked by <@${OP}>`;
    await h.command('power-off live-web-9', OP);
    // Published by a worker when the request started waiting.
    const shown = await homeWhen(USERS.admin, (t) => t.includes(line));
    expect(shown.blocks.some((b) => String(b.block_id).startsWith('approval-buttons:'))).toBe(true);
    // The requester withdraws it in the channel: the admin's tab no longer offers it.
    const root = await h.slack.waitFor(() => h.roots().find((m) => m.text?.startsWith('power-off on live-web-9: awaiting approval')), 10_000);
    const request = await h.slack.waitFor(() => (h.thread(root.ts) as unknown as StoredMessage[]).find((m) => buttonIn(m, DENY_ACTION_ID)), 10_000);
    await clickButton(h, structuredClone(request), DENY_ACTION_ID, OP);
    await homeWhen(USERS.admin, (t) => !t.includes(line));
    expect(h.posts(d.id)).toHaveLength(0);
  });
});
