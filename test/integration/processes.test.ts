// The compiled bot as real processes: the receiver and the workers run apart and share only
// Redis; bad settings or a bad role map stop it with a message that names the problem.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDigitalOceanSimulator, type DigitalOceanSimulator } from '../../src/sandbox/digitalocean/index.js';
import { sendToBot, slashCommandBody, startSlackSimulator, type SlackSimulator } from '../../src/sandbox/slack/index.js';
import { freePort } from '../support/global-redis.js';
import { CHANNEL, SECRETS, USERS } from '../support/harness.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

const root = new URL('../..', import.meta.url).pathname;
const children: ChildProcess[] = [];
let slack: SlackSimulator;
let digitalocean: DigitalOceanSimulator;
let env: Record<string, string>;
let prefix: string;

function run(mode: 'web' | 'worker' | 'all', extraEnv: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['dist/main.js', ...(mode === 'all' ? [] : [mode])], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  children.push(child);
  return { child, output: () => output };
}

async function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

beforeAll(async () => {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root });
  slack = await startSlackSimulator({ botToken: SECRETS.botToken });
  digitalocean = await startDigitalOceanSimulator({ token: SECRETS.doToken, timeScale: 0.01 });
  prefix = uniquePrefix('proc');
  const dir = mkdtempSync(join(tmpdir(), 'droplet-bot-proc-'));
  const roles = join(dir, 'roles.yml');
  writeFileSync(roles, `roles:\n  admin: [droplet:update, droplet:create, droplet:admin, image:create]\nmembers:\n  ${USERS.admin}: [admin]\n`);
  env = {
    SLACK_BOT_TOKEN: SECRETS.botToken,
    SLACK_SIGNING_SECRET: SECRETS.signingSecret,
    SLACK_API_URL: `${slack.url}/api/`,
    DIGITALOCEAN_TOKEN: SECRETS.doToken,
    DIGITALOCEAN_API_URL: digitalocean.url,
    REDIS_URL: redisUrl(),
    REDIS_PREFIX: prefix,
    ROLE_MAP: roles,
    LOG_LEVEL: 'info',
  };
}, 60_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await Promise.all([slack?.close(), digitalocean?.close()]);
  await deleteKeys(prefix);
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
    // No worker yet: the request waits in Redis and DigitalOcean hears nothing.
    await new Promise((r) => setTimeout(r, 500));
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
    const codes = await Promise.all([web, ...workers].map((p) => exited(p.child)));
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
    expect(await exited(p.child)).toBe(1);
    expect(p.output()).toContain('roles.ops.0');
  });

  it('lists every missing setting at once and never prints a secret', async () => {
    const p = spawn(process.execPath, ['dist/main.js'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', SLACK_BOT_TOKEN: 'not-a-bot-token-9f8e7d' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stderr!.on('data', (c) => (out += c));
    expect(await exited(p)).toBe(1);
    expect(out).toContain('SLACK_BOT_TOKEN must be a bot token');
    expect(out).toContain('DIGITALOCEAN_TOKEN is required');
    expect(out).toContain('SLACK_SIGNING_SECRET is required');
    expect(out).not.toContain('not-a-bot-token-9f8e7d');
  });
});

async function waitForHealth(port: number): Promise<boolean> {
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
