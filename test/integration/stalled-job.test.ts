// A job whose workers keep dying is failed by BullMQ itself; the bot must still say so in the
// thread and free the Droplet for the next request.
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { JobFence } from '../../src/queue/job-fence.js';
import { StatusPoller } from '../../src/digitalocean/status-poller.js';
import { DigitalOceanClient } from '../../src/digitalocean/client.js';
import { createLogger } from '../../src/log.js';
import { ACTION_QUEUE } from '../../src/queue/action-job.js';
import { type ActionJob } from '../../src/domain/job.js';
import { createActionWorker } from '../../src/queue/worker.js';
import type { Outcome, StatusReporter } from '../../src/domain/ports.js';
import { DropletLine } from '../../src/store/droplet-line.js';
import { OwnActions } from '../../src/store/own-actions.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';
import { sampleJob } from '../support/harness.js';

const prefix = uniquePrefix('stall');
const redis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
afterAll(async () => {
  redis.disconnect();
  await deleteKeys(prefix);
});

it('reports a job that stalled too often as errored and hands the Droplet to the next request', async () => {
  const job: ActionJob = sampleJob({ requestId: 'stalled-request-1', droplet: { id: 777, name: 'flaky-host' } });
  const line = new DropletLine(redis, prefix);
  await line.join(777, job.requestId);
  await line.join(777, 'next-request');
  const queue = new Queue<ActionJob>(ACTION_QUEUE, { connection: redis, prefix });
  await queue.add('reboot', job, { jobId: job.requestId, attempts: 3 });

  // A worker takes the job and dies without a word: its lock runs out.
  const doomed = new Worker(ACTION_QUEUE, null, { connection: redis.duplicate(), prefix, lockDuration: 500 });
  expect((await doomed.getNextJob('doomed-token'))?.id).toBe(job.requestId);
  await doomed.close(true);

  const finished: Outcome[] = [];
  const reporter: StatusReporter = {
    queued: async () => {},
    approved: async () => {},
    waiting: async () => {},
    inProgress: async () => {},
    finished: async (_job, outcome) => void finished.push(outcome),
    refused: async () => {},
    note: async () => {},
  };
  const client = new DigitalOceanClient({ apiUrl: 'http://127.0.0.1:9', token: 'unused-token' });
  const worker = createActionWorker({
    connection: redis.duplicate({ maxRetriesPerRequest: null }),
    prefix,
    concurrency: 1,
    lockMs: 1000,
    maxStalledCount: 0,
    deps: {
      digitalocean: client,
      fence: new JobFence(redis),
      // Never reached: the job stalls before any POST.
      watcher: new StatusPoller({ redis, prefix, tokenId: 'unused', client }),
      reporter,
      audit: async () => {},
      line,
      own: new OwnActions(redis, prefix),
      logger: createLogger({ level: 'silent' }),
    },
  });
  try {
    const until = Date.now() + 15_000;
    while (finished.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(finished).toEqual([{ status: 'errored', actionId: undefined, message: expect.stringContaining('stalled too often') }]);
    expect(await line.head(777)).toBe('next-request');
    expect(await (await queue.getJob(job.requestId))?.getState()).toBe('failed');
  } finally {
    await worker.close();
    await queue.close();
    await client.close();
  }
});
