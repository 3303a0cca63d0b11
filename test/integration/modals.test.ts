// The /droplet modal end to end: signed slash commands, block_actions, block_suggestion,
// view_submission and view_closed payloads into the real Bolt receiver; views.open/update go to
// the Slack simulator (which enforces the 3-second, single-use trigger_id), choices come live
// from the DigitalOcean simulator, and submissions run through Redis and the worker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { roleMapSchema } from '../../src/domain/policy.js';
import type { JsonObject, SlackView, StoredMessage } from 'droplet-bot-sandbox';
import { ACTION_BLOCK, ACTION_SELECT, DROPLET_BLOCK, DROPLET_SELECT } from '../../src/slack/renderers/modal/ids.js';
import { FLEET_RUN } from '../../src/slack/renderers/fleet-messages.js';
import { CHANNEL, USERS, startHarness, type Harness } from '../support/harness.js';
import { changeInView, clickButton, closeView, submitView, suggest } from '../support/interactions.js';
import { redisUrl } from '../support/redis.js';

type Values = SlackView['state']['values'];

let h: Harness;
/** Fresh Droplets for the fleet tests, added before the picker first reads the Droplet list. */
let picker: number[] = [];
let runner: number[] = [];
beforeAll(async () => {
  h = await startHarness({
    roleMap: roleMapSchema.parse({
      roles: { operator: ['droplet:update'], admin: ['droplet:update', 'droplet:create', 'droplet:admin', 'image:create'] },
      members: { [USERS.admin]: ['admin'], [USERS.operator]: ['operator'] },
      approvals: { actions: ['password_reset'], approvers: ['admin'] },
    }),
  });
  // Trigger IDs must be ones the workspace issued, used once, within 3 seconds, as in Slack.
  h.slack.workspace.strictTriggers = true;
  picker = [1, 2, 3].map((i) => h.digitalocean.addDroplet({ name: `pick-${i}`, tags: ['team:picker'] }).id);
  runner = [1, 2, 3].map((i) => h.digitalocean.addDroplet({ name: `runner-${i}`, tags: ['team:runner'] }).id);
});
afterAll(async () => {
  await h?.stop();
});

const posts = (dropletId?: number) => h.digitalocean.requests.filter((r) => r.method === 'POST' && (dropletId === undefined || r.path === `/v2/droplets/${dropletId}/actions`));
const block = (view: SlackView, id: string) => view.blocks.find((b) => b.block_id === id);
const paramBlock = (view: SlackView, key: string) => view.blocks.find((b) => String(b.block_id).startsWith(`param:${key}:`));
const element = (b: JsonObject | undefined) => (b?.element ?? {}) as JsonObject;
const optionValues = (b: JsonObject | undefined) => ((element(b).options ?? []) as JsonObject[]).map((o) => String(o.value));
const optionTexts = (b: JsonObject | undefined) => ((element(b).options ?? []) as JsonObject[]).map((o) => String((o.text as JsonObject).text));
const selected = (text: string, value: string) => ({ text: { type: 'plain_text', text, emoji: true }, value });

function current(viewId: string): SlackView {
  return h.slack.workspace.views.get(viewId)!.view;
}

/** `/droplet <text>` with a trigger the workspace issued; resolves with the filled-in modal. */
async function openModal(text: string, user = USERS.admin): Promise<SlackView> {
  const known = new Set(h.slack.workspace.views.all().map((r) => r.view.id));
  const triggerId = h.slack.workspace.views.issueTriggerId(user);
  const res = await h.command(text, user, { triggerId });
  expect(res.status).toBe(200);
  expect(res.text).toBe('');
  return h.slack.waitFor(() => {
    const top = h.slack.workspace.views.topFor(user)?.view;
    return top && !known.has(top.id) && (block(top, ACTION_BLOCK) || top.close?.text === 'Close') ? top : undefined;
  }, 5000);
}

/** The user picks something: Slack updates the view's state and sends block_actions; waits for views.update. */
async function pick(view: SlackView, user: string, blockId: string, actionId: string, type: string, option: JsonObject): Promise<SlackView> {
  const values: Values = { ...structuredClone(current(view.id).state.values), [blockId]: { [actionId]: { type, selected_option: option } } };
  const before = h.slack.workspace.views.setState(view.id, values).view;
  const res = await changeInView(h, before, user, { block_id: blockId, action_id: actionId, type, selected_option: option }, values);
  expect(res.status).toBe(200);
  return h.slack.waitFor(() => (current(view.id).hash !== before.hash ? current(view.id) : undefined), 5000);
}

const pickAction = (view: SlackView, action: string, user = USERS.admin) => pick(view, user, ACTION_BLOCK, ACTION_SELECT, 'static_select', selected(action, action));
const pickDroplet = (view: SlackView, id: number, user = USERS.admin) => pick(view, user, DROPLET_BLOCK, DROPLET_SELECT, 'external_select', selected(String(id), String(id)));
const pickFleet = (view: SlackView, selector: string, user = USERS.admin) => pick(view, user, DROPLET_BLOCK, DROPLET_SELECT, 'external_select', selected(selector, selector));

/** Values as Slack would submit them, from the view's current state plus `extra` inputs. */
function withInputs(view: SlackView, extra: Record<string, JsonObject>): Values {
  const values: Values = structuredClone(current(view.id).state.values);
  for (const [key, state] of Object.entries(extra)) {
    const b = paramBlock(current(view.id), key);
    if (!b) throw new Error(`no ${key} input in the modal`);
    values[String(b.block_id)] = { [`param:${key}`]: state };
  }
  return values;
}

describe('/droplet with no arguments', () => {
  it('opens a loading view inside the trigger window, then fills it with the actions this user may run', async () => {
    const view = await openModal('', USERS.operator);
    const opened = h.slack.callsTo('views.open').at(-1)!;
    expect(JSON.stringify(opened.args.view)).toContain('Reading your Droplets from DigitalOcean');
    const updates = h.slack.callsTo('views.update').filter((c) => c.args.view_id === view.id);
    expect(updates.length).toBeGreaterThanOrEqual(1);
    const actions = optionValues(block(view, ACTION_BLOCK));
    expect(actions).toContain('reboot');
    expect(actions).not.toContain('rebuild');
    expect(element(block(view, DROPLET_BLOCK)).type).toBe('external_select');
    expect(block(view, ACTION_BLOCK)!.dispatch_action).toBe(true);
  });

  it('serves the Droplet type-ahead from DigitalOcean, and nothing to someone without a role', async () => {
    const view = await openModal('');
    const res = await suggest(h, view, USERS.admin, DROPLET_BLOCK, DROPLET_SELECT, 'WEB');
    expect(res.status).toBe(200);
    const options = (res.json as { options: JsonObject[] }).options;
    expect(options.map((o) => o.value)).toEqual(['3164444', '3164445']);
    expect((options[0]!.text as JsonObject).text).toBe('web-1 · nyc3 · active');
    const byId = await suggest(h, view, USERS.admin, DROPLET_BLOCK, DROPLET_SELECT, '316444');
    expect((byId.json as { options: JsonObject[] }).options.length).toBeGreaterThanOrEqual(6);
    const none = await suggest(h, view, USERS.nobody, DROPLET_BLOCK, DROPLET_SELECT, '');
    expect((none.json as { options: unknown[] }).options).toEqual([]);
  });

  it('changes with the action and the Droplet: resize offers the sizes of its region with prices and the current one marked', async () => {
    let view = await openModal('');
    view = await pickAction(view, 'resize');
    expect(JSON.stringify(view.blocks)).toContain('Pick a Droplet to see the choices for it.');
    view = await pickDroplet(view, 3164444);
    const sizes = paramBlock(view, 'size');
    const values = optionValues(sizes);
    expect(values).toContain('s-2vcpu-4gb');
    expect(values).not.toContain('g-2vcpu-8gb'); // not offered in nyc3
    expect(values).not.toContain('m-2vcpu-16gb'); // sold out
    expect(optionTexts(sizes)).toContain('s-1vcpu-1gb (current)');
    const s24 = (element(sizes).options as JsonObject[]).find((o) => o.value === 's-2vcpu-4gb')!;
    expect((s24.description as JsonObject).text).toBe('2 vCPU · 4 GB RAM · 80 GB disk · $24/month');
    expect((paramBlock(view, 'disk')!.hint as JsonObject).text).toContain('A disk resize cannot be undone');

    const ams = await pickDroplet(view, 3164446);
    expect(optionValues(paramBlock(ams, 'size'))).not.toContain('s-8vcpu-16gb'); // not offered in ams3
    expect(optionTexts(paramBlock(ams, 'size'))).toContain('s-2vcpu-4gb (current)');
  });

  it('submits a resize from the modal: queued and run once with exactly the picked parameters', async () => {
    let view = await openModal('');
    view = await pickAction(view, 'resize');
    view = await pickDroplet(view, 3164449); // staging-1: ams3, powered off
    const res = await submitView(h, view, USERS.admin, withInputs(view, {
      size: { type: 'static_select', selected_option: selected('s-2vcpu-4gb', 's-2vcpu-4gb') },
      disk: { type: 'checkboxes', selected_options: [selected('Also resize the disk', 'true')] },
    }));
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    const root = await h.slack.waitFor(() => h.roots().find((m) => m.text === 'resize on staging-1: completed'), 15_000);
    expect(JSON.stringify(root.blocks)).toContain('`size=s-2vcpu-4gb disk=true`');
    expect(posts(3164449)).toHaveLength(1);
    expect(posts(3164449)[0]!.body).toEqual({ type: 'resize', size: 's-2vcpu-4gb', disk: true });
  });

  it('opens on a graceful stop for `/droplet stop`, puts a bad timeout next to its field, then runs the stop', async () => {
    const d = h.digitalocean.addDroplet({ name: 'modal-stop' });
    let view = await openModal('stop');
    expect(JSON.stringify(block(view, ACTION_BLOCK))).toContain('"initial_option":{"text":{"type":"plain_text","text":"stop"');
    view = await pickAction(view, 'stop');
    view = await pickDroplet(view, d.id);
    expect(JSON.stringify(view.blocks)).toContain('*modal-stop* will be shut down gracefully');
    const timeoutBlock = String(view.blocks.find((b) => b.block_id === 'option:timeout:stop')!.block_id);
    const values = (timeout: string): Values => ({ ...structuredClone(current(view.id).state.values), [timeoutBlock]: { 'option:timeout': { type: 'plain_text_input', value: timeout } } });
    const bad = await submitView(h, view, USERS.admin, values('5s'));
    expect(bad.json).toEqual({ response_action: 'errors', errors: { [timeoutBlock]: expect.stringContaining('timeout must be a duration from 10s to 30m') } });
    expect(posts(d.id)).toHaveLength(0);
    const ok = await submitView(h, view, USERS.admin, values('1m'));
    expect(ok.text).toBe('');
    const root = await h.slack.waitFor(() => h.roots().find((m) => m.text === 'stop on modal-stop: completed'), 15_000);
    expect(JSON.stringify(root.blocks)).toContain('after 1 min');
    expect(posts(d.id).map((r) => (r.body as { type: string }).type)).toEqual(['shutdown']);
  });

  it('shows problems next to the field and queues nothing', async () => {
    const before = posts().length;
    const rootsBefore = h.roots().length;
    let view = await openModal('');
    view = await pickAction(view, 'rename');
    view = await pickDroplet(view, 3164445);
    const res = await submitView(h, view, USERS.admin, withInputs(view, { name: { type: 'plain_text_input', value: 'not a hostname!' } }));
    const nameBlock = String(paramBlock(view, 'name')!.block_id);
    expect(res.json).toEqual({ response_action: 'errors', errors: { [nameBlock]: expect.stringContaining('name must be a valid hostname') } });

    let policy = await pickAction(view, 'change_backup_policy');
    policy = current(policy.id);
    const bad = await submitView(h, policy, USERS.admin, withInputs(policy, {
      plan: { type: 'static_select', selected_option: selected('Daily', 'daily') },
      weekday: { type: 'static_select', selected_option: selected('Monday', 'MON') },
    }));
    expect((bad.json as { errors: Record<string, string> }).errors).toEqual({ [String(paramBlock(policy, 'weekday')!.block_id)]: 'weekday only applies to plan=weekly' });
    // Refused inside the ack, before anything was recorded: nothing can run later.
    expect((await h.pending(3164444)).intake).toBe(0);
    expect(posts().length).toBe(before);
    expect(h.roots().length).toBe(rootsBefore);
  });

  it('tells the user in a direct message when the bot cannot post where the form was opened', async () => {
    const before = posts().length;
    let view = await openModal('');
    view = await pickAction(view, 'reboot');
    view = await pickDroplet(view, 3164445);
    // As if /droplet had been typed in #random, where the bot is not a member.
    const res = await submitView(h, { ...view, private_metadata: JSON.stringify({ c: 'C0RANDOM' }) }, USERS.admin, current(view.id).state.values);
    expect(res.text).toBe('');
    const dm = await h.slack.waitFor(() => h.slack.workspace.messages().find((m) => m.text.includes('Invite me with `/invite @droplet-bot`')), 5000);
    expect(h.slack.workspace.getChannel(dm.channel)?.is_im).toBe(true);
    expect(posts().length).toBe(before);
  });

  it('closing the modal does nothing', async () => {
    const before = posts().length;
    const view = await openModal('');
    const res = await closeView(h, view, USERS.admin);
    expect(res.status).toBe(200);
    expect(posts().length).toBe(before);
  });
});

describe('live choices', () => {
  it('rebuild offers distributions, applications and the account snapshots, not backups', async () => {
    let view = await openModal('');
    view = await pickAction(view, 'rebuild');
    const groups = (element(paramBlock(view, 'image')).option_groups as JsonObject[]).map((g) => ({
      label: (g.label as JsonObject).text,
      values: (g.options as JsonObject[]).map((o) => o.value),
    }));
    expect(groups.map((g) => g.label)).toEqual(['Distributions', 'Applications', 'Your snapshots']);
    expect(groups[0]!.values).toContain('ubuntu-24-04-x64');
    expect(groups[1]!.values).toContain('docker-20-04');
    expect(groups[2]!.values).toEqual(expect.arrayContaining(['162900055', '162900101']));
    expect(groups[2]!.values).not.toContain('163000201'); // a backup
  });

  it("restore offers that Droplet's backups, change-kernel its kernels with the current one marked", async () => {
    let view = await openModal('');
    view = await pickAction(view, 'restore');
    view = await pickDroplet(view, 3164444);
    expect(optionValues(paramBlock(view, 'image'))).toEqual(['163000202', '163000201']);
    view = await pickAction(view, 'change_kernel');
    view = await pickDroplet(view, 3164446);
    // Newest first, so the cut to Slack's 100 drops the oldest.
    expect(optionValues(paramBlock(view, 'kernel'))).toEqual(['9311', '9310', '8460']);
    expect(optionTexts(paramBlock(view, 'kernel'))).toContain('Debian 12 x64 vmlinuz-6.1.0-18-amd64 (current)');
  });

  it('backup policies offer only what the API accepts', async () => {
    let view = await openModal('');
    view = await pickAction(view, 'enable_backups');
    expect(optionValues(paramBlock(view, 'plan'))).toEqual(['daily', 'weekly']);
    expect(optionValues(paramBlock(view, 'weekday'))).toEqual(['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT']);
    expect(optionValues(paramBlock(view, 'hour'))).toEqual(['0', '4', '8', '12', '16', '20']);
    expect(paramBlock(view, 'plan')!.optional).toBe(true);
    view = await pickAction(view, 'change_backup_policy');
    expect(paramBlock(view, 'plan')!.optional).toBe(false);
  });

  it('says when an action needs approval, and a submitted one waits for it', async () => {
    let view = await openModal('');
    view = await pickAction(view, 'password_reset');
    expect(view.submit?.text).toBe('Ask for approval');
    view = await pickDroplet(view, 3164445);
    await submitView(h, view, USERS.admin, current(view.id).state.values);
    await h.slack.waitFor(() => h.roots().find((m) => m.text === 'password-reset on web-2: awaiting approval'), 5000);
    expect(posts(3164445).filter((p) => (p.body as { type: string }).type === 'password_reset')).toHaveLength(0);
  });
});

describe('typed commands with something missing', () => {
  it('opens the modal with the action, the Droplet and the typed values filled in', async () => {
    const view = await openModal('resize web-2 disk=true');
    expect(element(block(view, ACTION_BLOCK)).initial_option).toMatchObject({ value: 'resize' });
    expect(element(block(view, DROPLET_BLOCK)).initial_option).toMatchObject({ value: '3164445' });
    expect(optionTexts(paramBlock(view, 'size'))).toContain('s-1vcpu-2gb (current)');
    expect(element(paramBlock(view, 'disk')).initial_options).toHaveLength(1);
  });

  it('opens it for an action alone, and says when the typed Droplet is not found', async () => {
    const alone = await openModal('rename');
    expect(element(block(alone, ACTION_BLOCK)).initial_option).toMatchObject({ value: 'rename' });
    const missing = await openModal('rename no-such-droplet');
    expect(JSON.stringify(missing.blocks)).toContain('No Droplet is named `no-such-droplet`. Pick one below.');
    expect(element(block(missing, DROPLET_BLOCK)).initial_option).toBeUndefined();
  });

  it('people with no rights cause no DigitalOcean lookups: typed Droplets, a picked Droplet, history or an action', async () => {
    const before = h.digitalocean.requests.length;
    const view = await openModal('resize web-1', USERS.nobody);
    expect(JSON.stringify(view.blocks)).not.toContain('s-1vcpu');
    await pickDroplet(view, 3164444, USERS.nobody);
    for (const text of ['history web-1', 'reboot web-1']) {
      const res = await h.command(text, USERS.nobody);
      await h.slack.waitFor(() => h.responses(res.responseUrl).length > 0, 5000);
    }
    expect(h.digitalocean.requests.slice(before)).toEqual([]);
  });

  it('opens the modal within the trigger window even when DigitalOcean is slow, and fills it in later', async () => {
    h.digitalocean.failNext({ method: 'GET', path: '/v2/droplets' }, { delayMs: 3500 });
    const known = new Set(h.slack.workspace.views.all().map((r) => r.view.id));
    const triggerId = h.slack.workspace.views.issueTriggerId(USERS.admin);
    const res = await h.command('rename web-2', USERS.admin, { triggerId });
    const loading = await h.slack.waitFor(() => {
      const top = h.slack.workspace.views.topFor(USERS.admin)?.view;
      return top && !known.has(top.id) ? top : undefined;
    }, 2500);
    expect(JSON.stringify(loading.blocks)).toContain('Reading your Droplets from DigitalOcean');
    const filled = await h.slack.waitFor(() => (block(current(loading.id), DROPLET_BLOCK) ? current(loading.id) : undefined), 8000);
    expect(element(block(filled, DROPLET_BLOCK)).initial_option).toMatchObject({ value: '3164445' });
  });

  it('still answers a wrong value with the usage, without a modal', async () => {
    const opens = h.slack.callsTo('views.open').length;
    const res = await h.command('change-backup-policy web-1 plan=daily hour=5');
    expect((res.json as { text: string }).text).toContain('hour must be one of 0, 4, 8, 12, 16, 20');
    expect(h.slack.callsTo('views.open').length).toBe(opens);
  });
});

describe('escaping', () => {
  it('escapes a typed snapshot name in the request message and DigitalOcean names in the modal', async () => {
    h.digitalocean.state.images.push({ ...h.digitalocean.state.images.find((i) => i.id === 162900055)!, id: 162900999, name: '<!here> & <https://evil.example|x>' });
    let view = await openModal('');
    view = await pickAction(view, 'rebuild');
    const modal = JSON.stringify(view.blocks);
    expect(modal).toContain('&lt;!here&gt; &amp; &lt;https://evil.example|x&gt;');
    expect(modal).not.toContain('<!here>');

    view = await pickAction(view, 'snapshot');
    view = await pickDroplet(view, 3164445);
    await submitView(h, view, USERS.admin, withInputs(view, { name: { type: 'plain_text_input', value: '<!channel> nightly & <https://evil.example|click>' } }));
    const root = await h.slack.waitFor(() => h.roots().find((m) => m.text?.startsWith('snapshot on web-2:')), 5000);
    const text = JSON.stringify(root.blocks);
    expect(text).toContain('&lt;!channel&gt; nightly &amp; &lt;https://evil.example|click&gt;');
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<https://evil.example');
    expect(h.roots().every((m) => m.text === undefined || !m.text.includes('<!channel>'))).toBe(true);
  });
});

describe('fleets in the form', () => {
  const options = (res: { json?: unknown }) => (res.json as { options: JsonObject[] }).options.map((o) => ({ text: (o.text as JsonObject).text, value: o.value }));
  const withRollout = (view: SlackView, rollout: Record<string, string>): Values => {
    const values: Values = structuredClone(current(view.id).state.values);
    for (const [key, value] of Object.entries(rollout)) values[`rollout:${key}`] = { [`rollout:${key}`]: { type: 'plain_text_input', value } };
    return values;
  };
  /** Plans saved in Redis under this bot's prefix. */
  async function savedPlans(): Promise<number> {
    const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    try {
      return (await redis.keys(`${h.prefix.replace(/([*?[\]])/g, '\\$1')}:fleet:*`)).length;
    } finally {
      redis.disconnect();
    }
  }

  it('the type-ahead offers a tag with its count and a name pattern with its matches', async () => {
    const view = await openModal('');
    const tags = await suggest(h, view, USERS.admin, DROPLET_BLOCK, DROPLET_SELECT, 'tag:team:p');
    expect(options(tags)).toEqual([{ text: 'tag:team:picker · 3 Droplets', value: 'tag:team:picker' }]);
    const pattern = await suggest(h, view, USERS.admin, DROPLET_BLOCK, DROPLET_SELECT, 'pick-*');
    expect(options(pattern)).toEqual([{ text: 'pick-* · 3 Droplets', value: 'pick-*' }]);
    const list = await suggest(h, view, USERS.admin, DROPLET_BLOCK, DROPLET_SELECT, 'pick-1,pick-');
    expect(options(list).map((o) => o.value)).toEqual(['pick-1,pick-2', 'pick-1,pick-3']);
    expect(options(await suggest(h, view, USERS.admin, DROPLET_BLOCK, DROPLET_SELECT, 'tag:no such tag'))).toEqual([]);
    expect(options(await suggest(h, view, USERS.nobody, DROPLET_BLOCK, DROPLET_SELECT, 'tag:'))).toEqual([]);
  });

  it('choosing a tag shows batch and max_failures instead of the Droplet line, and reads nothing per Droplet', async () => {
    let view = await openModal('');
    view = await pickAction(view, 'resize');
    view = await pickDroplet(view, 3164444);
    expect(JSON.stringify(view.blocks)).toContain('active · s-1vcpu-1gb · ubuntu-24-04-x64 · nyc3');
    const before = h.digitalocean.requests.length;
    view = await pickFleet(view, 'tag:team:picker');
    // No Droplet's sizes, kernels or backups (earlier tests' jobs may still be reading action statuses meanwhile).
    expect(h.digitalocean.requests.slice(before).filter((r) => /^\/v2\/(sizes|droplets\/\d+)/.test(r.path))).toEqual([]);
    expect(element(block(view, DROPLET_BLOCK)).initial_option).toMatchObject({ value: 'tag:team:picker' });
    expect(element(block(view, 'rollout:batch')).type).toBe('plain_text_input');
    expect(block(view, 'rollout:max_failures')!.optional).toBe(true);
    expect(element(paramBlock(view, 'size')).type).toBe('plain_text_input');
    const text = JSON.stringify(view.blocks);
    expect(text).not.toContain('active · s-1vcpu-1gb');
    expect(text).not.toContain('(current)');
    expect(text).toContain('Nothing runs until you click Run');
    expect(view.submit?.text).toBe('Show the plan');
  });

  it('a bad batch shows its error under its field, and nothing is planned or queued', async () => {
    const plans = await savedPlans();
    const ephemerals = h.slack.workspace.ephemerals({ user: USERS.admin }).length;
    let view = await openModal('');
    view = await pickAction(view, 'reboot');
    view = await pickFleet(view, 'tag:team:picker');
    const res = await submitView(h, view, USERS.admin, withRollout(view, { batch: 'half', max_failures: '1' }));
    expect(res.json).toEqual({ response_action: 'errors', errors: { 'rollout:batch': expect.stringContaining('batch must be a number of Droplets from 1 to 1000 (batch=2) or a percentage') } });
    // Refused inside the ack, where the handler ends: nothing was left to run later.
    expect(await savedPlans()).toBe(plans);
    expect(h.slack.workspace.ephemerals({ user: USERS.admin }).length).toBe(ephemerals);
    expect(posts().filter((p) => picker.some((id) => p.path === `/v2/droplets/${id}/actions`))).toEqual([]);
  });

  it('a good submission shows the plan to the asker only; Run runs the fleet once per Droplet', async () => {
    let view = await openModal('');
    view = await pickAction(view, 'reboot');
    view = await pickFleet(view, 'tag:team:runner');
    const res = await submitView(h, view, USERS.admin, withRollout(view, { batch: '2' }));
    expect(res.text).toBe('');
    const plan = await h.slack.waitFor(() => h.slack.workspace.ephemerals({ user: USERS.admin }).find((e) => e.text === 'Plan: reboot on 3 Droplets. Run or Cancel.'), 5000);
    expect(plan.source).toEqual({ kind: 'chat.postEphemeral' });
    expect(plan.channel).toBe(CHANNEL);
    const shown = JSON.stringify(plan.blocks);
    expect(shown).toContain('on 3 Droplets matching `tag:team:runner`');
    expect(shown).toContain('2 at a time · pauses at the first error');
    expect(h.slack.workspace.ephemerals().filter((e) => e.ts === plan.ts).map((e) => e.user)).toEqual([USERS.admin]);
    expect(posts().filter((p) => runner.some((id) => p.path === `/v2/droplets/${id}/actions`))).toEqual([]);

    const run = await clickButton(h, plan as unknown as StoredMessage, FLEET_RUN, USERS.admin);
    await h.slack.waitFor(() => run.replies().find((r) => r.startsWith('Running reboot on 3 Droplets')), 5000);
    // The reply replaced the plan, so its Run button is gone.
    expect(h.slack.workspace.getEphemeral(plan.ts)?.text).toMatch(/^Running reboot on 3 Droplets/);
    const root = await h.slack.waitFor(() => h.roots().find((m) => m.text === 'reboot on 3 Droplets (tag:team:runner): finished'), 20_000);
    expect(JSON.stringify(root.blocks)).toContain('3/3 completed');
    for (const id of runner) expect(posts(id)).toHaveLength(1);
  });

  it('tells the user when the selector matches nothing, and plans nothing', async () => {
    const plans = await savedPlans();
    let view = await openModal('');
    view = await pickAction(view, 'reboot');
    view = await pickFleet(view, 'zz-none-*');
    const res = await submitView(h, view, USERS.admin, current(view.id).state.values);
    expect(res.text).toBe('');
    const told = await h.slack.waitFor(() => h.slack.workspace.ephemerals({ user: USERS.admin }).find((e) => e.text.startsWith('No Droplet matches `zz-none-*`')), 5000);
    expect(told.text).toContain('Nothing was done');
    expect(await savedPlans()).toBe(plans);
  });

  it('a typed fleet command missing a required value opens the form on that fleet, with its batch', async () => {
    const view = await openModal('resize tag:team:picker batch=25%');
    expect(element(block(view, ACTION_BLOCK)).initial_option).toMatchObject({ value: 'resize' });
    expect(element(block(view, DROPLET_BLOCK)).initial_option).toMatchObject({ value: 'tag:team:picker' });
    expect(element(block(view, 'rollout:batch')).initial_value).toBe('25%');
    expect(element(paramBlock(view, 'size')).type).toBe('plain_text_input');
  });
});
