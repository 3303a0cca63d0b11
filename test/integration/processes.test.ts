// The compiled bot as real processes: the receiver and the workers run apart and share only
// Redis; bad settings or a bad role map stop it with a message that names the problem.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendToBot, slashCommandBody, type DigitalOceanSimulator, type SlackSimulator } from 'droplet-bot-sandbox';
import { freePort } from '../support/global-redis.js';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ACTION_QUEUE } from '../../src/queue/action-job.js';
import { spawnRedisServer } from 'droplet-bot-sandbox';
import { runBot, waitForHealth, type BotProcess } from '../support/processes.js';
import { startProcessWorld, type ProcessWorld } from '../support/process-world.js';
import { CHANNEL, SECRETS, USERS } from '../support/harness.js';
import { redisUrl } from '../support/redis.js';

let world: ProcessWorld;
let slack: SlackSimulator;
let digitalocean: DigitalOceanSimulator;
let prefix: string;
const children: BotProcess[] = [];

const run = (mode: 'web' | 'worker' | 'all', extraEnv: Record<string, string> = {}) => world.run(mode, extraEnv);

beforeAll(async () => {
  world = await startProcessWorld('proc', { LOG_LEVEL: 'info' });
  ({ slack, digitalocean, prefix } = world);
}, 60_000);

afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  await world?.stop();
});

describe('web and worker processes', () => {
  it('queue in one process and run in another, sharing only Redis', async () => {
    const port = await freePort();
    const web = run('web', { PORT: String(port) });
    const healthy = await waitForHealth(port);
    expect(healthy).toBe(true);

    const body = slashCommandBody({ text: 'power-off web-2', user_id: USERS.admin, channel_id: CHANNEL, response_url: slack.responseUrl(), trigger_id: `${Date.now()}.proc.1` });
    const res = await sendToBot(`http://127.0.0.1:${port}/slack/events`, SECRETS.signingSecret, body);
    expect(res.status).toBe(200);
    const rootMsg = await slack.waitFor(() => slack.workspace.channelMessages(CHANNEL).find((m) => m.text?.startsWith('power-off on web-2')), 10_000);
    // No worker yet: the request waits in the queue, where only a worker could take it.
    const queue = new Queue(ACTION_QUEUE, { connection: new Redis(redisUrl(), { maxRetriesPerRequest: 1 }), prefix });
    try {
      const until = Date.now() + 10_000;
      let states: string[] = [];
      while (Date.now() < until && states.length === 0) {
        states = await Promise.all((await queue.getJobs(['waiting', 'active', 'completed', 'delayed'])).map((j) => j.getState()));
        if (states.length === 0) await new Promise((r) => setTimeout(r, 50));
      }
      expect(states).toEqual(['waiting']);
    } finally {
      await queue.close();
      await queue.disconnect();
    }
    expect(digitalocean.requests.filter((r) => r.method === 'POST')).toHaveLength(0);

    const workers = [run('worker'), run('worker')];
    const done = await slack.waitFor(() => {
      const m = slack.workspace.channelMessages(CHANNEL).find((x) => x.ts === rootMsg.ts);
      return m?.text?.endsWith(': completed') ? m : undefined;
    }, 20_000);
    expect(done.text).toBe('power-off on web-2: completed');
    expect(digitalocean.requests.filter((r) => r.method === 'POST')).toHaveLength(1);

    // SIGTERM: each process stops promptly and cleanly.
    for (const p of [web, ...workers]) p.child.kill('SIGTERM');
    const codes = await Promise.all([web, ...workers].map((p) => p.exited()));
    expect(codes).toEqual([0, 0, 0]);
    const logs = [web, ...workers].map((p) => p.output()).join('');
    for (const secret of Object.values(SECRETS)) expect(logs).not.toContain(secret);
  }, 60_000);
});

describe('start-up checks', () => {
  it('stops on an invalid role map and names the bad field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'droplet-bot-bad-'));
    const bad = join(dir, 'roles.yml');
    writeFileSync(bad, 'roles:\n  ops: [droplet:reboot]\nmembers:\n  U0123ABCD: [ops]\n');
    const p = run('web', { ROLE_MAP: bad, PORT: String(await freePort()) });
    expect(await p.exited()).toBe(1);
    expect(p.output()).toContain('roles.ops.0');
  });

  it('takes the role map from ROLE_MAP_YAML where there is no file to mount, and stops on a bad one naming the setting', async () => {
    const bad = run('worker', { ROLE_MAP: '', ROLE_MAP_YAML: 'roles:\n  ops: [droplet:reboot]\nmembers: {}\n', PORT: String(await freePort()) });
    expect(await bad.exited()).toBe(1);
    expect(bad.output()).toContain('Role map in ROLE_MAP_YAML is not valid');
    expect(bad.output()).toContain('roles.ops.0');
  });

  it('lists every missing setting at once and never prints a secret', async () => {
    const p = runBot('all', { SLACK_BOT_TOKEN: 'not-a-bot-token-9f8e7d' });
    children.push(p);
    expect(await p.exited()).toBe(1);
    const out = p.output();
    expect(out).toContain('SLACK_BOT_TOKEN must be a bot token');
    expect(out).toContain('DIGITALOCEAN_TOKEN is required');
    expect(out).toContain('SLACK_SIGNING_SECRET is required');
    expect(out).not.toContain('not-a-bot-token-9f8e7d');
  });

  it('with NODE_ENV=production and nothing set, stops with the list of what is missing instead of starting the sandbox', async () => {
    const port = await freePort();
    const p = runBot('all', { NODE_ENV: 'production', PORT: String(port), PLAYGROUND_PORT: String(await freePort()) });
    children.push(p);
    expect(await p.exited()).toBe(1);
    const out = p.output();
    expect(out).toContain('NODE_ENV is production');
    for (const name of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'DIGITALOCEAN_TOKEN']) expect(out).toContain(name);
    expect(out).toContain('npm run sandbox');
    expect(out).not.toContain('playground');
  });

  it('the sandbox never prints a Redis password, at any log level', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'droplet-bot-redis-auth-'));
    const port = await freePort();
    const password = 's3cret-redis-pass-4242';
    const redis = await spawnRedisServer(port, dir, ['--save', '', '--appendonly', 'no', '--requirepass', password]);
    try {
      const p = runBot('sandbox', {
        REDIS_URL: `redis://:${password}@127.0.0.1:${port}`,
        PORT: String(await freePort()),
        PLAYGROUND_PORT: String(await freePort()),
        LOG_LEVEL: 'debug',
      });
      children.push(p);
      await new Promise<void>((resolve, reject) => {
        const until = Date.now() + 20_000;
        const check = setInterval(() => {
          if (p.output().includes('Open the playground')) {
            clearInterval(check);
            resolve();
          } else if (p.child.exitCode !== null || Date.now() > until) {
            clearInterval(check);
            reject(new Error(`the sandbox did not start:\n${p.output()}`));
          }
        }, 50);
      });
      p.child.kill('SIGTERM');
      await p.exited();
      expect(p.output()).toContain(`redis://127.0.0.1:${port}`);
      expect(p.output()).not.toContain(password);
    } finally {
      redis.kill('SIGKILL');
    }
  });
});
