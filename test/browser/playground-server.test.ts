// The playground's HTTP surface without a browser: the Web API the bot calls is mounted on it,
// and the page's own endpoints refuse what another web site or a stray path could send.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAYGROUND_PEOPLE } from 'droplet-bot-sandbox';
import { startPlayground, type Playground } from 'droplet-bot-sandbox';
import { SANDBOX_CHANNELS, SANDBOX_USERS, Workspace } from 'droplet-bot-sandbox';

const botToken = `xoxb-${randomBytes(6).toString('hex')}`;
let playground: Playground;
let workspace: Workspace;

beforeAll(async () => {
  workspace = new Workspace();
  playground = await startPlayground({ workspace, botToken, signingSecret: 'secret-123456', people: PLAYGROUND_PEOPLE, channel: SANDBOX_CHANNELS.ops, banner: 'test' });
});

afterAll(async () => {
  await playground?.close();
});

/** A raw request, so the Host header can be anything. */
function raw(path: string, opts: { method?: string; host?: string; type?: string; body?: string } = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const { port } = new URL(playground.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: { host: opts.host ?? `127.0.0.1:${port}`, ...(opts.type ? { 'content-type': opts.type } : {}) } },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('playground server', () => {
  it('answers the bot\'s Web API calls at /api/, with the bot token only', async () => {
    const call = (token: string) =>
      fetch(`${playground.url}/api/auth.test`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }).then((r) => r.json());
    expect(await call(botToken)).toMatchObject({ ok: true, user_id: 'U0DROPBOT', team_id: 'T0SANDBOX' });
    expect(await call('xoxb-someone-else')).toEqual({ ok: false, error: 'invalid_auth' });
  });

  it('serves the page with a content security policy that allows no inline or foreign script', async () => {
    const page = await raw('/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script type="module" src="/assets/app.js">');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect((await raw('/assets/mrkdwn.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    // Only the page's own files: no folders, no way out of public/.
    for (const path of ['/assets/../server.ts', '/assets/%2e%2e%2fserver.ts', '/assets/.hidden.js', '/assets/people.ts']) expect((await raw(path)).status, path).toBe(404);
  });

  it('refuses the page\'s endpoints to other host names (DNS rebinding) and to cross-site forms', async () => {
    expect((await raw('/play/state', { host: 'evil.example:3001' })).status).toBe(403);
    const form = { method: 'POST', type: 'application/x-www-form-urlencoded', body: 'user_id=U0BOB' };
    expect((await raw('/play/send', form)).status).toBe(415);
    expect((await raw('/play/constructor', { method: 'POST', type: 'application/json', body: '{}' })).status).toBe(404);
    expect((await raw('/play/send', { method: 'POST', type: 'application/json', body: '{"user_id":"nobody"}' })).status).toBe(400);
    expect(workspace.messages(SANDBOX_CHANNELS.ops)).toEqual([]);
  });

  it('says the bot is not there yet instead of hanging, before the bot has started', async () => {
    const res = await raw('/play/send', { method: 'POST', type: 'application/json', body: JSON.stringify({ user_id: SANDBOX_USERS.bob, channel_id: SANDBOX_CHANNELS.ops, text: '/droplet help' }) });
    expect(JSON.parse(res.body)).toMatchObject({ ok: false, error: 'dispatch_failed' });
    expect(JSON.parse(res.body).message).toContain('has not started yet');
  });
});
