// Socket Mode end to end: the bot, configured with SLACK_APP_TOKEN and no signing secret, opens a
// WebSocket through apps.connections.open on the Slack simulator; slash commands arrive as
// `slash_commands` envelopes and are acked on the socket, and the rest (Redis, BullMQ worker,
// DigitalOcean simulator, thread updates) runs as in HTTP mode.
import { Health } from '../../src/ops/health.js';
import { BotMetrics } from '../../src/ops/metrics.js';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startSlackSimulator } from 'droplet-bot-sandbox';
import { createSlackApp } from '../../src/slack/app.js';
import { CHANNEL, SECRETS, USERS, freePort, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
let port: number;
beforeAll(async () => {
  h = await startHarness({ socketMode: true });
  port = h.config.port;
});
afterAll(async () => {
  await h?.stop();
});

const posts = (dropletId?: number) =>
  h.digitalocean.requests.filter((r) => r.method === 'POST' && (dropletId === undefined || r.path === `/v2/droplets/${dropletId}/actions`));

async function waitForFinal(prefix: string, timeoutMs = 15_000) {
  return h.slack.waitFor(() => {
    const root = h.roots().filter((m) => m.text?.startsWith(prefix)).at(-1);
    return root && /: (completed|errored)$/.test(root.text ?? '') ? root : undefined;
  }, timeoutMs);
}

describe('start-up in Socket Mode', () => {
  it('runs on the app-level token alone and holds one WebSocket to Slack', () => {
    expect(h.config.slack).toMatchObject({ socketMode: true, appToken: SECRETS.appToken, signingSecret: undefined });
    const opens = h.slack.callsTo('apps.connections.open');
    expect(opens).toHaveLength(1);
    expect(opens[0]!.ok).toBe(true);
    expect(h.slack.socketMode.connections).toBe(1);
    expect(h.slack.socketMode.connectionsOpened).toBe(1);
  });

  it('answers GET /healthz on PORT, and has no HTTP events endpoint', async () => {
    expect(port).toBeGreaterThan(0);
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    // Both halves run in this process: the worker's state is in the answer too.
    expect(await res.json()).toEqual({ ok: true, redis: 'up', workers: 'running' });
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    const events = await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', body: 'command=%2Fdroplet' });
    expect(events.status).toBe(404);
  });
});

describe('/droplet over the socket', () => {
  it('acks reboot web-1 on the socket, then runs it and reports every step in the thread', async () => {
    const before = posts(3164444).length;
    const res = await h.command('reboot web-1');
    expect(res.status).toBe(200);
    expect(res.json).toBeUndefined(); // a bare ack: nothing for the user yet

    const envelope = h.slack.socketMode.envelopes.at(-1)!;
    expect(envelope.envelope.type).toBe('slash_commands');
    expect(envelope.envelope.payload).toMatchObject({ command: '/droplet', text: 'reboot web-1', user_id: USERS.admin, channel_id: CHANNEL });
    expect(envelope.ack).toEqual({ envelope_id: envelope.envelope.envelope_id, payload: {}, ms: expect.any(Number) });

    const root = await waitForFinal('reboot on web-1:');
    expect(root.text).toBe('reboot on web-1: completed');
    const thread = await h.slack.waitFor(() => {
      const replies = h.thread(root.ts);
      return replies.some((r) => r.text?.includes('*completed*')) ? replies : undefined;
    });
    const texts = thread.map((r) => r.text ?? '');
    expect(texts[0]).toContain('*queued*');
    expect(texts.at(-1)).toMatch(/\*completed\* · action \d+ completed in .+ · <@U0ADMIN01>/);

    const sent = posts(3164444).slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body).toEqual({ type: 'reboot' });
  });

  it('answers a malformed command inside the ack payload and queues nothing', async () => {
    const before = posts().length;
    const bad = await h.command('change-backup-policy web-1 plan=daily hour=5');
    expect(bad.json).toMatchObject({ response_type: 'ephemeral' });
    expect((bad.json as { text: string }).text).toContain('hour must be one of 0, 4, 8, 12, 16, 20');
    const typo = await h.command('rebot web-1');
    expect((typo.json as { text: string }).text).toContain('Did you mean `reboot`?');
    expect(h.slack.socketMode.envelopes.at(-1)!.ack!.payload).toEqual(typo.json);
    // Answered inside the ack, before anything was recorded: nothing can run later.
    expect((await h.pending(3164444)).intake).toBe(0);
    expect(posts().length).toBe(before);
  });

  it('sends later replies to the response_url, as in HTTP mode', async () => {
    const res = await h.command('reboot web-2', USERS.nobody);
    expect(res.json).toBeUndefined();
    const text = await h.slack.waitFor(() => h.responses(res.responseUrl)[0]?.text, 10_000);
    expect(text).toContain('it needs the `droplet:update` scope');
  });

  it('reconnects when Slack asks it to, with a fresh URL, and keeps working', async () => {
    h.slack.socketMode.requestReconnect('refresh_requested');
    // @slack/socket-mode waits clientPingTimeout (5 s) before reconnecting.
    await h.slack.waitFor(() => h.slack.socketMode.connectionsOpened === 2 && h.slack.socketMode.connections === 1, 15_000);
    expect(h.slack.callsTo('apps.connections.open')).toHaveLength(2);

    const droplet = h.digitalocean.addDroplet({ name: 'after-reconnect' });
    const res = await h.command('power-cycle after-reconnect');
    expect(res.status).toBe(200);
    const root = await waitForFinal('power-cycle on after-reconnect:');
    expect(root.text).toBe('power-cycle on after-reconnect: completed');
    expect(posts(droplet.id)).toHaveLength(1);
  });

  it('never writes the app-level token, the bot token or the DigitalOcean token to the log', () => {
    const all = h.logs.join('');
    expect(all.length).toBeGreaterThan(1000);
    for (const secret of [SECRETS.appToken, SECRETS.botToken, SECRETS.doToken]) expect(all).not.toContain(secret);
  });

  it('never writes a capability to its debug log: no Socket Mode ticket, no response_url', () => {
    const all = h.logs.join('');
    // Bolt logs the connection URL and every envelope at debug level: both were there, scrubbed.
    expect(all).toContain('ticket=[REDACTED]');
    expect(all).toContain('response_url\\":\\"[REDACTED]');
    expect(all).not.toMatch(/ticket=[0-9a-f-]{8,}/);
    expect(all).not.toContain('/response-url/');
  });
});

describe('a wrong app-level token', () => {
  it('makes start() fail with invalid_auth instead of retrying for ever', async () => {
    const slack = await startSlackSimulator({ botToken: SECRETS.botToken, appToken: SECRETS.appToken });
    const logs: string[] = [];
    const logger = createLogger({
      level: 'debug',
      secrets: [SECRETS.botToken],
      destination: new Writable({
        write(chunk, _enc, cb) {
          logs.push(String(chunk));
          cb();
        },
      }),
    });
    const wrong = 'xapp-1-A0DROPBOT-4242-thisisnottheone';
    const app = createSlackApp({
      botToken: SECRETS.botToken,
      appToken: wrong,
      apiUrl: `${slack.url}/api/`,
      port: await freePort(),
      logger,
      ops: { health: new Health(), metrics: new BotMetrics() },
    });
    try {
      await expect(app.start()).rejects.toMatchObject({ data: { ok: false, error: 'invalid_auth' } });
      expect(slack.callsTo('apps.connections.open')).toHaveLength(1);
      expect(slack.socketMode.connectionsOpened).toBe(0);
      expect(logs.join('')).not.toContain(wrong);
    } finally {
      await app.stop();
      await slack.close();
    }
  });
});
