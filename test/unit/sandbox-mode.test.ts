// The start-up decision (sandbox with nothing set, real with everything, an error naming the gaps
// otherwise), and the sandbox's Redis: found, or started privately, or a clear install hint.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { decideMode } from '../../src/mode.js';
import { findOrStartRedis, LocalRedisError, ping } from 'droplet-bot-sandbox';
import { freePort } from '../support/global-redis.js';
import { redisUrl } from '../support/redis.js';

const real = {
  SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
  SLACK_SIGNING_SECRET: 'secret',
  DIGITALOCEAN_TOKEN: 'dop_v1_abc',
};

describe('decideMode', () => {
  it('runs the sandbox when no Slack or DigitalOcean setting is present', () => {
    expect(decideMode({})).toEqual({ kind: 'sandbox' });
    // Unrelated settings (and empty values, as in a blank .env) do not count.
    expect(decideMode({ PATH: '/usr/bin', REDIS_URL: 'redis://x', PORT: '4000', SLACK_BOT_TOKEN: '  ', DIGITALOCEAN_TOKEN: '' })).toEqual({
      kind: 'sandbox',
    });
  });

  it('runs for real when the tokens and a way to verify Slack requests are set', () => {
    expect(decideMode(real)).toEqual({ kind: 'real' });
    const { SLACK_SIGNING_SECRET: _s, ...socket } = real;
    expect(decideMode({ ...socket, SLACK_APP_TOKEN: 'xapp-1-abc' })).toEqual({ kind: 'real' });
  });

  it('does not run the sandbox by accident in production, but does when asked for by name', () => {
    const mode = decideMode({ NODE_ENV: 'production' });
    expect(mode.kind).toBe('incomplete');
    if (mode.kind !== 'incomplete') return;
    expect(mode.missing).toEqual(['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)', 'DIGITALOCEAN_TOKEN']);
    expect(mode.message).toContain('npm run sandbox');
    expect(decideMode({ NODE_ENV: 'production' }, true)).toEqual({ kind: 'sandbox' });
    expect(decideMode({ NODE_ENV: 'development' })).toEqual({ kind: 'sandbox' });
  });

  it('lists every missing setting when only some are set', () => {
    const mode = decideMode({ SLACK_BOT_TOKEN: 'xoxb-1-2-abc' });
    expect(mode.kind).toBe('incomplete');
    if (mode.kind !== 'incomplete') return;
    expect(mode.missing).toEqual(['SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)', 'DIGITALOCEAN_TOKEN']);
    expect(mode.present).toEqual(['SLACK_BOT_TOKEN']);
    expect(mode.message).toContain('DIGITALOCEAN_TOKEN');
    expect(mode.message).toContain('unset all of them to run the local sandbox');
  });

  it('treats a lone API URL as half-configured, not as the sandbox', () => {
    const mode = decideMode({ DIGITALOCEAN_API_URL: 'https://api.digitalocean.com' });
    expect(mode.kind).toBe('incomplete');
    if (mode.kind === 'incomplete') expect(mode.missing).toHaveLength(3);
  });

  it('never puts a secret value into its message', () => {
    const mode = decideMode({ DIGITALOCEAN_TOKEN: 'dop_v1_supersecretvalue' });
    expect(mode.kind === 'incomplete' && mode.message).not.toContain('supersecret');
  });
});

describe('findOrStartRedis', () => {
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  it('uses REDIS_URL as given, starting nothing', async () => {
    const redis = await findOrStartRedis({ env: { REDIS_URL: 'redis://example.invalid:6390' }, command: '/nonexistent/redis-server' });
    expect(redis).toMatchObject({ url: 'redis://example.invalid:6390', source: 'REDIS_URL' });
  });

  it('uses a Redis that already answers on the default port', async () => {
    const port = Number(new URL(redisUrl()).port);
    const redis = await findOrStartRedis({ env: {}, defaultPort: port, command: '/nonexistent/redis-server' });
    expect(redis).toMatchObject({ url: `redis://127.0.0.1:${port}`, source: 'default port' });
  });

  it('starts a private redis-server with its data in the given folder when nothing answers, and stops it', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'droplet-bot-sbx-')), 'redis');
    const redis = await findOrStartRedis({ env: {}, defaultPort: await freePort(), dataDir: dir });
    stops.push(() => redis.stop());
    expect(redis.source).toBe('private redis-server');
    const { port } = new URL(redis.url);
    expect(await ping('127.0.0.1', Number(port))).toBe('pong');
    const client = new Redis(redis.url);
    expect(await client.config('GET', 'dir')).toEqual(['dir', dir]);
    client.disconnect();
    await redis.stop();
    expect(await ping('127.0.0.1', Number(port))).toBe('none');
  });

  it('says how to install Redis when there is none to find or start', async () => {
    const failing = findOrStartRedis({ env: {}, defaultPort: await freePort(), dataDir: mkdtempSync(join(tmpdir(), 'droplet-bot-sbx-')), command: '/nonexistent/redis-server' });
    await expect(failing).rejects.toThrow(LocalRedisError);
    await expect(failing).rejects.toThrow(/apt-get install redis-server[\s\S]*brew install redis[\s\S]*REDIS_URL/);
  });
});
