// A worker that lost its job never POSTs. Worker A takes a job and waits for the rate budget;
// we freeze it (SIGSTOP) past its lock, worker B takes the job over and runs it, then A wakes.
// A's fence (the lock token checked in the same Redis step that marks "about to POST") fails,
// so DigitalOcean hears one action in total.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { budgetId } from '../../src/digitalocean/rate-budget.js';
import { sendToBot, slashCommandBody, type DigitalOceanSimulator, type SlackSimulator } from 'droplet-bot-sandbox';
import { freePort } from '../support/global-redis.js';
import { CHANNEL, SECRETS, USERS } from '../support/harness.js';
import { startProcessWorld, type ProcessWorld } from '../support/process-world.js';
import { waitForHealth } from '../support/processes.js';
import { redisUrl } from '../support/redis.js';

let world: ProcessWorld;
let slack: SlackSimulator;
let digitalocean: DigitalOceanSimulator;
let redis: Redis;
let prefix: string;

beforeAll(async () => {
  world = await startProcessWorld('fence', { WORKER_LOCK_MS: '2000', LOG_LEVEL: 'debug' });
  ({ slack, digitalocean, prefix } = world);
  redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
}, 60_000);

afterAll(async () => {
  redis?.disconnect();
  await world?.stop();
});

const start = (mode: 'web' | 'worker', extra: Record<string, string> = {}) => world.run(mode, extra);

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  return slack.waitFor(fn, timeoutMs).catch(() => {
    throw new Error(`timed out waiting for ${what}:\n${world.bots.map((b) => b.output()).join('\n---\n').slice(-4000)}`);
  });
}

it('a worker frozen while it waits for the rate budget wakes up to find the job taken over, and sends nothing', async () => {
  const port = await freePort();
  start('web', { PORT: String(port) });
  expect(await waitForHealth(port)).toBe(true);
  const d = digitalocean.addDroplet({ name: 'frozen-worker' });
  const body = slashCommandBody({ text: 'reboot frozen-worker', user_id: USERS.admin, channel_id: CHANNEL, response_url: slack.responseUrl(), trigger_id: `${Date.now()}.fence` });
  expect((await sendToBot(`http://127.0.0.1:${port}/slack/events`, SECRETS.signingSecret, body)).status).toBe(200);
  const rootMsg = await until('the root message', () => slack.workspace.channelMessages(CHANNEL).find((m) => m.text?.startsWith('reboot on frozen-worker')));

  // Every process must now wait for the budget: the same pause a 429 from DigitalOcean sets.
  const [seconds, micros] = await redis.time();
  const pauseKey = `${prefix}:do-budget:{${budgetId(SECRETS.doToken)}}:pause`;
  await redis.set(pauseKey, String(Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) + 5000), 'PX', 60_000);

  const a = start('worker');
  await until('worker A to wait for the budget', () => a.output().includes('waiting for the DigitalOcean rate budget'));
  a.child.kill('SIGSTOP');
  const b = start('worker');
  const posts = () => digitalocean.requests.filter((r) => r.method === 'POST' && r.path === `/v2/droplets/${d.id}/actions`);
  await until('worker B to POST', () => posts().length === 1);
  a.child.kill('SIGCONT');
  // A definite end for A either way: it drops the job, or it sends a second POST.
  await until('worker A to drop the job or POST', () => a.output().includes('lost the job to another worker') || posts().length > 1);
  expect(posts()).toHaveLength(1);
  const done = await until('completed', () => {
    const m = slack.workspace.channelMessages(CHANNEL).find((x) => x.ts === rootMsg.ts);
    return m?.text?.endsWith(': completed') ? m : undefined;
  });
  expect(done.text).toBe('reboot on frozen-worker: completed');
  expect(posts()).toHaveLength(1);
  expect(digitalocean.state.actions.filter((x) => x.resource_id === d.id)).toHaveLength(1);
  const replies = slack.workspace.replies(CHANNEL, rootMsg.ts).map((m) => m.text ?? '');
  expect(replies.filter((t) => t.includes('*completed*'))).toHaveLength(1);
  expect(replies.some((t) => t.includes('*errored*'))).toBe(false);
  expect(b.output()).toContain('action started');
}, 90_000);
