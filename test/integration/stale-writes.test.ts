// A worker that lost its job can never put back an older state over the new owner's. Here worker
// A posts a procedure's step; while its answer is on the way, its lock runs out and worker B takes
// the job over and moves the procedure on. A's save of the answer must be refused: written
// unchecked, it would rewind the procedure and a later run would send finished steps again.
import { Redis } from 'ioredis';
import { Queue, Worker, type Job } from 'bullmq';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDigitalOceanSimulator, type DigitalOceanSimulator } from 'droplet-bot-sandbox';
import { DigitalOceanClient } from '../../src/digitalocean/client.js';
import { JobFence } from '../../src/queue/job-fence.js';
import { ACTION_QUEUE } from '../../src/queue/action-job.js';
import { DropletLine } from '../../src/store/droplet-line.js';
import { OwnActions } from '../../src/store/own-actions.js';
import { LostJobError } from '../../src/worker/fence.js';
import { postOnce } from '../../src/worker/post-once.js';
import { createLogger } from '../../src/log.js';
import { planRequest } from '../../src/domain/procedures/plan.js';
import { done, started } from '../../src/domain/procedures/state.js';
import type { ActionJob } from '../../src/domain/job.js';
import { SECRETS, sampleJob } from '../support/harness.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

let redis: Redis;
let digitalocean: DigitalOceanSimulator;
const prefix = uniquePrefix('stale');

beforeAll(async () => {
  redis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
  digitalocean = await startDigitalOceanSimulator({ token: SECRETS.doToken, timeScale: 0.01 });
});
afterAll(async () => {
  redis?.disconnect();
  await digitalocean?.close();
  await deleteKeys(prefix);
});

it("refuses a save from a worker whose lock ran out after its POST: the new owner's state stands", async () => {
  const d = digitalocean.addDroplet({ name: 'stale-1' });
  const planned = planRequest({ body: { type: 'shutdown' }, options: { stop: true }, droplet: d, now: Date.now() });
  if (planned.kind !== 'procedure') throw new Error('expected a procedure');
  const data: ActionJob = { ...sampleJob({ droplet: { id: d.id, name: d.name }, action: 'shutdown', body: { type: 'shutdown' } }), procedure: started(planned.procedure, Date.now()) };
  const queue = new Queue<ActionJob>(ACTION_QUEUE, { connection: redis, prefix });
  const worker = new Worker<ActionJob>(ACTION_QUEUE, null, { connection: redis, prefix, autorun: false, lockDuration: 60_000 });
  try {
    await queue.add('action', data, { jobId: data.requestId });
    const job = (await worker.getNextJob('token-A')) as Job<ActionJob>;
    const fence = new JobFence(redis);
    const real = new DigitalOceanClient({ apiUrl: digitalocean.url, token: SECRETS.doToken });
    // B's state: the shutdown done, the procedure on its next step.
    const newer: ActionJob = { ...data, procedure: done(data.procedure!, Date.now()) };
    const digitaloceanThatStalls = {
      listDropletActions: real.listDropletActions.bind(real),
      async postAction(id: number, body: ActionJob['body'], beforeSend?: () => Promise<void>) {
        const action = await real.postAction(id, body, beforeSend);
        // A's lock ran out while the answer travelled: B holds the job now and saved its progress.
        await redis.set(`${job.queueQualifiedName}:${job.id}:lock`, 'token-B');
        await fence.hold(job, newer, 'token-B');
        return action;
      },
    };
    const deps = { digitalocean: digitaloceanThatStalls, fence, audit: async () => {}, line: new DropletLine(redis, prefix), own: new OwnActions(redis, prefix) };
    const log = createLogger({ level: 'silent' });
    await expect(postOnce(job, data, { action: 'shutdown', body: { type: 'shutdown' } }, deps, log, 'token-A')).rejects.toBeInstanceOf(LostJobError);
    const stored = (await queue.getJob(job.id!))!.data;
    expect(stored.procedure).toEqual(newer.procedure);
    expect(stored.actionId).toBeUndefined();
    await real.close();
  } finally {
    await worker.close();
    await queue.close();
  }
});
