// A Droplet's line, from the worker's side: a request waits until it heads its Droplet's line,
// and hands the Droplet to the next request when it ends. A procedure holds the line from its
// first step to its last, so nobody else's action slips in between.
import { DelayedError, type Job } from 'bullmq';
import type { Logger } from '../log.js';
import type { StatusReporter } from '../domain/ports.js';
import type { DropletLine } from '../store/droplet-line.js';
import type { ActionJob } from '../domain/job.js';
import type { Fence } from './fence.js';

/** What the worker can learn about other requests in the queue. */
export interface RequestDirectory {
  /** The job's BullMQ state and data, or undefined when it no longer exists. */
  get(requestId: string): Promise<{ state: string; data: ActionJob } | undefined>;
  /** Starts a waiting request now instead of at its next check. */
  promote(requestId: string): Promise<void>;
}

export interface TurnDeps {
  /** Writes to the job only while this run holds its lock. */
  fence: Fence;
  line: Pick<DropletLine, 'join' | 'leave'>;
  requests: RequestDirectory;
  reporter: Pick<StatusReporter, 'waiting'>;
  /** How often a request waiting its turn looks at the head of the line again. */
  lineCheckMs?: number;
}

const FINISHED_STATES = new Set(['completed', 'failed', 'unknown']);

/** Returns when this request heads its Droplet's line; otherwise parks the job and checks again later. */
export async function waitForTurn(job: Job<ActionJob>, data: ActionJob, deps: TurnDeps, log: Logger, token?: string): Promise<void> {
  let head = await deps.line.join(data.droplet.id, data.requestId);
  while (head && head !== data.requestId) {
    const ahead = await deps.requests.get(head);
    if (!ahead && job.data.missingHead !== head) {
      // The head may have joined the line a moment before its job was added: look again later.
      await deps.fence.hold(job, { ...data, missingHead: head }, token);
      await job.moveToDelayed(Date.now() + (deps.lineCheckMs ?? 2000), token);
      throw new DelayedError();
    }
    if (ahead && !FINISHED_STATES.has(ahead.state)) {
      if (job.data.waitingFor !== head) {
        log.info({ ahead: head }, 'waiting for an earlier request on this Droplet');
        await deps.fence.hold(job, { ...data, waitingFor: head }, token);
        await deps.reporter.waiting(data, { requestId: head, action: ahead.data.action, requester: ahead.data.requester });
      }
      await job.moveToDelayed(Date.now() + (deps.lineCheckMs ?? 2000), token);
      throw new DelayedError();
    }
    // The request ahead ended without leaving the line (its worker died at the wrong moment).
    log.warn({ stale: head }, 'removing a finished request from the head of the line');
    head = await deps.line.leave(data.droplet.id, head);
  }
}

/** Frees the Droplet and starts the next request in its line at once. */
export async function leaveLine(deps: Pick<TurnDeps, 'line' | 'requests'>, data: Pick<ActionJob, 'droplet' | 'requestId'>, log: Logger): Promise<void> {
  try {
    const next = await deps.line.leave(data.droplet.id, data.requestId);
    if (next) await deps.requests.promote(next);
  } catch (err) {
    // The next request still starts at its next check; nothing is lost.
    log.warn({ err: (err as Error).message }, 'could not hand the Droplet to the next request');
  }
}
