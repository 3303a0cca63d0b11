// The Slack simulator and the "Slack → bot" builders, checked against Slack's own artefacts: the
// signing test vector and genuine payload fixtures, the real @slack/web-api WebClient talking to
// the simulator over loopback HTTP, and a real Bolt HTTPReceiver receiving the built bodies.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel, webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  SANDBOX_BOT,
  SANDBOX_CHANNELS,
  SANDBOX_USERGROUPS,
  SANDBOX_USERS,
  blockActionsBody,
  blockSuggestionBody,
  sendToBot,
  signSlackRequest,
  slashCommandBody,
  startSlackSimulator,
  viewClosedBody,
  viewSubmissionBody,
  type SlackSimulator,
  type WorkspaceChange,
} from '../src/slack/index.js';
import { referencePath } from '../../test/support/reference.js';

const REF = referencePath('slack');
const fixture = (name: string) => readFileSync(`${REF}/${name}`, 'utf8');
const fixtureJson = (name: string) => JSON.parse(fixture(name)) as Record<string, unknown>;

const TOKEN = 'xoxb-test-simulator-token';
const TS = /^\d{10}\.\d{6}$/;

/** The JSON inside a `payload=` form body. */
const payloadOf = (body: string) => JSON.parse(new URLSearchParams(body).get('payload')!) as Record<string, any>;

/** Slack's error code carried by a WebClient failure. */
async function slackError(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
  } catch (err) {
    return (err as { data?: { error?: string } }).data?.error;
  }
  throw new Error('expected the call to fail');
}

/** WebClient logs Slack's `[ERROR]` response messages; the tests assert on them instead. */
const quiet: webApi.Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => webApi.LogLevel.ERROR,
  setName() {},
};

function webClient(token: string | undefined, extra: webApi.WebClientOptions = {}): webApi.WebClient {
  return new webApi.WebClient(token, { slackApiUrl: `${sim.url}/api/`, retryConfig: { retries: 0 }, logger: quiet, ...extra });
}

let sim: SlackSimulator;
let client: webApi.WebClient;

beforeEach(async () => {
  sim = await startSlackSimulator({ botToken: TOKEN });
  client = webClient(TOKEN);
});

afterEach(async () => {
  await sim.close();
});

describe('request signing', () => {
  it('reproduces the signature of Slack’s test vector', () => {
    const vector = fixtureJson('request-signing.test-vector.json') as {
      signing_secret: string;
      x_slack_request_timestamp: number;
      body_file: string;
      x_slack_signature: string;
    };
    const body = fixture(vector.body_file);
    expect(signSlackRequest(vector.signing_secret, body, vector.x_slack_request_timestamp)).toEqual({
      'x-slack-request-timestamp': String(vector.x_slack_request_timestamp),
      'x-slack-signature': vector.x_slack_signature,
    });
  });

  it('signs with the current time by default', () => {
    const { 'x-slack-request-timestamp': ts } = signSlackRequest('secret', 'a=b');
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(5);
  });
});

describe('slash command body', () => {
  it('has the docs fixture’s fields in the same order', () => {
    const expected = [...new URLSearchParams(fixture('slash-command.docs-example.form.txt')).keys()];
    const body = slashCommandBody({
      text: 'reboot web-1',
      user_id: 'U2147483697',
      channel_id: 'C2147483705',
      response_url: 'https://hooks.slack.com/commands/1234/5678',
      enterprise_id: 'E0001',
      enterprise_name: 'Globular Construct Inc',
    });
    expect([...new URLSearchParams(body).keys()]).toEqual(expected);
  });

  it('leaves enterprise fields out for a plain workspace and encodes values as Slack does', () => {
    const body = slashCommandBody({
      text: 'resize web-1 size=s-2vcpu-4gb',
      user_id: SANDBOX_USERS.alice,
      channel_id: SANDBOX_CHANNELS.ops,
      response_url: 'http://127.0.0.1:1/response-url/x',
      trigger_id: '1.2.abc',
    });
    expect(body).toContain('command=%2Fdroplet&text=resize+web-1+size%3Ds-2vcpu-4gb');
    const fields = Object.fromEntries(new URLSearchParams(body));
    expect(fields).toMatchObject({ user_name: 'alice', channel_name: 'ops', trigger_id: '1.2.abc', api_app_id: SANDBOX_BOT.app_id });
    expect(fields).not.toHaveProperty('enterprise_id');
  });
});

describe('interaction bodies', () => {
  const keys = (o: object) => Object.keys(o);

  it('block_actions in a thread has the genuine payload’s shape', () => {
    const genuine = fixtureJson('block-actions.button-in-thread.json') as Record<string, any>;
    const built = payloadOf(
      blockActionsBody({
        user_id: SANDBOX_USERS.bob,
        channel_id: SANDBOX_CHANNELS.ops,
        message_ts: '1693635296.000500',
        thread_ts: '1693616242.466609',
        is_ephemeral: true,
        state: genuine.state.values,
        response_url: 'http://127.0.0.1:1/response-url/y',
        actions: [{ action_id: 'save', block_id: 'block_1', text: 'Save', value: '1' }],
      }),
    );
    expect(keys(built)).toEqual(keys(genuine));
    expect(keys(built.user)).toEqual(keys(genuine.user));
    expect(keys(built.container)).toEqual(keys(genuine.container));
    expect(keys(built.actions[0])).toEqual(keys(genuine.actions[0]));
    expect(built.actions[0]).toMatchObject({ type: 'button', text: { type: 'plain_text', text: 'Save', emoji: true } });
  });

  it('view_submission and view_closed have the genuine payloads’ shape', () => {
    const submission = fixtureJson('view-submission.plain-text-input.json') as Record<string, any>;
    const built = payloadOf(
      viewSubmissionBody({
        user_id: SANDBOX_USERS.alice,
        view: { id: 'V111', callback_id: 'view-id', private_metadata: 'This is for you!' },
        values: submission.view.state.values,
      }),
    );
    expect(keys(built)).toEqual(keys(submission));
    expect(keys(built.view).sort()).toEqual(keys(submission.view).sort());
    expect(built.view.state.values.hspI.maBWU.value).toBe('test');

    const closed = fixtureJson('view-closed.json') as Record<string, any>;
    const builtClosed = payloadOf(viewClosedBody({ user_id: SANDBOX_USERS.alice, view: { id: 'V1', notify_on_close: true } }));
    expect(keys(builtClosed)).toEqual(keys(closed));
    expect(builtClosed).toMatchObject({ type: 'view_closed', is_cleared: false, view: { notify_on_close: true } });
  });

  it('block_suggestion carries the typed value and the modal', () => {
    const built = payloadOf(
      blockSuggestionBody({ user_id: SANDBOX_USERS.bob, action_id: 'droplet', block_id: 'target', value: 'web', view: { id: 'V9' } }),
    );
    expect(keys(built)).toEqual(['type', 'user', 'container', 'api_app_id', 'token', 'action_id', 'block_id', 'value', 'team', 'view']);
    expect(built.container).toEqual({ type: 'view', view_id: 'V9' });
  });
});

describe('Web API through WebClient', () => {
  it('answers auth.test as the bot, with the granted scopes from the headers', async () => {
    const res = await client.auth.test();
    expect(res).toMatchObject({ ok: true, user_id: SANDBOX_BOT.user_id, bot_id: SANDBOX_BOT.bot_id, team_id: 'T0SANDBOX' });
    expect(res.response_metadata?.scopes).toContain('chat:write');
  });

  it('posts messages with unique, increasing ts and records them in the workspace', async () => {
    const a = await client.chat.postMessage({ channel: SANDBOX_CHANNELS.ops, text: 'one' });
    const b = await client.chat.postMessage({ channel: '#ops', text: 'two' });
    expect(a).toMatchObject({ ok: true, channel: SANDBOX_CHANNELS.ops, message: { text: 'one', bot_id: SANDBOX_BOT.bot_id } });
    expect(a.ts).toMatch(TS);
    expect(Number(b.ts)).toBeGreaterThan(Number(a.ts));
    expect(sim.workspace.channelMessages(SANDBOX_CHANNELS.ops).map((m) => m.text)).toEqual(['one', 'two']);
  });

  it('threads replies under their parent', async () => {
    const root = await client.chat.postMessage({ channel: SANDBOX_CHANNELS.ops, text: 'root' });
    await client.chat.postMessage({ channel: SANDBOX_CHANNELS.ops, thread_ts: root.ts!, text: 'queued' });
    const reply = await client.chat.postMessage({ channel: SANDBOX_CHANNELS.ops, thread_ts: root.ts!, text: 'done' });
    expect(reply.message?.thread_ts).toBe(root.ts);
    expect(sim.workspace.replies(SANDBOX_CHANNELS.ops, root.ts!).map((m) => m.text)).toEqual(['queued', 'done']);
    expect(sim.workspace.getMessage(SANDBOX_CHANNELS.ops, root.ts!)).toMatchObject({ reply_count: 2, latest_reply: reply.ts });
    expect(sim.workspace.channelMessages(SANDBOX_CHANNELS.ops)).toHaveLength(1);
  });

  it('updates a message, keeping its ts; an unknown ts is message_not_found', async () => {
    const posted = await client.chat.postMessage({ channel: SANDBOX_CHANNELS.ops, text: 'queued' });
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*done*' } }];
    const updated = await client.chat.update({ channel: SANDBOX_CHANNELS.ops, ts: posted.ts!, text: 'done', blocks });
    expect(updated).toMatchObject({ ok: true, ts: posted.ts, text: 'done' });
    const stored = sim.workspace.getMessage(SANDBOX_CHANNELS.ops, posted.ts!)!;
    // Blocks arrived as a JSON string in the form body; Slack fills in the block_id.
    expect(stored.blocks?.[0]).toMatchObject({ type: 'section', block_id: expect.any(String) });
    expect(stored.edited?.user).toBe(SANDBOX_BOT.user_id);
    expect(await slackError(client.chat.update({ channel: SANDBOX_CHANNELS.ops, ts: '1.000100', text: 'x' }))).toBe('message_not_found');
  });

  it('rejects blocks over Slack’s limits with invalid_blocks and the pointer to the problem', async () => {
    const err = await client.chat
      .postMessage({ channel: SANDBOX_CHANNELS.ops, text: 'x', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'y'.repeat(3001) } }] })
      .catch((e: { data: { error: string; response_metadata: { messages: string[] } } }) => e.data);
    expect(err).toMatchObject({ error: 'invalid_blocks' });
    expect((err as { response_metadata: { messages: string[] } }).response_metadata.messages[0]).toContain('/blocks/0/text/text');
  });

  it('posts ephemeral messages for one user', async () => {
    const res = await client.chat.postEphemeral({ channel: SANDBOX_CHANNELS.ops, user: SANDBOX_USERS.bob, text: 'only you' });
    expect(res.message_ts).toMatch(TS);
    expect(sim.workspace.ephemerals({ user: SANDBOX_USERS.bob })).toMatchObject([{ text: 'only you', ts: res.message_ts }]);
  });

  it('gives permalinks, with thread_ts for replies', async () => {
    const root = await client.chat.postMessage({ channel: SANDBOX_CHANNELS.ops, text: 'root' });
    const reply = await client.chat.postMessage({ channel: SANDBOX_CHANNELS.ops, thread_ts: root.ts!, text: 'r' });
    const link = await client.chat.getPermalink({ channel: SANDBOX_CHANNELS.ops, message_ts: reply.ts! });
    expect(link.permalink).toBe(
      `https://sandbox.slack.com/archives/C0OPS/p${reply.ts!.replace('.', '')}?thread_ts=${root.ts}&cid=C0OPS`,
    );
  });

  it('says not_in_channel where the bot is not a member', async () => {
    expect(await slackError(client.chat.postMessage({ channel: SANDBOX_CHANNELS.random, text: 'hi' }))).toBe('not_in_channel');
  });

  it('lists user-group members; an unknown group is no_such_subteam', async () => {
    expect((await client.usergroups.users.list({ usergroup: SANDBOX_USERGROUPS.oncall })).users).toEqual([SANDBOX_USERS.alice]);
    sim.workspace.setUsergroupMembers('S0NEW', [SANDBOX_USERS.bob]);
    expect((await client.usergroups.users.list({ usergroup: 'S0NEW' })).users).toEqual([SANDBOX_USERS.bob]);
    expect(await slackError(client.usergroups.users.list({ usergroup: 'S0MISSING' }))).toBe('no_such_subteam');
  });

  it('answers users.info and conversations.info', async () => {
    expect((await client.users.info({ user: SANDBOX_USERS.alice })).user).toMatchObject({ name: 'alice', is_admin: true });
    expect((await client.conversations.info({ channel: SANDBOX_CHANNELS.ops })).channel).toMatchObject({ name: 'ops', is_member: true });
    sim.workspace.autoCreate = false;
    expect(await slackError(client.users.info({ user: 'U0UNKNOWN' }))).toBe('user_not_found');
    expect(await slackError(client.conversations.info({ channel: 'C0UNKNOWN' }))).toBe('channel_not_found');
  });

  it('opens, updates and pushes modals with Slack’s trigger and hash rules', async () => {
    const changes: WorkspaceChange[] = [];
    sim.workspace.on('change', (c) => changes.push(c));
    const view = {
      type: 'modal' as const,
      callback_id: 'confirm',
      external_id: 'req-1',
      title: { type: 'plain_text' as const, text: 'Confirm' },
      submit: { type: 'plain_text' as const, text: 'Go' },
      blocks: [{ type: 'input', block_id: 'reason', label: { type: 'plain_text', text: 'Why' }, element: { type: 'plain_text_input', action_id: 'text' } }],
    };
    const trigger = sim.workspace.views.issueTriggerId(SANDBOX_USERS.alice);
    const opened = await client.views.open({ trigger_id: trigger, view });
    expect(opened.view).toMatchObject({ callback_id: 'confirm', root_view_id: opened.view!.id, app_id: SANDBOX_BOT.app_id });
    expect(sim.workspace.views.topFor(SANDBOX_USERS.alice)?.view.id).toBe(opened.view!.id);
    expect(await slackError(client.views.open({ trigger_id: trigger, view: { ...view, external_id: 'other' } }))).toBe('exchanged_trigger_id');

    const updated = await client.views.update({ view_id: opened.view!.id!, hash: opened.view!.hash!, view: { ...view, callback_id: 'confirm2' } });
    expect(updated.view?.hash).not.toBe(opened.view!.hash);
    expect(await slackError(client.views.update({ view_id: opened.view!.id!, hash: opened.view!.hash!, view }))).toBe('hash_conflict');
    const byExternal = await client.views.update({ external_id: 'req-1', view: { ...view, callback_id: 'confirm3' } });
    expect(byExternal.view?.id).toBe(opened.view!.id);

    const pushed = await client.views.push({ trigger_id: sim.workspace.views.issueTriggerId(SANDBOX_USERS.alice), view: { ...view, external_id: 'req-2' } });
    expect(pushed.view).toMatchObject({ root_view_id: opened.view!.id, previous_view_id: opened.view!.id });
    expect(await slackError(client.views.update({ view_id: 'VNOPE', view }))).toBe('not_found');
    expect(await slackError(client.views.open({ trigger_id: sim.workspace.views.issueTriggerId(SANDBOX_USERS.bob), view: { ...view, title: undefined } as never }))).toBe('invalid_arguments');
    expect(changes.map((c) => c.type).filter((t) => t.startsWith('view_'))).toEqual(['view_opened', 'view_updated', 'view_updated', 'view_pushed']);
  });

  it('expires trigger IDs after 3 seconds', async () => {
    let now = Date.now();
    await sim.close();
    sim = await startSlackSimulator({ botToken: TOKEN, workspace: { now: () => now } });
    client = webClient(TOKEN);
    const trigger = sim.workspace.views.issueTriggerId(SANDBOX_USERS.alice);
    now += 3001;
    const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'x' }, blocks: [] };
    expect(await slackError(client.views.open({ trigger_id: trigger, view }))).toBe('expired_trigger_id');
  });

  it('refuses a wrong token with invalid_auth and none with not_authed', async () => {
    const wrong = webClient('xoxb-wrong');
    expect(await slackError(wrong.chat.postMessage({ channel: SANDBOX_CHANNELS.ops, text: 'x' }))).toBe('invalid_auth');
    const anonymous = webClient(undefined);
    expect(await slackError(anonymous.auth.test())).toBe('not_authed');
    expect(sim.workspace.messages()).toHaveLength(0);
    expect(sim.calls.map((c) => c.error)).toEqual(['invalid_auth', 'not_authed']);
  });

  it('answers unknown methods with unknown_method', async () => {
    expect(await slackError(client.apiCall('droplets.reboot'))).toBe('unknown_method');
  });

  it('rate-limits on request: HTTP 429 with Retry-After, a rate-limited error in WebClient', async () => {
    const strict = webClient(TOKEN, { rejectRateLimitedCalls: true });
    sim.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const err = await strict.chat.postMessage({ channel: SANDBOX_CHANNELS.ops, text: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(webApi.WebAPIRateLimitedError);
    expect(err).toMatchObject({ code: webApi.ErrorCode.RateLimitedError, retryAfter: 1 });
    expect(sim.calls.at(-1)).toMatchObject({ method: 'chat.postMessage', ok: false, error: 'ratelimited' });

    const raw = await fetch(`${sim.url}/api/auth.test`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(raw.status).toBe(200); // the failure was for chat.postMessage only, and only once
    sim.failNext('auth.test', { status: 429, retryAfter: 7 });
    const limited = await fetch(`${sim.url}/api/auth.test`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(await limited.json()).toEqual({ ok: false, error: 'ratelimited' });
  });

  it('fails scripted calls with a Slack error, then recovers', async () => {
    sim.failNext('chat.postMessage', { error: 'not_in_channel', times: 2 });
    for (let i = 0; i < 2; i++) {
      expect(await slackError(client.chat.postMessage({ channel: SANDBOX_CHANNELS.ops, text: 'x' }))).toBe('not_in_channel');
    }
    await expect(client.chat.postMessage({ channel: SANDBOX_CHANNELS.ops, text: 'x' })).resolves.toMatchObject({ ok: true });
  });

  it('accepts JSON bodies with a Bearer token', async () => {
    const res = await fetch(`${sim.url}/api/chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: SANDBOX_CHANNELS.ops, text: 'json', blocks: [{ type: 'divider' }] }),
    });
    expect(await res.json()).toMatchObject({ ok: true, message: { text: 'json', blocks: [{ type: 'divider' }] } });
  });
});

describe('workspace model (what a playground drives)', () => {
  const modal = (callback_id: string) => ({ type: 'modal', callback_id, title: { type: 'plain_text', text: callback_id }, blocks: [] });

  it('numbers every change so a UI can follow along', () => {
    const changes: WorkspaceChange[] = [];
    sim.workspace.on('change', (c) => changes.push(c));
    const root = sim.workspace.postMessage({ channel: SANDBOX_CHANNELS.ops, user: SANDBOX_USERS.alice, text: 'hello' });
    sim.workspace.postMessage({ channel: SANDBOX_CHANNELS.ops, thread_ts: root.ts, text: 'hi alice' });
    expect(changes.map((c) => c.type)).toEqual(['message_posted', 'message_posted', 'message_changed']);
    expect(changes.map((c) => c.seq)).toEqual([changes[0]!.seq, changes[0]!.seq + 1, changes[0]!.seq + 2]);
    expect(sim.workspace.snapshot().messages).toHaveLength(2);
  });

  it('keeps modal stacks: push up to 3, close pops, a submission ack is applied as Slack would', () => {
    const views = sim.workspace.views;
    const root = views.open(views.issueTriggerId(SANDBOX_USERS.alice), modal('a'));
    const second = views.push(views.issueTriggerId(SANDBOX_USERS.alice, { view_id: root.view.id }), modal('b'));
    views.push(views.issueTriggerId(SANDBOX_USERS.alice), modal('c'));
    expect(() => views.push(views.issueTriggerId(SANDBOX_USERS.alice), modal('d'))).toThrow('push_limit_reached');

    views.close(second.view.id); // closes it and the view above it
    expect(views.stackOf(root.view.id).map((r) => r.view.callback_id)).toEqual(['a']);
    views.applyResponseAction(root.view.id, { response_action: 'errors', errors: { reason: 'Say why' } });
    expect(views.get(root.view.id)?.errors).toEqual({ reason: 'Say why' });
    views.applyResponseAction(root.view.id, { response_action: 'update', view: modal('a2') });
    expect(views.topFor(SANDBOX_USERS.alice)?.view).toMatchObject({ id: root.view.id, callback_id: 'a2' });
    views.applyResponseAction(root.view.id, undefined);
    expect(views.all()).toHaveLength(0);
  });
});

describe('response_url', () => {
  async function post(url: string, body: unknown) {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it('shows ephemeral replies to the invoking user and in_channel ones to everyone', async () => {
    const url = sim.responseUrl('cmd-1', { channel_id: SANDBOX_CHANNELS.ops, user_id: SANDBOX_USERS.bob });
    expect(await post(url, { text: 'checking…' })).toEqual({ status: 200, body: { ok: true } });
    expect(await post(url, { response_type: 'in_channel', text: 'rebooting web-1' })).toMatchObject({ status: 200 });
    expect(sim.workspace.ephemerals({ user: SANDBOX_USERS.bob, channel: SANDBOX_CHANNELS.ops })).toMatchObject([
      { text: 'checking…', source: { kind: 'response_url', id: 'cmd-1' } },
    ]);
    expect(sim.workspace.channelMessages(SANDBOX_CHANNELS.ops).map((m) => m.text)).toEqual(['rebooting web-1']);
    expect(sim.workspace.responsesFor(url).map((r) => r.text)).toEqual(['checking…', 'rebooting web-1']);
  });

  it('replaces and deletes the message an action came from', async () => {
    const msg = await client.chat.postMessage({ channel: SANDBOX_CHANNELS.ops, text: 'Approve?' });
    const url = sim.responseUrl(undefined, { channel_id: SANDBOX_CHANNELS.ops, user_id: SANDBOX_USERS.alice, message_ts: msg.ts! });
    await post(url, { replace_original: true, text: 'Approved by alice' });
    expect(sim.workspace.getMessage(SANDBOX_CHANNELS.ops, msg.ts!)?.text).toBe('Approved by alice');
    await post(url, { delete_original: true });
    expect(sim.workspace.getMessage(SANDBOX_CHANNELS.ops, msg.ts!)).toBeUndefined();
  });

  it('records posts to a URL registered without context, and refuses a sixth use', async () => {
    const url = sim.responseUrl();
    for (let i = 1; i <= 5; i++) expect((await post(url, { text: `r${i}` })).status).toBe(200);
    expect(await post(url, { text: 'r6' })).toEqual({ status: 404, body: { ok: false, error: 'used_url' } });
    expect(sim.workspace.responsesFor(url)).toHaveLength(5);
    await sim.waitFor(() => sim.workspace.responseUrls.posts.length === 6);
  });
});

describe('Slack → a real Bolt app', () => {
  const SECRET = 'bolt-signing-secret';
  let app: App;
  let eventsUrl: string;
  const seen: Array<{ kind: string; body: Record<string, any> }> = [];

  beforeEach(async () => {
    seen.length = 0;
    app = new App({
      token: TOKEN,
      receiver: new HTTPReceiver({ signingSecret: SECRET, logLevel: LogLevel.ERROR }),
      logLevel: LogLevel.ERROR,
      deferInitialization: true,
      clientOptions: { slackApiUrl: `${sim.url}/api/`, retryConfig: { retries: 0 } },
    });
    app.command('/droplet', async ({ command, ack, respond, client: bolt }) => {
      seen.push({ kind: 'command', body: command });
      await ack();
      await respond({ text: `got ${command.text}` });
      await bolt.views.open({
        trigger_id: command.trigger_id,
        view: { type: 'modal', callback_id: 'confirm', title: { type: 'plain_text', text: 'Confirm' }, blocks: [] },
      });
    });
    app.action('approve', async ({ ack, body }) => {
      seen.push({ kind: 'action', body });
      await ack();
    });
    app.view('confirm', async ({ ack, body }) => {
      seen.push({ kind: 'view', body });
      await ack({ response_action: 'errors', errors: { reason: 'Say why' } });
    });
    app.view({ callback_id: 'confirm', type: 'view_closed' }, async ({ ack, body }) => {
      seen.push({ kind: 'closed', body });
      await ack();
    });
    app.options('target', async ({ ack, body }) => {
      seen.push({ kind: 'options', body });
      await ack({ options: [{ text: { type: 'plain_text', text: 'web-1' }, value: '1' }] });
    });
    await app.init(); // calls auth.test on the simulator
    const server = (await app.start(0)) as unknown as { address(): AddressInfo };
    eventsUrl = `http://127.0.0.1:${server.address().port}/slack/events`;
  });

  afterEach(async () => {
    await app.stop();
  });

  it('delivers a signed slash command that Bolt verifies, acks, and answers through response_url', async () => {
    const trigger = sim.workspace.views.issueTriggerId(SANDBOX_USERS.alice);
    const responseUrl = sim.responseUrl(undefined, { channel_id: SANDBOX_CHANNELS.ops, user_id: SANDBOX_USERS.alice });
    const body = slashCommandBody({ text: 'reboot web-1', user_id: SANDBOX_USERS.alice, channel_id: SANDBOX_CHANNELS.ops, response_url: responseUrl, trigger_id: trigger });
    const reply = await sendToBot(eventsUrl, SECRET, body);
    expect(reply.status).toBe(200);
    await sim.waitFor(() => sim.workspace.views.topFor(SANDBOX_USERS.alice));
    expect(sim.workspace.responsesFor(responseUrl)).toMatchObject([{ text: 'got reboot web-1' }]);
    expect(seen[0]?.body).toMatchObject({ command: '/droplet', text: 'reboot web-1', user_id: SANDBOX_USERS.alice });
  });

  it('is refused by Bolt when the signature is wrong', async () => {
    const body = slashCommandBody({ text: 'x', user_id: SANDBOX_USERS.alice, channel_id: SANDBOX_CHANNELS.ops, response_url: sim.responseUrl() });
    const reply = await sendToBot(eventsUrl, 'not-the-secret', body);
    expect(reply.status).toBe(401);
    expect(seen).toHaveLength(0);
  });

  it('routes block_actions, view_submission, view_closed and block_suggestion to their listeners', async () => {
    const action = await sendToBot(
      eventsUrl,
      SECRET,
      blockActionsBody({ user_id: SANDBOX_USERS.bob, channel_id: SANDBOX_CHANNELS.ops, message_ts: '1700000000.000100', actions: [{ action_id: 'approve', block_id: 'b', text: 'Approve', value: 'req-1' }] }),
    );
    const submit = await sendToBot(eventsUrl, SECRET, viewSubmissionBody({ user_id: SANDBOX_USERS.bob, view: { id: 'V1', callback_id: 'confirm' } }));
    const closed = await sendToBot(eventsUrl, SECRET, viewClosedBody({ user_id: SANDBOX_USERS.bob, view: { id: 'V1', callback_id: 'confirm' } }));
    const options = await sendToBot(eventsUrl, SECRET, blockSuggestionBody({ user_id: SANDBOX_USERS.bob, action_id: 'target', block_id: 't', value: 'we', view: { id: 'V1' } }));
    expect([action.status, submit.status, closed.status, options.status]).toEqual([200, 200, 200, 200]);
    expect(submit.json).toEqual({ response_action: 'errors', errors: { reason: 'Say why' } });
    expect(options.json).toMatchObject({ options: [{ value: '1' }] });
    expect(seen.map((s) => s.kind)).toEqual(['action', 'view', 'closed', 'options']);
    expect(seen[0]?.body.actions[0]).toMatchObject({ action_id: 'approve', value: 'req-1' });
  });
});
