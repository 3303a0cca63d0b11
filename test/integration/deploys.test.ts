// Deploys and crashes of the receiver right after the ack, with real processes, a slow Slack and
// a slow DigitalOcean lookup: every acked request either runs once and shows `completed`, or is
// reported as not run and never runs. SIGTERM lets the receiver finish what it started; kill -9
// leaves the request in the intake, and a worker's sweep finishes or withdraws it.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockActionsBody, sendToBot, slashCommandBody, type DigitalOceanSimulator, type JsonObject, type SlackSimulator } from 'droplet-bot-sandbox';
import { FLEET_RUN } from '../../src/slack/renderers/fleet-messages.js';
import { freePort } from '../support/global-redis.js';
import { CHANNEL, SECRETS, USERS } from '../support/harness.js';
import { startProcessWorld, type ProcessWorld } from '../support/process-world.js';
import { waitForHealth } from '../support/processes.js';

let world: ProcessWorld;
let slack: SlackSimulator;
let digitalocean: DigitalOceanSimulator;

beforeAll(async () => {
  world = await startProcessWorld('deploy', { WORKER_LOCK_MS: '2000', SHUTDOWN_GRACE_MS: '10000', LOG_LEVEL: 'info' });
  ({ slack, digitalocean } = world);
  world.run('worker');
  // A slow Slack: every root message takes 600 ms to post.
  slack.slowDown('chat.postMessage', 600);
}, 60_000);

afterAll(async () => {
  await world?.stop();
});

const posts = (id: number) => digitalocean.requests.filter((r) => r.method === 'POST' && r.path === `/v2/droplets/${id}/actions`);
const rootsFor = (name: string) => slack.workspace.channelMessages(CHANNEL).filter((m) => m.text?.startsWith(`reboot on ${name}:`));

type Outcome = 'completed' | 'not run';

/** A definite end for one request: a root message that says completed, or the user told it did not run. */
async function outcomeOf(name: string, responseUrl: string, timeoutMs: number): Promise<Outcome> {
  return slack.waitFor(() => {
    if (rootsFor(name).some((m) => m.text?.endsWith(': completed'))) return 'completed';
    const told = [...slack.workspace.responsesFor(responseUrl), ...slack.workspace.ephemerals({ user: USERS.admin, channel: CHANNEL })].some((m) =>
      m.text?.includes(`\`reboot ${name}\` request was not run`),
    );
    return told ? 'not run' : undefined;
  }, timeoutMs);
}

/** Starts a receiver, sends `/droplet reboot <name>`, and stops the receiver `afterMs` after the ack. */
async function requestThenStop(name: string, afterMs: number, signal: 'SIGTERM' | 'SIGKILL') {
  const port = await freePort();
  const web = world.run('web', { PORT: String(port) });
  if (!(await waitForHealth(port, 30_000))) throw new Error(`the receiver did not become healthy:\n${web.output()}`);
  const d = digitalocean.addDroplet({ name });
  // A slow DigitalOcean lookup too, so the moments below fall into different steps.
  digitalocean.failNext({ method: 'GET', path: '/v2/droplets' }, { delayMs: 400 });
  const responseUrl = slack.responseUrl(undefined, { channel_id: CHANNEL, user_id: USERS.admin });
  const body = slashCommandBody({ text: `reboot ${name}`, user_id: USERS.admin, channel_id: CHANNEL, response_url: responseUrl, trigger_id: `${Date.now()}.${name}` });
  const res = await sendToBot(`http://127.0.0.1:${port}/slack/events`, SECRETS.signingSecret, body);
  expect(res.status).toBe(200);
  await sleep(afterMs);
  web.child.kill(signal);
  const code = await web.exited();
  return { d, responseUrl, code, web };
}

describe('a deploy (SIGTERM to the receiver) moments after the ack', () => {
  it.each([0, 150, 500, 900, 1400, 2500])('%i ms after the ack: runs once and shows completed', async (ms) => {
    const name = `deploy-${ms}`;
    const { d, responseUrl, code, web } = await requestThenStop(name, ms, 'SIGTERM');
    expect(code).toBe(0);
    const outcome = await outcomeOf(name, responseUrl, 30_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n${web.output()}`);
    });
    // SIGTERM lets the receiver finish what it started, so nothing acked is given up.
    expect(outcome).toBe('completed');
    expect(posts(d.id)).toHaveLength(1);
    expect(rootsFor(name)).toHaveLength(1);
  }, 60_000);
});

describe('a crash (kill -9 of the receiver) moments after the ack', () => {
  it.each([
    [50, 'not run'],
    [2500, 'completed'],
  ] as const)('%i ms after the ack: %s, and never both', async (ms, expected) => {
    const name = `crash-${ms}`;
    const { d, responseUrl } = await requestThenStop(name, ms, 'SIGKILL');
    // The receiver's heartbeat expires (15 s), then a worker's sweep (every 5 s) acts.
    const outcome = await outcomeOf(name, responseUrl, 40_000);
    expect(outcome).toBe(expected);
    expect(posts(d.id)).toHaveLength(expected === 'completed' ? 1 : 0);
    if (expected === 'not run') {
      // Withdrawn for good: no root message ever appears and no worker runs it later.
      expect(rootsFor(name)).toHaveLength(0);
    }
  }, 60_000);
});

describe("a crash (kill -9 of the receiver) right after a fleet's Run is acked", () => {
  it('runs the fleet, once per Droplet: the click was made durable before its ack', async () => {
    const port = await freePort();
    const web = world.run('web', { PORT: String(port) });
    if (!(await waitForHealth(port, 30_000))) throw new Error(`the receiver did not become healthy:\n${web.output()}`);
    const tag = 'crash-fleet';
    const droplets = [1, 2].map((i) => digitalocean.addDroplet({ name: `${tag}-${i}`, tags: [tag] }));
    const events = `http://127.0.0.1:${port}/slack/events`;
    const responseUrl = slack.responseUrl(undefined, { channel_id: CHANNEL, user_id: USERS.admin });
    await sendToBot(events, SECRETS.signingSecret, slashCommandBody({ text: `reboot tag:${tag}`, user_id: USERS.admin, channel_id: CHANNEL, response_url: responseUrl, trigger_id: `${Date.now()}.fleetplan` }));
    const plan = await slack.waitFor(() => slack.workspace.responsesFor(responseUrl).find((m) => JSON.stringify(m.blocks ?? []).includes(FLEET_RUN)), 10_000);
    const run = ((plan.blocks ?? []) as JsonObject[]).flatMap((b) => (b.elements ?? []) as JsonObject[]).find((e) => e.action_id === FLEET_RUN)!;
    const clickUrl = slack.responseUrl(undefined, { channel_id: CHANNEL, user_id: USERS.admin });
    const click = blockActionsBody({
      user_id: USERS.admin,
      channel_id: CHANNEL,
      message_ts: '0',
      is_ephemeral: true,
      response_url: clickUrl,
      trigger_id: `${Date.now()}.fleetrun`,
      actions: [{ action_id: FLEET_RUN, block_id: 'fleet_plan', text: 'Run', value: String(run.value) }],
    });
    const res = await sendToBot(events, SECRETS.signingSecret, click);
    expect(res.status).toBe(200);
    // Killed the moment Slack has its ack: no reply to the click is ever posted.
    web.child.kill('SIGKILL');
    await web.exited();
    // A worker's sweep starts the accepted fleet's coordinator (after 10 s).
    const root = await slack.waitFor(() => slack.workspace.channelMessages(CHANNEL).find((m) => m.text?.includes(`(tag:${tag}): finished`)), 45_000);
    expect(root).toBeDefined();
    for (const d of droplets) expect(posts(d.id)).toHaveLength(1);
  }, 60_000);
});

