// The Slack simulator's Socket Mode side, driven by a bare WebSocket client: apps.connections.open
// and its token rules, single-use tickets, `hello`, envelopes and acks, disconnect, close.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { SOCKET_MODE_PATH, SocketModeAckTimeout, slashCommandBody, startSlackSimulator, type SlackSimulator } from '../src/slack/index.js';

const APP_TOKEN = 'xapp-1-A0DROPBOT-1234-abcdef0123456789';
const BOT_TOKEN = 'xoxb-1111-2222-socketmodeunit';

let sim: SlackSimulator;
const clients: WebSocket[] = [];

beforeEach(async () => {
  sim = await startSlackSimulator({ botToken: BOT_TOKEN, appToken: APP_TOKEN });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  await sim.close();
});

async function open(headers: Record<string, string> = { authorization: `Bearer ${APP_TOKEN}` }, body = '') {
  const res = await fetch(`${sim.url}/api/apps.connections.open`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  return (await res.json()) as { ok: boolean; url?: string; error?: string };
}

/** Connects and collects every text message; resolves once the socket is open. */
async function connect(url: string) {
  const ws = new WebSocket(url);
  clients.push(ws);
  const messages: Array<Record<string, unknown>> = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data)) as Record<string, unknown>));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, messages };
}

const next = (messages: Array<Record<string, unknown>>, type: string) =>
  sim.waitFor(() => messages.find((m) => m.type === type));

describe('apps.connections.open', () => {
  it('answers a WebSocket URL on this server with a ticket and the app ID', async () => {
    const res = await open();
    expect(res.ok).toBe(true);
    const url = new URL(res.url!);
    expect(url.protocol).toBe('ws:');
    expect(url.host).toBe(new URL(sim.url).host);
    expect(url.pathname).toBe(SOCKET_MODE_PATH);
    expect(url.searchParams.get('ticket')).toMatch(/^[0-9a-f-]{36}$/);
    expect(url.searchParams.get('app_id')).toBe(sim.workspace.bot.app_id);
    // Each call gets its own ticket.
    expect((await open()).url).not.toBe(res.url);
  });

  it('takes only an app-level token, and only from the Authorization header', async () => {
    expect(await open({ authorization: `Bearer ${BOT_TOKEN}` })).toEqual({ ok: false, error: 'invalid_auth' });
    expect(await open({ authorization: 'Bearer xapp-1-A0OTHER-9-notthisone' })).toEqual({ ok: false, error: 'invalid_auth' });
    expect(await open({})).toEqual({ ok: false, error: 'not_authed' });
    expect(await open({}, `token=${APP_TOKEN}`)).toEqual({ ok: false, error: 'not_authed' });
    // The bot token's methods still refuse the app token.
    const auth = await fetch(`${sim.url}/api/auth.test`, { method: 'POST', headers: { authorization: `Bearer ${APP_TOKEN}` } });
    expect(await auth.json()).toEqual({ ok: false, error: 'invalid_auth' });
  });

  it('records the call without the token, and honours scripted failures', async () => {
    await open();
    const call = sim.callsTo('apps.connections.open')[0]!;
    expect(call).toMatchObject({ ok: true, args: {} });
    expect(JSON.stringify(sim.calls)).not.toContain(APP_TOKEN);
    sim.failNext('apps.connections.open', { status: 429, retryAfter: 1 });
    const res = await fetch(`${sim.url}/api/apps.connections.open`, { method: 'POST', headers: { authorization: `Bearer ${APP_TOKEN}` } });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
  });

  it('accepts any xapp- token when the simulator was given none', async () => {
    const open2 = await startSlackSimulator();
    try {
      const res = await fetch(`${open2.url}/api/apps.connections.open`, { method: 'POST', headers: { authorization: 'Bearer xapp-anything' } });
      expect(await res.json()).toMatchObject({ ok: true, url: expect.stringMatching(/^ws:\/\//) });
    } finally {
      await open2.close();
    }
  });
});

describe('the WebSocket', () => {
  it('says hello as Slack does, counting connections', async () => {
    const first = await connect((await open()).url!);
    const hello = await next(first.messages, 'hello');
    expect(hello).toEqual({
      type: 'hello',
      num_connections: 1,
      debug_info: { host: expect.stringMatching(/^applink-/), build_number: expect.any(Number), approximate_connection_time: expect.any(Number) },
      connection_info: { app_id: sim.workspace.bot.app_id },
    });
    const second = await connect((await open()).url!);
    expect(await next(second.messages, 'hello')).toMatchObject({ num_connections: 2 });
    expect(sim.socketMode.connections).toBe(2);
    first.ws.close();
    await sim.waitFor(() => sim.socketMode.connections === 1);
  });

  it('lets a ticket be used once, and refuses unknown tickets and other paths', async () => {
    const url = (await open()).url!;
    await connect(url);
    await expect(connect(url)).rejects.toThrow(/401/);
    await expect(connect(url.replace(/ticket=[^&]+/, 'ticket=forged'))).rejects.toThrow(/401/);
    await expect(connect(`${sim.url.replace('http', 'ws')}/elsewhere`)).rejects.toThrow(/404/);
    expect(sim.socketMode.connections).toBe(1);
  });

  it('delivers a slash command envelope with the form fields as JSON and resolves with the ack', async () => {
    const { ws, messages } = await connect((await open()).url!);
    await next(messages, 'hello');
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { type: string; envelope_id: string };
      if (m.type === 'slash_commands') ws.send(JSON.stringify({ envelope_id: m.envelope_id, payload: { response_type: 'ephemeral', text: 'got it' } }));
    });
    const fields = { text: 'reboot web-1', user_id: 'U0ADMIN01', channel_id: 'C0OPS0001', response_url: sim.responseUrl(), trigger_id: '1.2.abc' };
    const ack = await sim.socketMode.sendSlashCommand(fields);

    const envelope = messages.find((m) => m.type === 'slash_commands')!;
    expect(envelope).toEqual({
      type: 'slash_commands',
      envelope_id: ack.envelope_id,
      accepts_response_payload: true,
      payload: Object.fromEntries(new URLSearchParams(slashCommandBody(fields))),
    });
    expect((envelope.payload as Record<string, string>).command).toBe('/droplet');
    expect(ack.payload).toEqual({ response_type: 'ephemeral', text: 'got it' });
    expect(sim.socketMode.envelopes.at(-1)).toEqual({ envelope, ack });
  });

  it('rejects when the app does not ack in time, or nothing is connected', async () => {
    await expect(sim.socketMode.sendSlashCommand({ text: 'help', user_id: 'U1', channel_id: 'C1', response_url: 'x' })).rejects.toThrow(/no connection is open/);
    const { messages } = await connect((await open()).url!);
    await next(messages, 'hello');
    const sent = sim.socketMode.sendInteraction({ type: 'block_actions', actions: [] }, { ackTimeoutMs: 100 });
    await expect(sent).rejects.toBeInstanceOf(SocketModeAckTimeout);
    expect(await next(messages, 'interactive')).toMatchObject({ accepts_response_payload: false, payload: { type: 'block_actions' } });
  });

  it('asks the client to reconnect, and closes connections when the simulator closes', async () => {
    const { ws, messages } = await connect((await open()).url!);
    await next(messages, 'hello');
    sim.socketMode.requestReconnect();
    expect(await next(messages, 'disconnect')).toMatchObject({ reason: 'refresh_requested', debug_info: { host: expect.any(String) } });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await sim.socketMode.close();
    expect(await closed).toBe(1001);
  });
});
