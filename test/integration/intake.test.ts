// Requests between the ack and the queue live in the intake. A worker's sweep takes over the
// records of a receiver that is gone (no heartbeat) and finishes them, or withdraws them and says
// so; a receiver that wakes after a take-over can do nothing more with them.
import { webApi } from '@slack/bolt';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ACTION_QUEUE } from '../../src/queue/action-job.js';
import { DropletLine } from '../../src/store/droplet-line.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import type { ActionJob } from '../../src/domain/job.js';
import { sweepIntake } from '../../src/requests/sweep-intake.js';
import { requestIdFor } from '../../src/slack/listeners/failure-text.js';
import { rootMessage } from '../../src/slack/renderers/messages.js';
import { slackRenderer } from '../../src/slack/renderers/index.js';
import { Intake, type IntakeRecord, type RecordedRequest } from '../../src/store/intake.js';
import { CHANNEL, SECRETS, USERS, sampleJob, startHarness, type Harness } from '../support/harness.js';
import { redisUrl } from '../support/redis.js';

let h: Harness;
let redis: Redis;
let intake: Intake;
beforeAll(async () => {
  h = await startHarness();
  redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  intake = new Intake(redis, h.prefix);
});
afterAll(async () => {
  redis?.disconnect();
  await h?.stop();
});

let n = 0;
function requestFor(droplet: { id: number; name: string }, action: 'reboot' | 'power_off' = 'reboot'): RecordedRequest {
  return { requestId: `intake-test-${++n}-${Date.now()}`, userId: USERS.admin, channelId: CHANNEL, action, target: { kind: 'name', name: droplet.name }, body: { type: action } };
}
function jobFor(req: RecordedRequest, droplet: { id: number; name: string }, rootTs = ''): ActionJob {
  return sampleJob({ requestId: req.requestId, action: req.action, body: req.body, droplet, requester: req.userId, channel: req.channelId, rootTs });
}
const posts = (id: number) => h.digitalocean.requests.filter((r) => r.method === 'POST' && r.path === `/v2/droplets/${id}/actions`);
async function auditEvents(requestId: string): Promise<string[]> {
  const entries = await redis.xrange(`${h.prefix}:audit`, '-', '+');
  return entries
    .map(([, fields]) => Object.fromEntries(fields.flatMap((v, i, a) => (i % 2 ? [] : [[v, a[i + 1]]]))) as Record<string, string>)
    .filter((e) => e.requestId === requestId)
    .map((e) => e.event!);
}
const slack = () => new webApi.WebClient(SECRETS.botToken, { slackApiUrl: `${h.slack.url}/api/` });

it('clears the intake record once a request is queued', async () => {
  await h.command('reboot web-2');
  await h.slack.waitFor(() => h.roots().find((m) => m.text === 'reboot on web-2: completed'), 15_000);
  expect(await redis.hlen(`${h.prefix}:intake`)).toBe(0);
});

it('withdraws a request whose receiver died before checking it, says it did not run, and never runs it', async () => {
  const d = h.digitalocean.addDroplet({ name: 'died-unchecked' });
  const req = requestFor(d);
  // What the dead receiver did: recorded the request at the ack, and nothing more.
  expect(await intake.receive(req, 'r-dead-1')).toBe(true);
  const told = await h.slack.waitFor(() => h.slack.workspace.ephemerals({ user: USERS.admin, channel: CHANNEL }).find((m) => m.text?.includes('request was not run')), 10_000);
  expect(told.text).toBe('Your `reboot died-unchecked` request was not run: the bot restarted before it had checked your request. Nothing was done; run the command again.');
  expect(await redis.hexists(`${h.prefix}:intake`, req.requestId)).toBe(0);
  // The receiver wakes up: every move it tries now fails.
  expect(await intake.move(req.requestId, 'received', 'r-dead-1', { v: 2, stage: 'resolved', holder: 'r-dead-1', request: req, job: jobFor(req, d) })).toBe(false);
  expect(await auditEvents(req.requestId)).toEqual(['withdrawn']);
  expect(posts(d.id)).toHaveLength(0);
});

it('announces and runs, once, a request whose receiver died after checking it and before the root message', async () => {
  const d = h.digitalocean.addDroplet({ name: 'died-resolved' });
  const req = requestFor(d, 'power_off');
  // Alive while it gets this far, then gone: its heartbeat key disappears.
  await redis.set(intake.heartbeatKey('r-dead-2'), '1', 'PX', 60_000);
  expect(await intake.receive(req, 'r-dead-2')).toBe(true);
  expect(await intake.move(req.requestId, 'received', 'r-dead-2', { v: 2, stage: 'resolved', holder: 'r-dead-2', request: req, job: jobFor(req, d), needsApproval: false })).toBe(true);
  await redis.del(intake.heartbeatKey('r-dead-2'));
  const done = await h.slack.waitFor(() => h.roots().find((m) => m.text === 'power-off on died-resolved: completed'), 15_000);
  expect(done.text).toBe('power-off on died-resolved: completed');
  expect(h.logs.some((l) => l.includes('taking over a request its receiver did not finish') && l.includes(req.requestId))).toBe(true);
  expect(posts(d.id)).toHaveLength(1);
  expect(h.roots().filter((m) => m.text?.startsWith('power-off on died-resolved'))).toHaveLength(1);
});

it('announces a request asked from a message in that message’s thread, when its receiver died before the root message', async () => {
  const d = h.digitalocean.addDroplet({ name: 'died-in-thread' });
  const alert = h.slack.workspace.postMessage({ channel: CHANNEL, user: 'U0ALERTMGR', text: 'died-in-thread is down' });
  const req = { ...requestFor(d), threadTs: alert.ts };
  await redis.set(intake.heartbeatKey('r-dead-t'), '1', 'PX', 60_000);
  expect(await intake.receive(req, 'r-dead-t')).toBe(true);
  expect(await intake.move(req.requestId, 'received', 'r-dead-t', { v: 2, stage: 'resolved', holder: 'r-dead-t', request: req, job: jobFor(req, d), needsApproval: false })).toBe(true);
  await redis.del(intake.heartbeatKey('r-dead-t'));
  const done = await h.slack.waitFor(() => h.thread(alert.ts).find((m) => m.text === 'reboot on died-in-thread: completed'), 15_000);
  expect(done.text).toBe('reboot on died-in-thread: completed');
  expect(h.roots().filter((m) => m.text?.startsWith('reboot on died-in-thread'))).toEqual([]);
  expect(posts(d.id)).toHaveLength(1);
});

it('queues, once, a request whose receiver died after announcing it', async () => {
  const d = h.digitalocean.addDroplet({ name: 'died-announced' });
  const req = requestFor(d);
  const job = jobFor(req, d);
  const msg = rootMessage(job, 'queued');
  job.rootTs = (await slack().chat.postMessage({ channel: CHANNEL, text: msg.text, blocks: msg.blocks })).ts!;
  await redis.set(intake.heartbeatKey('r-dead-3'), '1', 'PX', 60_000);
  expect(await intake.receive(req, 'r-dead-3')).toBe(true);
  expect(await intake.move(req.requestId, 'received', 'r-dead-3', { v: 2, stage: 'resolved', holder: 'r-dead-3', request: req, job: { ...job, rootTs: '' } })).toBe(true);
  expect(await intake.move(req.requestId, 'resolved', 'r-dead-3', { v: 2, stage: 'announced', holder: 'r-dead-3', request: req, job })).toBe(true);
  await redis.del(intake.heartbeatKey('r-dead-3'));
  const done = await h.slack.waitFor(() => h.roots().find((m) => m.ts === job.rootTs && m.text?.endsWith(': completed')), 15_000);
  expect(done.text).toBe('reboot on died-announced: completed');
  expect(posts(d.id)).toHaveLength(1);
});

it('queues a request the previous release left announced, once it is a minute old', async () => {
  const d = h.digitalocean.addDroplet({ name: 'orphaned' });
  const req = requestFor(d, 'power_off');
  const job = jobFor(req, d);
  const msg = rootMessage(job, 'queued');
  job.rootTs = (await slack().chat.postMessage({ channel: CHANNEL, text: msg.text, blocks: msg.blocks })).ts!;
  // The shape the previous release wrote: {at, job}.
  await redis.hset(`${h.prefix}:intake`, job.requestId, JSON.stringify({ at: Date.now() - 120_000, job }));
  const done = await h.slack.waitFor(() => h.roots().find((m) => m.ts === job.rootTs && m.text?.endsWith(': completed')), 15_000);
  expect(done.text).toBe('power-off on orphaned: completed');
  expect(posts(d.id)).toHaveLength(1);
});

it('drops a record it cannot read, with a word in its thread and an audit entry, instead of retrying in silence', async () => {
  const job = { requestId: `unreadable-${Date.now()}`, channel: CHANNEL, requester: USERS.admin, rootTs: '' };
  const msg = rootMessage({ ...jobFor(requestFor({ id: 1, name: 'x' }), { id: 1, name: 'x' }) }, 'queued');
  job.rootTs = (await slack().chat.postMessage({ channel: CHANNEL, text: msg.text, blocks: msg.blocks })).ts!;
  await redis.hset(`${h.prefix}:intake`, job.requestId, JSON.stringify({ v: 3, stage: 'teleported', job }));
  const line = await h.slack.waitFor(() => h.thread(job.rootTs).find((m) => m.text?.includes('could not be read by this version')), 10_000);
  expect(line.text).toContain('so it was not run');
  expect(await redis.hexists(`${h.prefix}:intake`, job.requestId)).toBe(0);
  expect(await auditEvents(job.requestId)).toEqual(['unreadable']);
});

it('leaves a record alone while its receiver still beats', async () => {
  const req = requestFor({ id: 424242, name: 'alive' });
  await redis.set(intake.heartbeatKey('r-alive'), '1', 'PX', 60_000);
  expect(await intake.receive(req, 'r-alive')).toBe(true);
  const deps = {
    intake,
    holder: 'w-test',
    chat: { post: async () => '1.1', update: async () => {}, tell: async () => {} },
    reporter: { queued: async () => {}, approved: async () => {} },
    render: slackRenderer,
    enqueue: async () => {},
    wasQueued: async () => false,
    audit: async () => {},
    logger: createLogger({ level: 'silent' }),
  };
  expect(await sweepIntake(deps)).toEqual({ queued: 0, withdrawn: 0, unreadable: 0 });
  const raw = await redis.hget(`${h.prefix}:intake`, req.requestId);
  expect((JSON.parse(raw!) as IntakeRecord).holder).toBe('r-alive');
  await intake.done(req.requestId);
});

it('ends a job it cannot read with a word in its thread and an audit entry, after one attempt, and frees its Droplet', async () => {
  const d = h.digitalocean.addDroplet({ name: 'unreadable-job' });
  const req = requestFor(d);
  const job = jobFor(req, d);
  const msg = rootMessage(job, 'queued');
  job.rootTs = (await slack().chat.postMessage({ channel: CHANNEL, text: msg.text, blocks: msg.blocks })).ts!;
  // As a newer release might write it: a field this version does not know how to read.
  const queue = new Queue(ACTION_QUEUE, { connection: redis, prefix: h.prefix });
  try {
    await new DropletLine(redis, h.prefix).join(d.id, job.requestId);
    await queue.add('reboot', { ...job, body: { kind: 'reboot-v2' } }, { jobId: job.requestId, attempts: 12 });
    const line = await h.slack.waitFor(() => h.thread(job.rootTs).find((m) => m.text?.includes('could not be read by this version')), 10_000);
    expect(line.text).toContain('so it was not run');
    const until = Date.now() + 10_000;
    while ((await queue.getJobState(job.requestId)) !== 'failed' && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(await queue.getJobState(job.requestId)).toBe('failed');
    expect((await queue.getJob(job.requestId))!.attemptsMade).toBe(1);
    expect(await auditEvents(job.requestId)).toEqual(['unreadable']);
    expect(await new DropletLine(redis, h.prefix).head(d.id)).toBeNull();
  } finally {
    await queue.close();
  }
  // The Droplet is free for the next request.
  await h.command('reboot unreadable-job');
  await h.slack.waitFor(() => h.roots().find((m) => m.text === 'reboot on unreadable-job: completed'), 15_000);
  expect(posts(d.id)).toHaveLength(1);
});

it('withdraws, and tells the requester directly, a request it cannot announce because the bot is not in the channel', async () => {
  const d = h.digitalocean.addDroplet({ name: 'died-no-channel' });
  h.slack.workspace.resolveChannel('C0PRIVATE9');
  h.slack.workspace.setBotMembership('C0PRIVATE9', false);
  const req = { ...requestFor(d), channelId: 'C0PRIVATE9' };
  await redis.set(intake.heartbeatKey('r-dead-4'), '1', 'PX', 60_000);
  expect(await intake.receive(req, 'r-dead-4')).toBe(true);
  expect(await intake.move(req.requestId, 'received', 'r-dead-4', { v: 2, stage: 'resolved', holder: 'r-dead-4', request: req, job: { ...jobFor(req, d), channel: 'C0PRIVATE9' } })).toBe(true);
  await redis.del(intake.heartbeatKey('r-dead-4'));
  const dm = await h.slack.waitFor(() => h.slack.workspace.messages().find((m) => m.text.includes('`reboot died-no-channel` request was not run')), 10_000);
  expect(dm.text).toContain('I cannot post in <#C0PRIVATE9>');
  expect(await redis.hexists(`${h.prefix}:intake`, req.requestId)).toBe(0);
  expect(await auditEvents(req.requestId)).toEqual(['withdrawn']);
  expect(posts(d.id)).toHaveLength(0);
});

it('does not queue again a request whose job ran (and was since removed) when only its clean-up failed', async () => {
  const d = h.digitalocean.addDroplet({ name: 'queued-then-died' });
  const triggerId = `${Date.now()}.queued-then-died`;
  await h.command('reboot queued-then-died', USERS.admin, { triggerId });
  await h.slack.waitFor(() => h.roots().find((m) => m.text === 'reboot on queued-then-died: completed'), 15_000);
  const requestId = requestIdFor(triggerId);
  const queue = new Queue(ACTION_QUEUE, { connection: redis, prefix: h.prefix });
  try {
    const job = (await queue.getJob(requestId))!;
    // The finished job is gone (removeOnComplete), and a record was left as if the receiver had
    // died between queueing the job and clearing its record.
    await job.remove();
    const record: IntakeRecord = { v: 2, stage: 'announced', holder: 'r-dead-5', request: { ...requestFor(d), requestId }, job: job.data };
    await redis.hset(`${h.prefix}:intake`, requestId, JSON.stringify(record));
    const until = Date.now() + 10_000;
    while ((await redis.hexists(`${h.prefix}:intake`, requestId)) === 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(await redis.hexists(`${h.prefix}:intake`, requestId)).toBe(0);
    expect(await queue.getJob(requestId)).toBeUndefined();
  } finally {
    await queue.close();
  }
  expect(posts(d.id)).toHaveLength(1);
});

it('drops an unreadable record whose job was already queued without telling anyone it did not run', async () => {
  const job = { requestId: `unreadable-queued-${Date.now()}`, channel: CHANNEL, requester: USERS.admin, rootTs: '' };
  const msg = rootMessage(jobFor(requestFor({ id: 1, name: 'x' }), { id: 1, name: 'x' }), 'queued');
  job.rootTs = (await slack().chat.postMessage({ channel: CHANNEL, text: msg.text, blocks: msg.blocks })).ts!;
  // Queued by a newer release, whose receiver died before clearing the record.
  await redis.set(`${h.prefix}:queued:${job.requestId}`, '1', 'EX', 60);
  await redis.hset(`${h.prefix}:intake`, job.requestId, JSON.stringify({ v: 3, stage: 'teleported', job }));
  await h.slack.waitFor(() => h.logs.some((l) => l.includes('whose job was already queued') && l.includes(job.requestId)), 10_000);
  expect(await redis.hexists(`${h.prefix}:intake`, job.requestId)).toBe(0);
  expect(h.thread(job.rootTs).some((m) => m.text?.includes('not run'))).toBe(false);
  expect(await auditEvents(job.requestId)).toEqual([]);
});

it('says an unreadable job may have started when it was marked about to POST', async () => {
  const d = h.digitalocean.addDroplet({ name: 'unreadable-posting' });
  const req = requestFor(d);
  const job = jobFor(req, d);
  const msg = rootMessage(job, 'queued');
  job.rootTs = (await slack().chat.postMessage({ channel: CHANNEL, text: msg.text, blocks: msg.blocks })).ts!;
  const queue = new Queue(ACTION_QUEUE, { connection: redis, prefix: h.prefix });
  try {
    await new DropletLine(redis, h.prefix).join(d.id, job.requestId);
    await queue.add('reboot', { ...job, body: { kind: 'reboot-v2' }, postStartedAt: Date.now() }, { jobId: job.requestId, attempts: 12 });
    const line = await h.slack.waitFor(() => h.thread(job.rootTs).find((m) => m.text?.includes('could not be read by this version')), 10_000);
    expect(line.text).toContain('A DigitalOcean action may have been started for it; check the Droplet before running it again.');
    expect(line.text).toMatch(/^:x: \*errored\*/);
  } finally {
    await queue.close();
  }
});
