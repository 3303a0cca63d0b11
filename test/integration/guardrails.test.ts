// Rights scoped to Droplets and channels, channel guardrails, and a role map that reloads while
// the bot runs: signed commands into the real Bolt receiver, a real Redis and BullMQ workers,
// the simulators, and a role map file the test rewrites.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoleMapSource } from '../../src/roles/role-map-source.js';
import { CHANNEL, USERS, startHarness, type Harness } from '../support/harness.js';
import type { JsonObject, SlackView, StoredMessage } from 'droplet-bot-sandbox';
import { ACTION_BLOCK, DROPLET_BLOCK, DROPLET_SELECT } from '../../src/slack/renderers/modal/ids.js';
import { buttonIn, clickButton, suggest } from '../support/interactions.js';
import { APPROVE_ACTION_ID } from '../../src/slack/renderers/approval-messages.js';
import { FLEET_RUN } from '../../src/slack/renderers/fleet-messages.js';

const WEB_OP = 'U0WEBOP01';
const OPS_ONLY = 'U0OPSONLY';
const GENERAL = 'C0GENERAL';
const NOTIFY = 'C0NOTIFY01';

const rules = (extra = '') => `roles:
  admin: [droplet:update, droplet:create, droplet:admin, image:create]
  web-operator:
    scopes: [droplet:update]
    droplets: ["web-*", "tag:env:staging"]
  ops-only:
    scopes: [droplet:update, image:create]
    channels: [${CHANNEL}]
members:
  ${USERS.admin}: [admin]
  ${WEB_OP}: [web-operator]
  ${OPS_ONLY}: [ops-only]
channels:
  ${GENERAL}: { actions: [power-on] }
approvals:
  actions: [power_off]
  approvers: [admin]
${extra}`;

const path = join(mkdtempSync(join(tmpdir(), 'roles-guard-')), 'roles.yml');
let source: RoleMapSource;
let h: Harness;
const reloads: number[] = [];
beforeAll(async () => {
  writeFileSync(path, rules());
  source = RoleMapSource.fromFile(path, { pollMs: 50, sighup: false, onReload: () => reloads.push(Date.now()) });
  source.start();
  h = await startHarness({ roleMap: source, env: { NOTIFY_CHANNEL: NOTIFY }, digitalocean: { durations: { snapshot: 4000 } } });
});
afterAll(async () => {
  source?.stop();
  await h?.stop();
});

const reply = async (text: string, user: string, channel?: string) => {
  const res = await h.command(text, user, channel ? { channel } : {});
  return h.slack.waitFor(() => h.responses(res.responseUrl)[0]?.text, 10_000);
};

/** Rewrites the role map file and waits until the bot has read it. */
async function rewrite(text: string): Promise<void> {
  const seen = reloads.length;
  writeFileSync(path, text);
  await h.slack.waitFor(() => (reloads.length > seen ? true : undefined), 5000);
}

describe('rights on Droplets and in channels', () => {
  it('a role scoped by name or tag covers only its Droplets, and the refusal says why in one line', async () => {
    h.digitalocean.addDroplet({ name: 'web-g1' });
    h.digitalocean.addDroplet({ name: 'db-g1' });
    expect(await reply('reboot db-g1', WEB_OP)).toMatch(/^You may not run `reboot` on \*db-g1\* \(\d+\): it needs the `droplet:update` scope on this Droplet, and your roles grant it only on web-\*, tag:env:staging \(role `web-operator`\)\. Nothing was done\./);
    const web = h.digitalocean.state.droplets.find((d) => d.name === 'web-g1')!;
    await h.command('reboot web-g1', WEB_OP);
    await h.waitForFinal('reboot', 'web-g1');
    expect(h.posts(web.id)).toHaveLength(1);
  });

  it('a role scoped to a channel grants nothing elsewhere; a guardrail limits everyone in its channel', async () => {
    h.digitalocean.addDroplet({ name: 'chan-g1' });
    expect(await reply('reboot chan-g1', OPS_ONLY, GENERAL)).toContain('You may not run `reboot` here: <#C0GENERAL> allows only `power-on`, whoever asks.');
    expect(await reply('snapshot chan-g1', OPS_ONLY, 'C0ELSEWHERE')).toContain('your roles grant them only in <#C0OPS0001> (role `ops-only`)');
    expect(await reply('rebuild chan-g1 image=ubuntu-22-04-x64', USERS.admin, GENERAL)).toContain('<#C0GENERAL> allows only `power-on`');
    const d = h.digitalocean.state.droplets.find((x) => x.name === 'chan-g1')!;
    expect(h.posts(d.id)).toHaveLength(0);
  });
});

describe('checked again when the worker starts the action', () => {
  it('a request whose tag left its role while it waited is not sent, with the reason in its thread', async () => {
    const d = h.digitalocean.addDroplet({ name: 'stg-g1', tags: ['env:staging'] });
    // An earlier request keeps the Droplet busy, so the next one waits in its line.
    await h.command('snapshot stg-g1', USERS.admin);
    await h.slack.waitFor(() => (h.posts(d.id).length === 1 ? true : undefined), 10_000);
    await h.command('reboot stg-g1', WEB_OP);
    await h.slack.waitFor(() => h.rootFor('reboot', 'stg-g1'), 10_000);
    d.tags = [];
    const root = await h.slack.waitFor(() => {
      const r = h.rootFor('reboot', 'stg-g1');
      return r && /not run/.test(r.text ?? '') ? r : undefined;
    }, 15_000);
    const thread = h.thread(root.ts).map((m) => m.text ?? '').join('\n');
    expect(thread).toContain('checked again before it was sent: You may not run `reboot` on *stg-g1*');
    expect(h.posts(d.id)).toHaveLength(1);
  });

  it('a request whose role was taken away in the file while it waited is not sent', async () => {
    const d = h.digitalocean.addDroplet({ name: 'web-g2' });
    await h.command('snapshot web-g2', USERS.admin);
    await h.slack.waitFor(() => (h.posts(d.id).length === 1 ? true : undefined), 10_000);
    await h.command('reboot web-g2', WEB_OP);
    await h.slack.waitFor(() => h.rootFor('reboot', 'web-g2'), 10_000);
    await rewrite(rules().replace(`  ${WEB_OP}: [web-operator]\n`, ''));
    const root = await h.slack.waitFor(() => {
      const r = h.rootFor('reboot', 'web-g2');
      return r && /not run/.test(r.text ?? '') ? r : undefined;
    }, 15_000);
    expect(h.thread(root.ts).map((m) => m.text ?? '').join('\n')).toContain('which none of your roles grant');
    expect(h.posts(d.id)).toHaveLength(1);
    await rewrite(rules());
  });
});

describe('checked again after an unanswered POST', () => {
  it('is not sent again once the rights are gone, and the thread says to check the Droplet', async () => {
    const d = h.digitalocean.addDroplet({ name: 'web-lost1' });
    // The POST leaves, its answer is lost (DigitalOcean started nothing): the job tries again in 2 s.
    h.digitalocean.failNext({ method: 'POST', path: `/v2/droplets/${d.id}/actions` }, { dropConnection: true });
    await h.command('reboot web-lost1', WEB_OP);
    await h.slack.waitFor(() => (h.posts(d.id).length === 1 ? true : undefined), 10_000);
    await rewrite(rules().replace(`  ${WEB_OP}: [web-operator]\n`, ''));
    const root = await h.waitForFinal('reboot', 'web-lost1');
    expect(root.text).toBe('reboot on web-lost1: errored');
    expect(h.thread(root.ts).map((m) => m.text ?? '').join('\n')).toContain('it was not sent again, because You may not run `reboot`');
    expect(h.posts(d.id)).toHaveLength(1);
    await rewrite(rules());
  });
});

describe('live reload', () => {
  it('a new file applies within seconds; an invalid one keeps the old rules and says so in NOTIFY_CHANNEL', async () => {
    h.digitalocean.addDroplet({ name: 'db-g2' });
    expect(await reply('power-on db-g2', WEB_OP)).toContain('You may not run `power-on` on *db-g2*');
    await rewrite(rules().replace('droplets: ["web-*", "tag:env:staging"]', 'droplets: ["web-*", "db-*", "tag:env:staging"]'));
    await h.command('power-on db-g2', WEB_OP);
    await h.waitForFinal('power_on', 'db-g2');

    writeFileSync(path, rules().replace('[droplet:update, droplet:create, droplet:admin, image:create]', '[droplet:update, droplet:fly]'));
    const notice = await h.slack.waitFor(() => h.slack.workspace.channelMessages(NOTIFY).find((m) => m.text?.includes('role map file changed')), 10_000);
    expect(notice.text).toContain('roles.admin.1');
    // The old rules (db-* included) still decide.
    await h.command('reboot db-g2', WEB_OP);
    await h.waitForFinal('reboot', 'db-g2');
    await rewrite(rules());
  });
});

describe('/droplet can and help', () => {
  it('answers yes or no with the rules that decided, for oneself or someone else, and runs nothing', async () => {
    const d = h.digitalocean.addDroplet({ name: 'web-g3' });
    const before = h.digitalocean.requests.length;
    const yes = await reply('can reboot web-g3', WEB_OP);
    expect(yes).toContain(`:white_check_mark: *Yes*: <@${WEB_OP}> may run \`reboot\` on *web-g3* (${d.id}) in <#${CHANNEL}>.`);
    expect(yes).toContain('• `droplet:update`: granted by role `web-operator` (held directly) on web-*, tag:env:staging');
    const no = await reply(`can <@${WEB_OP}|webop> rebuild web-g3`, USERS.admin);
    expect(no).toContain(':no_entry: *No*');
    expect(no).toContain('• `droplet:admin`: missing; no role of theirs grants it');
    expect(no).toContain('• To change it: a role that grants `droplet:admin` here, such as `admin`');
    const railed = await reply('can rebuild web-g3', USERS.admin, GENERAL);
    expect(railed).toContain('• Channel guardrail: <#C0GENERAL> allows only `power-on`; `rebuild` is not among them');
    // Only reads: the Droplet by name, through the budget; no action.
    expect(h.digitalocean.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
    expect(await reply(`can <@${USERS.admin}> reboot web-g3`, 'U0NOBODY1')).toContain("Asking about someone else's rights on a Droplet needs the `droplet:update` scope on it, from this channel");
    // A plain @name is refused inside the ack, with how to mention instead.
    const plain = await h.command('can @bob reboot web-g3', USERS.admin);
    expect(plain.text).toContain('is a name, not a mention');
  });

  it('history is only for Droplets the asker may act on, from this channel', async () => {
    h.digitalocean.addDroplet({ name: 'db-hist1' });
    expect(await reply('history db-hist1', WEB_OP)).toContain('Reading the history of *db-hist1* needs the `droplet:update` scope on it');
    expect(await reply('history db-hist1', OPS_ONLY, 'C0ELSEWHERE')).toContain('none of your roles grant it here');
    expect(await reply('history db-hist1', USERS.admin)).not.toContain('needs the');
  });

  it('help lists only what the asker may run in this channel', async () => {
    const ops = await reply('help', OPS_ONLY);
    expect(ops).toContain('`/droplet snapshot &lt;droplet&gt;');
    expect(ops).not.toContain('/droplet rebuild');
    const general = await reply('help', USERS.admin, GENERAL);
    expect(general.match(/^• `/gm)).toHaveLength(1);
    expect(general).toContain('`/droplet power-on &lt;droplet&gt;`');
    expect(await reply('help', OPS_ONLY, GENERAL)).toContain('You may not run any Droplet action yet, at least not in this channel');
  });
});

describe('the form', () => {
  /** `/droplet` alone in a channel; resolves with the filled-in form. */
  async function openForm(user: string, channel: string): Promise<SlackView> {
    const known = new Set(h.slack.workspace.views.all().map((r) => r.view.id));
    const triggerId = h.slack.workspace.views.issueTriggerId(user);
    await h.command('', user, { triggerId, channel });
    return h.slack.waitFor(() => {
      const top = h.slack.workspace.views.topFor(user)?.view;
      return top && !known.has(top.id) && top.blocks.some((b) => b.block_id === ACTION_BLOCK) ? top : undefined;
    }, 5000);
  }
  const actionsIn = (view: SlackView) => (((view.blocks.find((b) => b.block_id === ACTION_BLOCK)?.element as JsonObject).options ?? []) as JsonObject[]).map((o) => String(o.value));

  it('offers only the actions allowed in this channel, and only the Droplets the asker may touch', async () => {
    // Added before anything reads the picker's list, which each process keeps for 10 s.
    h.digitalocean.addDroplet({ name: 'web-form1' });
    h.digitalocean.addDroplet({ name: 'db-form1' });
    expect(actionsIn(await openForm(USERS.admin, GENERAL))).toEqual(['power_on']);
    const view = await openForm(WEB_OP, CHANNEL);
    const names = async (q: string) => ((await suggest(h, view, WEB_OP, DROPLET_BLOCK, DROPLET_SELECT, q)).json as { options: JsonObject[] }).options.map((o) => String((o.text as JsonObject).text));
    const web = await names('form1');
    expect(web.some((t) => t.startsWith('web-form1'))).toBe(true);
    expect(web.some((t) => t.startsWith('db-form1'))).toBe(false);
  });
});

describe('an approval is bound to what was shown', () => {
  it('an approved request whose Droplet changed before the worker got to it is not sent', async () => {
    const d = h.digitalocean.addDroplet({ name: 'web-bind1' });
    await h.command('snapshot web-bind1', USERS.admin);
    await h.slack.waitFor(() => (h.posts(d.id).length === 1 ? true : undefined), 10_000);
    await h.command('power-off web-bind1', WEB_OP);
    const root = await h.slack.waitFor(() => {
      const r = h.rootFor('power_off', 'web-bind1');
      return r?.text?.endsWith(': awaiting approval') ? r : undefined;
    }, 10_000);
    const request = await h.slack.waitFor(() => (h.thread(root.ts) as unknown as StoredMessage[]).find((m) => buttonIn(m, APPROVE_ACTION_ID)));
    await clickButton(h, request, APPROVE_ACTION_ID, USERS.admin);
    await h.slack.waitFor(() => h.thread(root.ts).find((m) => m.text?.includes('*approved* by')));
    // Someone resizes it while the approved request waits behind the snapshot.
    d.size_slug = 's-2vcpu-4gb';
    const closed = await h.slack.waitFor(() => {
      const r = h.rootFor('power_off', 'web-bind1');
      return r && /not run/.test(r.text ?? '') ? r : undefined;
    }, 15_000);
    expect(h.thread(closed.ts).map((m) => m.text ?? '').join('\n')).toContain('changed since the request was approved (size `s-1vcpu-1gb` → `s-2vcpu-4gb`)');
    expect(h.posts(d.id)).toHaveLength(1);
  });
});

describe('a fleet whose rights changed before it started', () => {
  it('runs the Droplets still covered, and says in one line why the others were not run', async () => {
    const a = h.digitalocean.addDroplet({ name: 'stg-flt1', tags: ['env:staging', 'team:flt'] });
    const b = h.digitalocean.addDroplet({ name: 'stg-flt2', tags: ['env:staging', 'team:flt'] });
    const res = await h.command('reboot tag:team:flt', WEB_OP);
    const plan = await h.slack.waitFor(() => {
      const said = h.responses(res.responseUrl)[0];
      return said ? ((h.slack.workspace.ephemerals({ user: WEB_OP }).find((e) => e.text === said.text) ?? { ...said, ts: '0' }) as unknown as StoredMessage) : undefined;
    });
    // stg-flt2 leaves the staging tag (its role's only hold on it), but stays in the fleet's tag.
    b.tags = ['team:flt'];
    await clickButton(h, plan, FLEET_RUN, WEB_OP);
    const root = await h.slack.waitFor(() => {
      const r = h.roots().filter((m) => m.text?.includes('(tag:team:flt)')).at(-1);
      return r && /: finished$/.test(r.text ?? '') ? r : undefined;
    }, 15_000);
    expect(JSON.stringify(root.blocks)).toContain('1/2 completed · 1 errored');
    const thread = await h.slack.waitFor(() => {
      const t = h.thread(root.ts).map((m) => m.text ?? '').join('\n');
      return t.includes('*finished with errors*') ? t : undefined;
    });
    expect(thread).toContain('*stg-flt2* (' + b.id + ') errored: not run, checked again at the start: You may not run `reboot` on *stg-flt2*');
    expect(thread).not.toContain('&lt;');
    expect(h.posts(a.id)).toHaveLength(1);
    expect(h.posts(b.id)).toHaveLength(0);
  });
});

