// Real processes and a real Redis that we stop and start: a worker killed with -9 between the
// POST and the end of the action, Redis restarting mid-run, SIGTERM with a job in flight, and
// a receiver whose Redis is gone. Every case ends with exactly one POST and the truth in Slack.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDigitalOceanSimulator, type DigitalOceanSimulator } from 'droplet-bot-sandbox';
import { sendToBot, slashCommandBody, startSlackSimulator, type SlackSimulator } from 'droplet-bot-sandbox';
import { spawnRedisServer } from 'droplet-bot-sandbox';
import { freePort } from '../support/global-redis.js';
import { CHANNEL, SECRETS, USERS, botEnv } from '../support/harness.js';
import { runBot, waitForHealth, waitForHealthStatus, writeRoleMap, type BotProcess } from '../support/processes.js';

let slack: SlackSimulator;
let digitalocean: DigitalOceanSimulator;
let redis: ChildProcess | undefined;
let redisPort: number;
let redisDir: string;
let roleMap: string;
const bots: BotProcess[] = [];

// A Redis of our own, with AOF, because these tests stop and restart it.
async function startRedis(): Promise<void> {
  redis = await spawnRedisServer(redisPort, redisDir, ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always']);
}
async function stopRedis(): Promise<void> {
  const r = redis;
  redis = undefined;
  if (!r || r.exitCode !== null) return;
  const gone = new Promise((resolve) => r.once('exit', resolve));
  r.kill('SIGTERM');
  await gone;
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  return botEnv({ slackUrl: slack.url, digitaloceanUrl: digitalocean.url, redisUrl: `redis://127.0.0.1:${redisPort}`, roleMap }, { WORKER_LOCK_MS: '2000', LOG_LEVEL: 'info', ...extra });
}

function start(mode: 'web' | 'worker', extra: Record<string, string> = {}): BotProcess {
  const p = runBot(mode, env(extra));
  bots.push(p);
  return p;
}

async function command(port: number, text: string) {
  const body = slashCommandBody({ text, user_id: USERS.admin, channel_id: CHANNEL, response_url: slack.responseUrl(undefined, { channel_id: CHANNEL, user_id: USERS.admin }), trigger_id: `${Date.now()}.${Math.random()}` });
  return sendToBot(`http://127.0.0.1:${port}/slack/events`, SECRETS.signingSecret, body);
}

const root = (prefix: string) => slack.workspace.channelMessages(CHANNEL).find((m) => m.text?.startsWith(prefix));
const posts = (dropletId: number) => digitalocean.requests.filter((r) => r.method === 'POST' && r.path === `/v2/droplets/${dropletId}/actions`);
const actionsOf = (dropletId: number) => digitalocean.state.actions.filter((a) => a.resource_id === dropletId);

beforeAll(async () => {
  slack = await startSlackSimulator({ botToken: SECRETS.botToken });
  digitalocean = await startDigitalOceanSimulator({ token: SECRETS.doToken, timeScale: 0.01, durations: { reboot: 6000, power_off: 4000, shutdown: 4000, resize: 8000, power_on: 1000 } });
  redisPort = await freePort();
  redisDir = mkdtempSync(join(tmpdir(), 'droplet-bot-aof-'));
  roleMap = writeRoleMap();
  await startRedis();
}, 60_000);

afterEach(async () => {
  for (const b of bots.splice(0)) if (b.child.exitCode === null) b.child.kill('SIGKILL');
  if (!redis) await startRedis();
});

afterAll(async () => {
  await stopRedis();
  await Promise.all([slack?.close(), digitalocean?.close()]);
  if (redisDir) rmSync(redisDir, { recursive: true, force: true });
});

describe('crash recovery with real processes', () => {
  it('resumes from the saved action ID after kill -9 between the POST and the end: one POST, then completed', async () => {
    const port = await freePort();
    start('web', { PORT: String(port) });
    const first = start('worker');
    expect(await waitForHealth(port)).toBe(true);
    const d = digitalocean.addDroplet({ name: 'kill-nine' });
    await command(port, 'reboot kill-nine');
    // The worker has POSTed and saved the action ID once the thread says in-progress.
    const rootMsg = await slack.waitFor(() => root('reboot on kill-nine'), 15_000);
    await slack.waitFor(() => slack.workspace.replies(CHANNEL, rootMsg.ts).some((m) => m.text?.includes('*in-progress*')), 15_000);
    expect(actionsOf(d.id)[0]?.status).toBe('in-progress');
    first.child.kill('SIGKILL');
    await first.exited();

    const second = start('worker');
    const done = await slack.waitFor(() => {
      const m = root('reboot on kill-nine');
      return m?.text?.endsWith(': completed') ? m : undefined;
    }, 30_000).catch((err) => {
      console.log(second.output());
      throw err;
    });
    expect(done.text).toBe('reboot on kill-nine: completed');
    expect(posts(d.id)).toHaveLength(1);
    expect(actionsOf(d.id)).toHaveLength(1);
    const replies = slack.workspace.replies(CHANNEL, rootMsg.ts).map((m) => m.text ?? '');
    expect(replies.filter((t) => t.includes('*completed*'))).toHaveLength(1);
  }, 60_000);

  it('resumes a procedure at the step it was on after kill -9 between steps and during one: each step sent once', async () => {
    const port = await freePort();
    start('web', { PORT: String(port) });
    const first = start('worker');
    expect(await waitForHealth(port)).toBe(true);
    const d = digitalocean.addDroplet({ name: 'kill-nine-resize' });
    await command(port, 'resize kill-nine-resize size=s-2vcpu-4gb');
    const rootMsg = await slack.waitFor(() => root('resize on kill-nine-resize'), 15_000);
    const said = (pattern: RegExp) => slack.waitFor(() => slack.workspace.replies(CHANNEL, rootMsg.ts).some((m) => pattern.test(m.text ?? '')) || undefined, 30_000);
    // Between steps: the shutdown is done, the resize not yet sent.
    await said(/\*Shut down gracefully\* · done/);
    first.child.kill('SIGKILL');
    await first.exited();
    const second = start('worker');
    // During a step: the resize reached DigitalOcean, which is still resizing (its ID saved, or about
    // to be: a rerun that finds no ID looks for the action before any POST).
    await slack.waitFor(() => actionsOf(d.id).find((a) => a.type === 'resize'), 30_000);
    expect(actionsOf(d.id).find((a) => a.type === 'resize')?.status).toBe('in-progress');
    second.child.kill('SIGKILL');
    await second.exited();
    const third = start('worker');
    const done = await slack.waitFor(() => {
      const m = root('resize on kill-nine-resize');
      return m?.text?.endsWith(': completed') || m?.text?.endsWith(': errored') ? m : undefined;
    }, 45_000).catch((err) => {
      console.log(third.output());
      throw err;
    });
    expect(done.text).toBe('resize on kill-nine-resize: completed');
    expect(posts(d.id).map((r) => (r.body as { type: string }).type)).toEqual(['shutdown', 'resize', 'power_on']);
    expect(actionsOf(d.id).map((a) => a.type)).toEqual(['shutdown', 'resize', 'power_on']);
    expect(d).toMatchObject({ status: 'active', size_slug: 's-2vcpu-4gb' });
    const replies = slack.workspace.replies(CHANNEL, rootMsg.ts).map((m) => m.text ?? '');
    expect(replies.filter((t) => t.includes('*completed*'))).toHaveLength(1);
    expect(replies.filter((t) => /\*Resize\* · DigitalOcean action/.test(t))).toHaveLength(1);
  }, 90_000);

  it('finishes the action when Redis restarts mid-run', async () => {
    const port = await freePort();
    start('web', { PORT: String(port) });
    start('worker');
    expect(await waitForHealth(port)).toBe(true);
    const d = digitalocean.addDroplet({ name: 'redis-blink' });
    await command(port, 'power-off redis-blink');
    const rootMsg = await slack.waitFor(() => root('power-off on redis-blink'), 15_000);
    await slack.waitFor(() => slack.workspace.replies(CHANNEL, rootMsg.ts).some((m) => m.text?.includes('*in-progress*')), 15_000);
    await stopRedis();
    await new Promise((r) => setTimeout(r, 1500));
    await startRedis();
    const done = await slack.waitFor(() => {
      const m = root('power-off on redis-blink');
      return m?.text?.endsWith(': completed') ? m : undefined;
    }, 40_000);
    expect(done.text).toBe('power-off on redis-blink: completed');
    expect(posts(d.id)).toHaveLength(1);
  }, 70_000);

  it('on SIGTERM while its job waits for the action, exits at once; another worker finishes the job, once', async () => {
    const port = await freePort();
    start('web', { PORT: String(port) });
    // A grace period shorter than the action: there is nothing running to wait for anyway.
    const leaving = start('worker', { SHUTDOWN_GRACE_MS: '1000' });
    expect(await waitForHealth(port)).toBe(true);
    const d = digitalocean.addDroplet({ name: 'sigterm' });
    await command(port, 'reboot sigterm');
    const rootMsg = await slack.waitFor(() => root('reboot on sigterm'), 15_000);
    await slack.waitFor(() => slack.workspace.replies(CHANNEL, rootMsg.ts).some((m) => m.text?.includes('*in-progress*')), 15_000);
    // The job let go of its slot once the action ID was saved: nothing holds the exit up.
    const signalled = Date.now();
    leaving.child.kill('SIGTERM');
    expect(await leaving.exited()).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(1000 + 5000);
    expect(actionsOf(d.id)[0]?.status).toBe('in-progress');
    start('worker');
    const done = await slack.waitFor(() => {
      const m = root('reboot on sigterm');
      return m?.text?.endsWith(': completed') ? m : undefined;
    }, 40_000);
    expect(done.text).toBe('reboot on sigterm: completed');
    expect(posts(d.id)).toHaveLength(1);
    // Handed back, not failed: the thread never says errored.
    expect(slack.workspace.replies(CHANNEL, rootMsg.ts).some((m) => m.text?.includes('*errored*'))).toBe(false);
  }, 90_000);

  it('answers in the ack that nothing was queued when Redis is down, and /healthz says so', async () => {
    const port = await freePort();
    const web = start('web', { PORT: String(port) });
    expect(await waitForHealth(port)).toBe(true);
    await stopRedis();
    // The receiver has noticed once /healthz says so.
    const health = await waitForHealthStatus(port, 503);
    expect(await health.json()).toMatchObject({ ok: false });
    const res = await command(port, 'reboot web-1');
    expect(res.status).toBe(200);
    expect((res.json as { text: string }).text).toContain('could not be queued');
    // The log line reaches the pipe a moment after the answer.
    await slack.waitFor(() => web.output().includes('Redis is down'), 5000);
    await startRedis();
    expect((await waitForHealthStatus(port, 200)).status).toBe(200);
  }, 60_000);
});
