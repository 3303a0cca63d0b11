// What the playground offers of the app comes from manifest.yml: its shortcuts (the shortcuts menu,
// a message's More actions) and its Home tab. A playground started without them offers neither,
// and refuses a shortcut the app never declared, as Slack would never send one.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeManifest, readManifest } from '../src/playground/manifest.js';
import { PLAYGROUND_PEOPLE } from '../src/playground/people.js';
import { startPlayground, type Playground } from '../src/playground/server.js';
import { SANDBOX_CHANNELS, SANDBOX_USERS } from '../src/slack/seed.js';
import { Workspace } from '../src/slack/workspace.js';

describe('the app as manifest.yml declares it', () => {
  it('reads the shortcuts, the Home tab and the bot scopes from the repository’s manifest', () => {
    const manifest = readManifest()!;
    expect(manifest.shortcuts).toEqual([
      { name: 'Droplet action', type: 'global', callback_id: 'droplet_action', description: 'Run a DigitalOcean Droplet action from anywhere' },
      { name: 'Run a Droplet action', type: 'message', callback_id: 'droplet_action_message', description: 'Act on the Droplet this message names, in its thread' },
    ]);
    expect(manifest.homeTab).toBe(true);
    expect(manifest.botScopes).toContain('chat:write');
  });

  it('leaves out what is malformed rather than guessing', () => {
    expect(describeManifest(undefined)).toEqual({ shortcuts: [], homeTab: false });
    const odd = describeManifest({
      features: { app_home: { home_tab_enabled: 'yes' }, shortcuts: [{ name: 'x', type: 'workflow', callback_id: 'x' }, { type: 'global', callback_id: 'nameless' }, 'junk'] },
      oauth_config: { scopes: { bot: ['chat:write', 7] } },
    });
    expect(odd).toEqual({ shortcuts: [], homeTab: false });
  });
});

describe('a playground started without shortcuts or a Home tab', () => {
  let playground: Playground;
  beforeAll(async () => {
    playground = await startPlayground({ workspace: new Workspace(), botToken: `xoxb-${randomBytes(6).toString('hex')}`, signingSecret: 'secret-123456', people: PLAYGROUND_PEOPLE, channel: SANDBOX_CHANNELS.ops, banner: 'test' });
    playground.setEventsUrl('http://127.0.0.1:9/slack/events');
  });
  afterAll(async () => {
    await playground?.close();
  });
  const play = (path: string, body: unknown) =>
    fetch(`${playground.url}/play/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());

  it('offers neither to the page, and sends the app nothing for them', async () => {
    const state = (await fetch(`${playground.url}/play/state`).then((r) => r.json())) as { app: unknown; homes: unknown };
    expect(state.app).toEqual({ shortcuts: [], homeTab: false });
    expect(state.homes).toEqual([]);
    expect(await play('home', { user_id: SANDBOX_USERS.bob })).toMatchObject({ ok: false, error: 'home_tab_disabled' });
    expect(await play('shortcut', { user_id: SANDBOX_USERS.bob, callback_id: 'droplet_action' })).toMatchObject({ ok: false, error: 'shortcut_not_found' });
  });
});
