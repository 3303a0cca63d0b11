// /droplet end to end: signed slash commands into the real Bolt receiver, a real Redis and
// BullMQ worker, and the Slack and DigitalOcean simulators on loopback.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_TYPES, displayName, type ActionType } from '../../src/domain/catalogue/index.js';
import { sendToBot, signSlackRequest, slashCommandBody } from 'droplet-bot-sandbox';
import { CHANNEL, SECRETS, USERS, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

const posts = (dropletId?: number) => h.posts(dropletId);
const rootFor = (action: ActionType, name: string) => h.rootFor(action, name);
const waitForFinal = (action: ActionType, name: string) => h.waitForFinal(action, name);

async function waitForResponse(responseUrl: string) {
  return h.slack.waitFor(() => h.responses(responseUrl)[0]?.text, 10_000);
}

describe('/droplet reboot web-1', () => {
  it('acks at once, posts a root message, runs the action once and reports every step in the thread', async () => {
    const res = await h.command('reboot web-1');
    expect(res.status).toBe(200);

    const root = await waitForFinal('reboot', 'web-1');
    expect(root.text).toBe('reboot on web-1: completed');
    expect(JSON.stringify(root.blocks)).toContain(`<@${USERS.admin}> asked for *reboot* on *web-1* (3164444)`);

    const thread = await h.slack.waitFor(() => {
      const replies = h.thread(root.ts);
      return replies.some((r) => r.text?.includes('*completed*')) ? replies : undefined;
    });
    const texts = thread.map((r) => r.text ?? '');
    expect(texts[0]).toContain('*queued*');
    expect(texts[1]).toMatch(/\*in-progress\* · DigitalOcean action \d+ started after .+ in the queue/);
    expect(texts[2]).toMatch(/\*completed\* · action \d+ completed in .+ · <@U0ADMIN01>/);

    const sent = posts(3164444);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body).toEqual({ type: 'reboot' });
  });
});

describe('/droplet history', () => {
  it('shows the last entries of the audit trail for a Droplet, newest first, with a thread link', async () => {
    const res = await h.command('history web-1', USERS.operator);
    const text = await waitForResponse(res.responseUrl);
    expect(text).toContain('audit entries for web-1* (3164444)');
    const lines = text.split('\n').slice(1);
    expect(lines[0]).toMatch(/<@U0ADMIN01> · reboot · \*completed\* \(action \d+\)/);
    expect(lines.some((l) => /· reboot · \*posted\*/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/· reboot · \*requested\*/);
    expect(text).toMatch(/<https:\/\/slack\.com\/archives\/C0OPS0001\/p\d+\|thread>/);
  });

  it('needs droplet:update', async () => {
    const res = await h.command('history web-1', USERS.nobody);
    expect(await waitForResponse(res.responseUrl)).toContain('needs the `droplet:update` scope');
  });
});

describe('all 16 action types', () => {
  // Each type runs on its own fresh Droplet, set up so DigitalOcean would accept the action.
  const setups: Record<ActionType, { droplet?: object; params: (id: number) => Promise<string> | string }> = {
    enable_backups: { params: () => 'plan=weekly weekday=TUE hour=8' },
    disable_backups: { droplet: { features: ['backups'] }, params: () => '' },
    change_backup_policy: { droplet: { features: ['backups'] }, params: () => 'plan=daily hour=20' },
    reboot: { params: () => '' },
    power_cycle: { params: () => '' },
    shutdown: { params: () => '' },
    power_off: { params: () => '' },
    power_on: { droplet: { status: 'off' }, params: () => '' },
    restore: { droplet: { features: ['backups'], backup_ids: [163000201] }, params: () => 'image=163000201' },
    password_reset: { params: () => '' },
    resize: { droplet: { status: 'off' }, params: () => 'size=s-2vcpu-4gb disk=true' },
    rebuild: { params: () => 'image=debian-12-x64' },
    rename: { params: (id) => `name=renamed-${id}` },
    change_kernel: {
      params: async (id) => {
        const res = await fetch(`${h.digitalocean.url}/v2/droplets/${id}/kernels`, { headers: { authorization: `Bearer ${SECRETS.doToken}` } });
        const { kernels } = (await res.json()) as { kernels: Array<{ id: number }> };
        return `kernel=${kernels[0]!.id}`;
      },
    },
    enable_ipv6: { params: () => '' },
    snapshot: { params: () => 'name="nightly 1"' },
  };

  it.each([...ACTION_TYPES])('%s runs end to end', async (type) => {
    const setup = setups[type];
    const name = `e2e-${type.replace(/_/g, '-')}`;
    const droplet = h.digitalocean.addDroplet({ name, ...(setup.droplet ?? {}) });
    const params = await setup.params(droplet.id);
    const res = await h.command(`${displayName(type)} ${name} ${params}`.trim());
    expect(res.status).toBe(200);
    const root = await waitForFinal(type, name);
    expect(root.text).toBe(`${displayName(type)} on ${name}: completed`);
    const sent = posts(droplet.id);
    expect(sent).toHaveLength(1);
    expect((sent[0]!.body as { type: string }).type).toBe(type);
  });

  it('changed the Droplets as the actions said', () => {
    const byName = (n: string) => [...h.digitalocean.state.droplets.values()].find((d) => d.name === n || d.name === `renamed-${d.id}` && n === 'e2e-rename');
    expect(byName('e2e-power-off')?.status).toBe('off');
    expect(byName('e2e-resize')?.size_slug).toBe('s-2vcpu-4gb');
    expect(byName('e2e-rename')?.name).toMatch(/^renamed-/);
  });
});

describe('refusals', () => {
  it('refuses a rebuild without droplet:admin, names the scope, and does nothing', async () => {
    const before = posts().length;
    const rootsBefore = h.roots().length;
    const res = await h.command('rebuild web-2 image=debian-12-x64', USERS.operator);
    expect(res.status).toBe(200);
    const text = await waitForResponse(res.responseUrl);
    expect(text).toContain('You may not run `rebuild`: it needs the `droplet:admin` scope');
    expect(posts().length).toBe(before);
    expect(h.roots().length).toBe(rootsBefore);
  });

  it('refuses everything to someone who is not in the role map', async () => {
    const res = await h.command('reboot web-2', USERS.nobody);
    expect(await waitForResponse(res.responseUrl)).toContain('it needs the `droplet:update` scope');
  });

  it('grants roles through a Slack user group', async () => {
    const droplet = h.digitalocean.addDroplet({ name: 'group-rebuild' });
    await h.command('rebuild group-rebuild image=debian-12-x64', USERS.groupie);
    await waitForFinal('rebuild', 'group-rebuild');
    expect(posts(droplet.id)).toHaveLength(1);
    expect(h.slack.calls.some((c) => c.method === 'usergroups.users.list')).toBe(true);
  });

  it('lists only the actions the caller may run in help', async () => {
    const res = await h.command('help', USERS.operator);
    const text = await waitForResponse(res.responseUrl);
    expect(text).toContain('/droplet reboot &lt;droplet&gt;');
    expect(text).not.toContain('/droplet rebuild');
    const none = await h.command('help', USERS.nobody);
    expect(await waitForResponse(none.responseUrl)).toContain(`Ask an admin to give your user ID (${USERS.nobody}) a role`);
  });
});

describe('requests from elsewhere', () => {
  it.each([
    ['another workspace', { team_id: 'T0OTHER01' }],
    ['another app', { api_app_id: 'A0OTHER01' }],
    ['another Enterprise Grid org', { team_id: 'T0OTHER02', enterprise_id: 'E0OTHER01' }],
  ])('refuses a command from %s in the ack, and looks nothing up', async (_what, origin) => {
    const before = h.digitalocean.requests.length;
    const body = slashCommandBody({ text: 'reboot web-1', user_id: USERS.admin, channel_id: CHANNEL, response_url: h.slack.responseUrl(), trigger_id: `${Date.now()}.foreign`, ...origin });
    const res = await sendToBot(h.eventsUrl, SECRETS.signingSecret, body);
    expect(res.status).toBe(200);
    expect((res.json as { text: string }).text).toBe('This bot is installed for another Slack workspace or app, so it does not act on requests from here. Nothing was done.');
    expect(h.digitalocean.requests.length).toBe(before);
    await h.slack.waitFor(() => h.logs.some((l) => l.includes('refused a request from another workspace or app')));
  });

  it('runs a command that arrives without a trigger_id', async () => {
    const droplet = h.digitalocean.addDroplet({ name: 'no-trigger' });
    const form = new URLSearchParams(slashCommandBody({ text: 'reboot no-trigger', user_id: USERS.admin, channel_id: CHANNEL, response_url: h.slack.responseUrl() }));
    form.delete('trigger_id');
    expect((await sendToBot(h.eventsUrl, SECRETS.signingSecret, form.toString())).status).toBe(200);
    await waitForFinal('reboot', 'no-trigger');
    expect(posts(droplet.id)).toHaveLength(1);
  });

  it('a user-group lookup that fails keeps direct rights for everyone else, and is logged', async () => {
    // A bot of its own, so no earlier test has the group's members cached.
    const fresh = await startHarness();
    try {
      fresh.slack.failNext('usergroups.users.list', { error: 'internal_error' });
      const droplet = fresh.digitalocean.addDroplet({ name: 'group-down' });
      await fresh.command('reboot group-down', USERS.admin);
      await fresh.slack.waitFor(() => fresh.roots().find((m) => m.text === 'reboot on group-down: completed'), 15_000);
      expect(fresh.digitalocean.requests.filter((r) => r.method === 'POST' && r.path === `/v2/droplets/${droplet.id}/actions`)).toHaveLength(1);
      expect(fresh.logs.some((l) => l.includes('could not read a user group from Slack'))).toBe(true);
    } finally {
      await fresh.stop();
    }
  });
});

describe('bad input', () => {
  it('answers a malformed command in the ack and queues nothing', async () => {
    const before = posts().length;
    const res = await h.command('change-backup-policy web-1 plan=daily hour=5');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ response_type: 'ephemeral' });
    expect((res.json as { text: string }).text).toContain('hour must be one of 0, 4, 8, 12, 16, 20');
    const unknown = await h.command('rebot web-1');
    expect((unknown.json as { text: string }).text).toContain('Did you mean `reboot`?');
    expect(posts().length).toBe(before);
  });

  it('says when no Droplet has that name or ID', async () => {
    const res = await h.command('reboot no-such-droplet');
    expect(await waitForResponse(res.responseUrl)).toContain('No Droplet is named `no-such-droplet`');
    const byId = await h.command('reboot 999999999');
    expect(await waitForResponse(byId.responseUrl)).toContain('No Droplet has the ID `999999999`');
  });

  it('lists Droplets that share a name with their IDs and regions, and asks for the ID', async () => {
    const res = await h.command('power-off worker');
    const text = await waitForResponse(res.responseUrl);
    expect(text).toContain('2 Droplets are named `worker`');
    expect(text).toContain('`3164447` in `nyc3`');
    expect(text).toContain('`3164448` in `ams3`');
    expect(text).toContain('/droplet power-off 3164447');
  });

  it('accepts a numeric ID', async () => {
    await h.command('power-on 3164449');
    const root = await waitForFinal('power_on', 'staging-1');
    expect(root.text).toBe('power-on on staging-1: completed');
  });
});

describe('errors from DigitalOcean', () => {
  it('reports an errored action in the thread and on the root message', async () => {
    const droplet = h.digitalocean.addDroplet({ name: 'will-error' });
    h.digitalocean.errorNextAction({ dropletId: droplet.id });
    await h.command('power-cycle will-error');
    const root = await waitForFinal('power_cycle', 'will-error');
    expect(root.text).toBe('power-cycle on will-error: errored');
    const thread = h.thread(root.ts).map((r) => r.text ?? '');
    expect(thread.at(-1)).toMatch(/\*errored\* · action \d+ errored/);
  });

  it("passes DigitalOcean's refusal to the user verbatim", async () => {
    // A graceful reboot needs a running OS: DigitalOcean refuses it on a Droplet that is off.
    h.digitalocean.addDroplet({ name: 'off-reboot', status: 'off' });
    await h.command('reboot off-reboot');
    const root = await waitForFinal('reboot', 'off-reboot');
    expect(root.text).toBe('reboot on off-reboot: errored');
    const thread = h.thread(root.ts).map((r) => r.text ?? '');
    expect(thread.at(-1)).toContain('Droplet is currently off. Please power it on to run this event.');
  });
});

describe('the receiver', () => {
  it('refuses a request with a bad signature', async () => {
    const res = await fetch(h.eventsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)), 'x-slack-signature': 'v0=00' },
      body: 'command=%2Fdroplet&text=reboot+web-1',
    });
    expect(res.status).toBe(401);
  });

  it('refuses a stale timestamp and a body that does not match its signature, and runs nothing', async () => {
    const before = posts().length;
    const body = slashCommandBody({ text: 'reboot web-2', user_id: USERS.admin, channel_id: CHANNEL, response_url: h.slack.responseUrl(), trigger_id: 'stale.1' });
    const old = Math.floor(Date.now() / 1000) - 6 * 60;
    const stale = await fetch(h.eventsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(SECRETS.signingSecret, body, old) },
      body,
    });
    expect(stale.status).toBe(401);
    const signed = signSlackRequest(SECRETS.signingSecret, body);
    const tampered = await fetch(h.eventsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...signed },
      body: body.replace('reboot', 'rebuild'),
    });
    expect(tampered.status).toBe(401);
    // Bolt refused both before any listener ran: nothing was recorded that could run later.
    expect((await h.pending(3164444)).intake).toBe(0);
    expect(posts().length).toBe(before);
  });

  it('answers /healthz', async () => {
    const res = await fetch(h.eventsUrl.replace('/slack/events', '/healthz'));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, redis: 'up' });
  });

  it('starts one job when Slack delivers the same command twice', async () => {
    const droplet = h.digitalocean.addDroplet({ name: 'redelivered' });
    const triggerId = `${Date.now()}.redelivery.abc`;
    await h.command('reboot redelivered', USERS.admin, { triggerId });
    await h.command('reboot redelivered', USERS.admin, { triggerId, headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
    await waitForFinal('reboot', 'redelivered');
    // One job, finished, and nothing else on record that could run.
    expect(await h.pending(droplet.id)).toEqual({ jobs: ['completed'], intake: 0 });
    expect(posts(droplet.id)).toHaveLength(1);
    expect(h.roots().filter((m) => m.text?.startsWith('reboot on redelivered:'))).toHaveLength(1);
  });

  it('never writes a token or the signing secret to the log', () => {
    const all = h.logs.join('');
    expect(all.length).toBeGreaterThan(1000);
    for (const secret of Object.values(SECRETS)) expect(all).not.toContain(secret);
  });

  it('posts only in the channel the command came from', () => {
    const channels = new Set(h.slack.calls.filter((c) => c.method === 'chat.postMessage').map((c) => c.args.channel));
    expect([...channels]).toEqual([CHANNEL]);
  });
});

describe('receiver limits', () => {
  let limited: Harness;
  beforeAll(async () => {
    limited = await startHarness({ bot: { httpLimits: { bodyBytes: 64 * 1024, headersTimeoutMs: 300, requestTimeoutMs: 600, checkIntervalMs: 100 } } });
  });
  afterAll(async () => {
    await limited?.stop();
  });

  /** Sends `data` on a raw connection and never finishes the request; resolves with what came back when the server hangs up. */
  function stall(data: string): Promise<string> {
    const url = new URL(limited.eventsUrl);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(url.port), '127.0.0.1', () => socket.write(data));
      let got = '';
      socket.on('data', (c) => (got += c.toString()));
      socket.on('error', reject);
      socket.on('close', () => resolve(got));
    });
  }

  it('refuses a body over the size limit with 413, and runs nothing', async () => {
    const before = limited.digitalocean.requests.length;
    const body = slashCommandBody({ text: `reboot web-1 ${'x'.repeat(100 * 1024)}`, user_id: USERS.admin, channel_id: CHANNEL, response_url: limited.slack.responseUrl(), trigger_id: `${Date.now()}.big` });
    const res = await sendToBot(limited.eventsUrl, SECRETS.signingSecret, body);
    expect(res.status).toBe(413);
    expect(limited.digitalocean.requests.length).toBe(before);
  });

  it('hangs up on a client that never finishes its headers', async () => {
    const got = await stall('POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slack-Signature: v0=');
    expect(got).toMatch(/^HTTP\/1\.1 408/);
  });

  it('hangs up on a client that trickles its body', async () => {
    const got = await stall('POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\ntext=');
    expect(got).toMatch(/^HTTP\/1\.1 408/);
  });
});
