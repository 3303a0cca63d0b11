// Shortcuts: "Droplet action" in the lightning-bolt menu opens the /droplet form from anywhere,
// signed and sent into the real Bolt receiver as Slack sends it. Opened outside a channel, the
// form asks where to post the request, and a channel's guardrail is said next to that choice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globalShortcutBody, messageShortcutBody, sendToBot, type JsonObject, type SlackView, type StoredMessage } from 'droplet-bot-sandbox';
import { roleMapSchema } from '../../src/domain/policy.js';
import { ACTION_BLOCK, ACTION_SELECT, CHANNEL_BLOCK, CHANNEL_SELECT, DROPLET_BLOCK, DROPLET_SELECT } from '../../src/slack/renderers/modal/ids.js';
import { GLOBAL_SHORTCUT, MESSAGE_SHORTCUT } from '../../src/slack/listeners/shortcuts.js';
import { CHANNEL, SECRETS, USERS, startHarness, type Harness } from '../support/harness.js';
import { submitView } from '../support/interactions.js';

const QUIET = 'C0QUIET01';
let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    roleMap: roleMapSchema.parse({
      roles: { operator: ['droplet:update'], admin: ['droplet:update', 'droplet:create', 'droplet:admin', 'image:create'] },
      members: { [USERS.admin]: ['admin'], [USERS.operator]: ['operator'] },
      channels: { [QUIET]: { actions: ['power-on'] } },
    }),
  });
});
afterAll(async () => {
  await h?.stop();
});

type Values = SlackView['state']['values'];
const block = (view: SlackView, id: string) => view.blocks.find((b) => b.block_id === id);
const options = (b: JsonObject | undefined) => (((b?.element as JsonObject | undefined)?.options ?? []) as JsonObject[]).map((o) => String(o.value));

/** The lightning-bolt menu's "Droplet action", as `user`; resolves with the filled-in form. */
async function shortcut(user: string): Promise<SlackView> {
  const known = new Set(h.slack.workspace.views.all().map((r) => r.view.id));
  const triggerId = h.slack.workspace.views.issueTriggerId(user);
  const res = await sendToBot(h.eventsUrl, SECRETS.signingSecret, globalShortcutBody({ user_id: user, callback_id: GLOBAL_SHORTCUT, trigger_id: triggerId }));
  expect(res.status).toBe(200);
  return h.slack.waitFor(() => {
    const top = h.slack.workspace.views.topFor(user)?.view;
    return top && !known.has(top.id) && (block(top, ACTION_BLOCK) || top.close?.text === 'Close') ? top : undefined;
  }, 5000);
}

function filled(channel: string | undefined, action: string, dropletId: number): Values {
  return {
    ...(channel ? { [CHANNEL_BLOCK]: { [CHANNEL_SELECT]: { type: 'conversations_select', selected_conversation: channel } } } : {}),
    [ACTION_BLOCK]: { [ACTION_SELECT]: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: action }, value: action } } },
    [DROPLET_BLOCK]: { [DROPLET_SELECT]: { type: 'external_select', selected_option: { text: { type: 'plain_text', text: String(dropletId) }, value: String(dropletId) } } },
  };
}

describe('the global shortcut', () => {
  it('opens the form from anywhere, asking where to post, with only the actions this person may run', async () => {
    const view = await shortcut(USERS.operator);
    const channel = block(view, CHANNEL_BLOCK);
    expect(channel).toMatchObject({ type: 'input', label: { text: 'Post the request in' } });
    expect(channel!.element).toMatchObject({ type: 'conversations_select', action_id: CHANNEL_SELECT, default_to_current_conversation: true });
    expect(options(block(view, ACTION_BLOCK))).toContain('reboot');
    expect(options(block(view, ACTION_BLOCK))).not.toContain('rebuild');
    // Someone with no rights gets the explanation, and no channel to pick.
    const none = await shortcut(USERS.nobody);
    expect(JSON.stringify(none.blocks)).toContain('You may not run any Droplet action yet');
  });

  it('runs nothing until a channel is chosen, then posts the request there and runs it', async () => {
    const d = h.digitalocean.addDroplet({ name: 'shortcut-1' });
    const view = await shortcut(USERS.operator);
    const missing = await submitView(h, view, USERS.operator, filled(undefined, 'reboot', d.id));
    expect(missing.json).toEqual({ response_action: 'errors', errors: { [CHANNEL_BLOCK]: 'Choose the channel to post the request in.' } });
    expect(h.posts(d.id)).toHaveLength(0);
    const ok = await submitView(h, view, USERS.operator, filled(CHANNEL, 'reboot', d.id));
    expect(ok.status).toBe(200);
    const root = await h.waitForFinal('reboot', 'shortcut-1');
    expect(root.text).toBe('reboot on shortcut-1: completed');
    expect(h.posts(d.id)).toHaveLength(1);
  });

  it('says next to the channel when that channel’s guardrail does not allow the action, and runs nothing', async () => {
    const d = h.digitalocean.addDroplet({ name: 'shortcut-2' });
    const view = await shortcut(USERS.admin);
    const res = await submitView(h, view, USERS.admin, filled(QUIET, 'reboot', d.id));
    expect(res.json).toMatchObject({ response_action: 'errors', errors: { [CHANNEL_BLOCK]: expect.stringContaining(`<#${QUIET}> allows only`) } });
    expect(h.posts(d.id)).toHaveLength(0);
  });

  it('is refused from another workspace, and opens nothing', async () => {
    const before = h.slack.callsTo('views.open').length;
    const res = await sendToBot(h.eventsUrl, SECRETS.signingSecret, globalShortcutBody({ user_id: USERS.admin, team_id: 'T0OTHER01', callback_id: GLOBAL_SHORTCUT }));
    expect(res.status).toBe(200);
    await h.slack.waitFor(() => h.logs.some((l) => l.includes('refused a request from another workspace or app') && l.includes('T0OTHER01')));
    expect(h.slack.callsTo('views.open')).toHaveLength(before);
  });
});

/** "Run a Droplet action" on `message`, as `user`; resolves with the filled-in form. */
async function onMessage(message: StoredMessage, user: string): Promise<SlackView> {
  const known = new Set(h.slack.workspace.views.all().map((r) => r.view.id));
  const triggerId = h.slack.workspace.views.issueTriggerId(user);
  const responseUrl = h.slack.responseUrl(undefined, { channel_id: CHANNEL, user_id: user });
  const res = await sendToBot(
    h.eventsUrl,
    SECRETS.signingSecret,
    messageShortcutBody({ user_id: user, callback_id: MESSAGE_SHORTCUT, channel_id: CHANNEL, message: message as unknown as JsonObject, response_url: responseUrl, trigger_id: triggerId }),
  );
  expect(res.status).toBe(200);
  return h.slack.waitFor(() => {
    const top = h.slack.workspace.views.topFor(user)?.view;
    return top && !known.has(top.id) && (block(top, ACTION_BLOCK) || top.close?.text === 'Close') ? top : undefined;
  }, 5000);
}

const pickedDroplet = (view: SlackView) => ((block(view, DROPLET_BLOCK)?.element as JsonObject | undefined)?.initial_option as JsonObject | undefined)?.value;
const noticeOf = (view: SlackView) => String(((view.blocks[0]?.text as JsonObject | undefined)?.text) ?? '');

describe('the message shortcut', () => {
  it('fills in the Droplet an alert names and posts the request in the alert’s thread', async () => {
    const d = h.digitalocean.addDroplet({ name: 'alert-web-1' });
    h.digitalocean.addDroplet({ name: 'alert-web-10' });
    // As Alertmanager posts it: the Droplet's name is in an attachment.
    const alert = h.slack.workspace.postMessage({
      channel: CHANNEL,
      user: 'U0ALERTMGR',
      text: '',
      attachments: [{ title: '[FIRING:1] HighCPU', text: 'instance alert-web-1 has had CPU above 90% for 10 minutes.', fallback: '[FIRING:1] HighCPU' }],
    });
    const view = await onMessage(alert, USERS.operator);
    expect(pickedDroplet(view)).toBe(String(d.id));
    // The channel is the message's: the form does not ask for one.
    expect(block(view, CHANNEL_BLOCK)).toBeUndefined();
    const res = await submitView(h, view, USERS.operator, filled(undefined, 'reboot', d.id));
    expect(res.status).toBe(200);
    const final = await h.slack.waitFor(() => h.thread(alert.ts).find((m) => m.text === 'reboot on alert-web-1: completed'), 20_000);
    expect(final.ts).not.toBe(alert.ts);
    // Nothing of it in the channel itself.
    expect(h.roots().filter((m) => m.text?.startsWith('reboot on alert-web-1'))).toEqual([]);
    expect(h.thread(alert.ts).length).toBeGreaterThan(1);
    expect(h.posts(d.id)).toHaveLength(1);
  });

  it('says so when the message names no Droplet, or several, and fills none in', async () => {
    const plain = h.slack.workspace.postMessage({ channel: CHANNEL, user: USERS.admin, text: 'lunch at noon?' });
    const none = await onMessage(plain, USERS.operator);
    expect(pickedDroplet(none)).toBeUndefined();
    expect(noticeOf(none)).toContain('That message names no Droplet');
    const a = h.digitalocean.addDroplet({ name: 'pair-a' });
    const b = h.digitalocean.addDroplet({ name: 'pair-b' });
    const two = h.slack.workspace.postMessage({ channel: CHANNEL, user: USERS.admin, text: `pair-b and ${a.id} are both slow` });
    const both = await onMessage(two, USERS.operator);
    expect(pickedDroplet(both)).toBeUndefined();
    expect(noticeOf(both)).toContain(`That message names 2 Droplets: \`pair-b\` (${b.id}), \`pair-a\` (${a.id})`);
  });
});
