// A receiver that dies after announcing a request but before queueing it loses nothing: the
// request waits in the intake record and a worker's sweep queues it.
import { webApi } from '@slack/bolt';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ActionProducer } from '../../src/queue/producer.js';
import type { ActionJob } from '../../src/queue/action-job.js';
import { rootMessage } from '../../src/slack/messages.js';
import { DropletLine } from '../../src/store/droplet-line.js';
import { Intake, sweepIntake } from '../../src/store/intake.js';
import { CHANNEL, SECRETS, USERS, startHarness, type Harness } from '../support/harness.js';
import { redisUrl } from '../support/redis.js';

let h: Harness;
let redis: Redis;
beforeAll(async () => {
  h = await startHarness();
  redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  redis?.disconnect();
  await h?.stop();
});

it('clears the intake record once a request is queued', async () => {
  await h.command('reboot web-2');
  await h.slack.waitFor(() => h.roots().find((m) => m.text === 'reboot on web-2: completed'), 15_000);
  expect(await redis.hlen(`${h.prefix}:intake`)).toBe(0);
});

it('queues a request whose receiver died after announcing it, and runs it once', async () => {
  const d = h.digitalocean.addDroplet({ name: 'orphaned' });
  const job: ActionJob = {
    requestId: 'orphaned-request-1',
    action: 'power_off',
    body: { type: 'power_off' },
    droplet: { id: d.id, name: d.name },
    requester: USERS.admin,
    channel: CHANNEL,
    rootTs: '',
    requestedAt: Date.now() - 120_000,
  };
  // What the dead receiver did: the root message, then the intake record, and nothing more.
  const slack = new webApi.WebClient(SECRETS.botToken, { slackApiUrl: `${h.slack.url}/api/` });
  const msg = rootMessage(job, 'queued');
  job.rootTs = (await slack.chat.postMessage({ channel: CHANNEL, text: msg.text, blocks: msg.blocks })).ts!;
  const intake = new Intake(redis, h.prefix);
  await intake.record(job, Date.now() - 120_000);

  const producer = new ActionProducer(redis, h.prefix, new DropletLine(redis, h.prefix));
  try {
    expect(await sweepIntake(intake, (j) => producer.enqueue(j))).toBe(1);
    // A second sweep, or the receiver coming back, changes nothing: the job ID is the request ID.
    await producer.enqueue(job);
    expect(await sweepIntake(intake, (j) => producer.enqueue(j))).toBe(0);
  } finally {
    await producer.close();
  }
  const done = await h.slack.waitFor(() => h.roots().find((m) => m.ts === job.rootTs && m.text?.endsWith(': completed')), 15_000);
  expect(done.text).toBe('power-off on orphaned: completed');
  expect(h.digitalocean.requests.filter((r) => r.method === 'POST' && r.path === `/v2/droplets/${d.id}/actions`)).toHaveLength(1);
});

it('leaves fresh records to their receiver', async () => {
  const intake = new Intake(redis, h.prefix);
  const job = { requestId: 'fresh-1', action: 'reboot', body: { type: 'reboot' }, droplet: { id: 1, name: 'x' }, requester: 'U0X', channel: CHANNEL, rootTs: '1.1', requestedAt: Date.now() } as ActionJob;
  await intake.record(job);
  expect(await intake.stale(60_000)).toEqual([]);
  await intake.done(job.requestId);
});
