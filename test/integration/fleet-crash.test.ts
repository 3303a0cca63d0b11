// A worker killed with -9 in the middle of a fleet, with real processes: the next worker takes
// over the fleet's coordinator and the running Droplet's job, follows what was started, starts
// the rest, and every Droplet gets exactly one POST.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { blockActionsBody, sendToBot, slashCommandBody, type JsonObject, type StoredMessage } from 'droplet-bot-sandbox';
import { freePort } from '../support/global-redis.js';
import { CHANNEL, SECRETS, USERS } from '../support/harness.js';
import { startProcessWorld, type ProcessWorld } from '../support/process-world.js';
import { waitForHealth } from '../support/processes.js';
import { buttonIn } from '../support/interactions.js';
import { FLEET_RUN } from '../../src/slack/renderers/fleet-messages.js';

let world: ProcessWorld;
let eventsUrl: string;

beforeAll(async () => {
  world = await startProcessWorld('fleet-crash', { WORKER_LOCK_MS: '2000', LOG_LEVEL: 'info' });
  const port = await freePort();
  const web = world.run('web', { PORT: String(port) });
  if (!(await waitForHealth(port, 30_000))) throw new Error(`the receiver did not become healthy:\n${web.output()}`);
  eventsUrl = `http://127.0.0.1:${port}/slack/events`;
}, 60_000);

afterAll(async () => {
  await world?.stop();
});

async function click(message: StoredMessage, actionId: string): Promise<void> {
  const button = buttonIn(message, actionId)!;
  const responseUrl = world.slack.responseUrl(undefined, { channel_id: CHANNEL, user_id: USERS.admin, message_ts: message.ts });
  const body = blockActionsBody({
    user_id: USERS.admin,
    channel_id: CHANNEL,
    message_ts: message.ts,
    message: message as unknown as JsonObject,
    response_url: responseUrl,
    actions: [{ action_id: actionId, block_id: button.block_id, text: button.element.text as JsonObject, value: String(button.element.value) }],
  });
  expect((await sendToBot(eventsUrl, SECRETS.signingSecret, body)).status).toBe(200);
}

it('kill -9 of the worker mid-fleet: the next worker finishes the fleet, one POST per Droplet', async () => {
  const { slack, digitalocean } = world;
  const droplets = [1, 2, 3].map((i) => digitalocean.addDroplet({ name: `crash-fleet-${i}`, tags: ['crash-fleet'] }));
  const posts = () => digitalocean.requests.filter((r) => r.method === 'POST' && droplets.some((d) => r.path === `/v2/droplets/${d.id}/actions`));
  const a = world.run('worker');

  const responseUrl = slack.responseUrl(undefined, { channel_id: CHANNEL, user_id: USERS.admin });
  const command = slashCommandBody({ text: 'snapshot tag:crash-fleet batch=1', user_id: USERS.admin, channel_id: CHANNEL, response_url: responseUrl, trigger_id: `${Date.now()}.fleet` });
  expect((await sendToBot(eventsUrl, SECRETS.signingSecret, command)).status).toBe(200);
  const plan = await slack.waitFor(() => slack.workspace.ephemerals({ user: USERS.admin }).find((e) => e.text?.startsWith('Plan: snapshot on 3 Droplets')), 15_000);
  await click(plan as unknown as StoredMessage, FLEET_RUN);

  // The first Droplet's snapshot is running (it takes about 1.8 s): kill the only worker now.
  await slack.waitFor(() => (posts().length === 1 ? true : undefined), 20_000);
  a.child.kill('SIGKILL');
  await a.exited();
  world.run('worker');

  const root = await slack.waitFor(() => slack.workspace.channelMessages(CHANNEL).find((m) => m.text?.includes('(tag:crash-fleet): finished')), 60_000);
  expect(JSON.stringify(root.blocks)).toContain('3/3 completed');
  expect(posts()).toHaveLength(3);
  for (const d of droplets) expect(posts().filter((p) => p.path === `/v2/droplets/${d.id}/actions`)).toHaveLength(1);
}, 90_000);
