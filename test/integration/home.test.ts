// The App Home tab through the real Bolt receiver: app_home_opened (an Events API callback, signed
// as Slack signs it) publishes each person's tab with views.publish; filtering, paging and a
// Droplet's menu are block_actions from that tab.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appHomeOpenedBody, blockActionsBody, sendToBot, type JsonObject, type SlackView } from 'droplet-bot-sandbox';
import { roleMapSchema } from '../../src/domain/policy.js';
import { APPROVE_ACTION_ID } from '../../src/slack/renderers/approval-messages.js';
import { HOME_DROPLET_MENU, HOME_FILTER_BLOCK, HOME_FILTER_INPUT, HOME_PAGE, MAX_VIEW_BLOCKS } from '../../src/slack/renderers/home-view.js';
import { ACTION_BLOCK, CHANNEL_BLOCK, DROPLET_BLOCK } from '../../src/slack/renderers/modal/ids.js';
import { SECRETS, USERS, startHarness, type Harness } from '../support/harness.js';

const WEB_OP = 'U0WEBOP01';
let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    roleMap: roleMapSchema.parse({
      roles: {
        admin: ['droplet:update', 'droplet:create', 'droplet:admin', 'image:create'],
        'web-operator': { scopes: ['droplet:update'], droplets: ['tag:home-web'] },
      },
      members: { [USERS.admin]: ['admin'], [WEB_OP]: ['web-operator'] },
      approvals: { actions: ['power_off'], approvers: ['admin'] },
    }),
  });
  for (let i = 1; i <= 25; i++) h.digitalocean.addDroplet({ name: `home-web-${String(i).padStart(2, '0')}`, tags: ['home-web', 'env:prod'] });
});
afterAll(async () => {
  await h?.stop();
});

const home = (user: string) => h.slack.workspace.views.homeFor(user)?.view;
const dropletBlocks = (view: SlackView) => view.blocks.filter((b) => String(b.block_id).startsWith('droplet:'));
const names = (view: SlackView) => dropletBlocks(view).map((b) => /^\*([^*]+)\*/.exec(String((b.text as JsonObject).text))![1]);
const menuValues = (b: JsonObject) => (((b.accessory as JsonObject | undefined)?.options ?? []) as JsonObject[]).map((o) => String(o.value));

/** Opens the Home tab as `user`; resolves once a new version of it is published. */
async function openHome(user: string): Promise<SlackView> {
  const before = home(user)?.hash;
  const res = await sendToBot(h.eventsUrl, SECRETS.signingSecret, appHomeOpenedBody({ user_id: user, ...(home(user) ? { view: home(user)! } : {}) }), { 'content-type': 'application/json' });
  expect(res.status).toBe(200);
  return h.slack.waitFor(() => (home(user) && home(user)!.hash !== before ? home(user) : undefined), 5000);
}

/** An element of the Home tab used by `user`; resolves with the next published version. */
async function useHome(user: string, action: JsonObject, values: SlackView['state']['values'] = {}): Promise<SlackView> {
  const view = home(user)!;
  const before = view.hash;
  const res = await sendToBot(h.eventsUrl, SECRETS.signingSecret, blockActionsBody({ user_id: user, view: { ...view, state: { values } }, actions: [action as never] }));
  expect(res.status).toBe(200);
  return h.slack.waitFor(() => (home(user)!.hash !== before ? home(user) : undefined), 5000);
}

describe('the Home tab', () => {
  it('shows someone with no rights how to get them, and no Droplets', async () => {
    const view = await openHome(USERS.nobody);
    expect(view.type).toBe('home');
    expect(JSON.stringify(view.blocks)).toContain('You may not run any Droplet action yet');
    expect(dropletBlocks(view)).toEqual([]);
    expect(h.slack.callsTo('views.publish').at(-1)!.args.user_id).toBe(USERS.nobody);
  });

  it('lists only the Droplets a person’s roles reach, 20 a page, each with the actions they may run', async () => {
    const view = await openHome(WEB_OP);
    expect(names(view)).toHaveLength(20);
    expect(names(view)[0]).toBe('home-web-01');
    expect(names(view).every((n) => n!.startsWith('home-web-'))).toBe(true);
    expect(JSON.stringify(view.blocks)).toContain('1–20 of 25');
    const first = dropletBlocks(view)[0]!;
    expect(String((first.text as JsonObject).text)).toMatch(/^\*home-web-01\* \(\d+\)\nactive · s-1vcpu-1gb · nyc3 · `home-web` `env:prod`$/);
    // droplet:update only: a reboot, a power cycle…, and the form for the rest; never a rebuild.
    const values = menuValues(first);
    expect(values[0]).toMatch(/^reboot:\d+$/);
    expect(values).toHaveLength(5);
    expect(values.at(-1)).toMatch(/^other:\d+$/);
    expect(values.some((v) => v.startsWith('rebuild:'))).toBe(false);
    const nextButton = (view.blocks.find((b) => b.block_id === HOME_PAGE)!.elements as JsonObject[]).find((e) => e.action_id === `${HOME_PAGE}:next`)!;
    const next = await useHome(WEB_OP, { action_id: `${HOME_PAGE}:next`, block_id: HOME_PAGE, value: String(nextButton.value) });
    expect(names(next)).toEqual(['home-web-21', 'home-web-22', 'home-web-23', 'home-web-24', 'home-web-25']);
    expect(JSON.stringify(next.blocks)).toContain('21–25 of 25');
    expect(view.blocks.length).toBeLessThanOrEqual(MAX_VIEW_BLOCKS);
  });

  it('filters by name or tag', async () => {
    await openHome(USERS.admin);
    const byName = await useHome(USERS.admin, { action_id: HOME_FILTER_INPUT, block_id: HOME_FILTER_BLOCK, type: 'plain_text_input', value: 'web-1' });
    expect(names(byName)).toEqual(['home-web-10', 'home-web-11', 'home-web-12', 'home-web-13', 'home-web-14', 'home-web-15', 'home-web-16', 'home-web-17', 'home-web-18', 'home-web-19', 'web-1']);
    const byTag = await useHome(USERS.admin, { action_id: HOME_FILTER_INPUT, block_id: HOME_FILTER_BLOCK, type: 'plain_text_input', value: 'tag:env:prod' });
    expect(JSON.stringify(byTag.blocks)).toContain('matching `tag:env:prod`');
    expect(dropletBlocks(byTag).length).toBeGreaterThan(0);
    for (const b of dropletBlocks(byTag)) expect(String((b.text as JsonObject).text)).toContain('`env:prod`');
    const none = await useHome(USERS.admin, { action_id: HOME_FILTER_INPUT, block_id: HOME_FILTER_BLOCK, type: 'plain_text_input', value: 'no-such-thing' });
    expect(JSON.stringify(none.blocks)).toContain('None of your Droplets matches');
  });

  it('opens the /droplet form filled in from each choice of a Droplet’s menu, asking where to post', async () => {
    await openHome(USERS.admin);
    // The last test left a filter that matches nothing: clear it.
    const view = await useHome(USERS.admin, { action_id: HOME_FILTER_INPUT, block_id: HOME_FILTER_BLOCK, type: 'plain_text_input', value: '' });
    const first = dropletBlocks(view)[0]!;
    const choices = menuValues(first);
    // An admin's menu: the four common actions, and the form for the rest.
    expect(choices.map((v) => v.split(':')[0])).toEqual(['reboot', 'power_cycle', 'shutdown', 'power_on', 'other']);
    for (const choice of choices) {
      const [verb, dropletId] = choice.split(':') as [string, string];
      const known = new Set(h.slack.workspace.views.all().map((r) => r.view.id));
      const res = await sendToBot(
        h.eventsUrl,
        SECRETS.signingSecret,
        blockActionsBody({
          user_id: USERS.admin,
          view,
          trigger_id: h.slack.workspace.views.issueTriggerId(USERS.admin),
          actions: [{ action_id: HOME_DROPLET_MENU, block_id: String(first.block_id), type: 'overflow', selected_option: { text: { type: 'plain_text', text: verb }, value: choice } }],
        }),
      );
      expect(res.status).toBe(200);
      const modal = await h.slack.waitFor(() => {
        const top = h.slack.workspace.views.topFor(USERS.admin)?.view;
        return top && !known.has(top.id) && top.blocks.some((b) => b.block_id === ACTION_BLOCK) ? top : undefined;
      }, 5000);
      const initial = (id: string) => ((modal.blocks.find((b) => b.block_id === id)?.element as JsonObject | undefined)?.initial_option as JsonObject | undefined)?.value;
      // "Other action…" leaves the action to choose; every other choice fills it in.
      expect(initial(ACTION_BLOCK)).toBe(verb === 'other' ? undefined : verb);
      expect(initial(DROPLET_BLOCK)).toBe(dropletId);
      expect(modal.blocks.some((b) => b.block_id === CHANNEL_BLOCK)).toBe(true);
    }
  });

  it('lists requests waiting for this person’s approval, and approves one from the tab', async () => {
    const d = h.digitalocean.addDroplet({ name: 'home-web-approve', tags: ['home-web'] });
    await h.command('power-off home-web-approve', WEB_OP);
    await h.slack.waitFor(() => h.roots().find((m) => m.text?.startsWith('power-off on home-web-approve') && m.text.includes('awaiting approval')), 10_000);
    // The requester's own tab does not offer it; an approver's does.
    expect(JSON.stringify((await openHome(WEB_OP)).blocks)).not.toContain('Waiting for your approval');
    const view = await openHome(USERS.admin);
    const text = JSON.stringify(view.blocks);
    expect(text).toContain('Waiting for your approval');
    expect(text).toContain(`*power-off* on *home-web-approve* (${d.id}), asked by <@${WEB_OP}>`);
    const buttons = view.blocks.find((b) => String(b.block_id).startsWith('approval-buttons:'))!;
    const approve = (buttons.elements as JsonObject[]).find((e) => e.action_id === APPROVE_ACTION_ID)!;
    expect(h.posts(d.id)).toHaveLength(0);
    const after = await useHome(USERS.admin, { action_id: APPROVE_ACTION_ID, block_id: String(buttons.block_id), value: String(approve.value) });
    // Published again without it; the action runs once.
    expect(JSON.stringify(after.blocks)).not.toContain('Waiting for your approval');
    await h.waitForFinal('power_off', 'home-web-approve');
    expect(h.posts(d.id)).toHaveLength(1);
  });
});
