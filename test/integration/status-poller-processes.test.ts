// One status poller for the cluster, with real processes: three workers follow actions, and only
// one of them calls DigitalOcean for their status; killed with -9, another takes over and the
// actions still end in their threads. Each worker names itself in its User-Agent.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sendToBot, slashCommandBody } from 'droplet-bot-sandbox';
import { freePort } from '../support/global-redis.js';
import { CHANNEL, SECRETS, USERS } from '../support/harness.js';
import { startProcessWorld, type ProcessWorld } from '../support/process-world.js';
import { waitForHealth } from '../support/processes.js';

let world: ProcessWorld;
beforeAll(async () => {
  world = await startProcessWorld('poller', { WORKER_LOCK_MS: '2000', STATUS_POLL_MS: '500', LOG_LEVEL: 'info' }, { durations: { reboot: 3000 } });
}, 60_000);
afterAll(async () => {
  await world?.stop();
});

const STATUS = /^\/v2\/actions(\/\d+)?$/;
let trigger = 0;

async function rebootAll(port: number, names: string[]): Promise<void> {
  for (const name of names) {
    const body = slashCommandBody({ text: `reboot ${name}`, user_id: USERS.admin, channel_id: CHANNEL, response_url: world.slack.responseUrl(), trigger_id: `${Date.now()}.poll.${++trigger}` });
    expect((await sendToBot(`http://127.0.0.1:${port}/slack/events`, SECRETS.signingSecret, body)).status).toBe(200);
  }
  await world.slack.waitFor(() => names.every((n) => world.slack.workspace.channelMessages(CHANNEL).some((m) => m.text === `reboot on ${n}: completed`)) || undefined, 45_000);
}

it('lists from one worker only, and another takes over within seconds after a kill -9', async () => {
  const port = await freePort();
  world.run('web', { PORT: String(port) });
  const workers = [world.run('worker'), world.run('worker'), world.run('worker')];
  expect(await waitForHealth(port)).toBe(true);
  await world.slack.waitFor(() => workers.every((w) => w.output().includes('worker started')) || undefined, 20_000);

  const first = Array.from({ length: 6 }, (_, i) => world.digitalocean.addDroplet({ name: `poll-a${i}` }).name);
  const t0 = Date.now();
  await rebootAll(port, first);
  const callers = new Set(world.digitalocean.requests.filter((r) => r.at >= t0 && r.method === 'GET' && STATUS.test(r.path)).map((r) => r.userAgent));
  expect(callers.size).toBe(1);
  const leaderAgent = [...callers][0]!;
  const leaderId = /worker\/([0-9a-f]+)/.exec(leaderAgent)![1]!;
  const leader = workers.find((w) => w.output().includes(`"instance":"${leaderId}"`))!;
  expect(leader).toBeDefined();

  leader.child.kill('SIGKILL');
  await leader.exited();
  const second = Array.from({ length: 4 }, (_, i) => world.digitalocean.addDroplet({ name: `poll-b${i}` }).name);
  const t1 = Date.now();
  await rebootAll(port, second);
  const after = new Set(world.digitalocean.requests.filter((r) => r.at >= t1 && r.method === 'GET' && STATUS.test(r.path)).map((r) => r.userAgent));
  expect(after.size).toBe(1);
  expect([...after][0]).not.toBe(leaderAgent);
  // Every reboot was sent once.
  const posts = world.digitalocean.requests.filter((r) => r.method === 'POST');
  expect(posts.filter((r) => r.at >= t0)).toHaveLength(10);
}, 120_000);
