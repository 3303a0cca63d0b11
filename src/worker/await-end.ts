// Waiting for a posted action's end without holding a worker slot. The action ID is saved in the
// job before this is reached, so the job can let go: it parks (delayed) with its action in the
// cluster's watch set, and the status poller promotes it the moment the action ends. It also
// comes back on its own every so often, which keeps the watch alive and catches a missed wake.
import { DelayedError, type Job } from 'bullmq';
import type { DigitalOceanClient } from '../digitalocean/client.js';
import { FollowDeadlineError } from '../digitalocean/follow-errors.js';
import type { StatusPoller } from '../digitalocean/status-poller.js';
import type { Action } from '../digitalocean/types.js';
import type { ActionJob } from '../domain/job.js';
import type { RequestDirectory } from './turn.js';

export interface AwaitEndDeps {
  watcher: Pick<StatusPoller, 'result' | 'park' | 'unpark'>;
  digitalocean: Pick<DigitalOceanClient, 'getAction'>;
  requests: Pick<RequestDirectory, 'promote'>;
  /** How often a parked job comes back on its own. */
  parkCheckMs?: number;
  /** Give up on an action still in progress after this long (default: 10x its usual time, at least 30 min). */
  followDeadlineMs?: number;
}

/** What the poller and the deadline go by: the action's type, its usual time, and when it started. */
export interface Following {
  type: string;
  typicalSeconds: number;
  /** When it started (ms on this clock): DigitalOcean's word, else when its POST went out. */
  startedAt: number;
  /** When its POST went out, if known: a closer anchor for when to look than DigitalOcean's whole seconds. */
  sentAt?: number | undefined;
}

/** The action once it ended; otherwise parks the job (throws DelayedError) until it has. */
export async function awaitEnd(job: Job<ActionJob>, actionId: number, following: Following, deps: AwaitEndDeps, token?: string): Promise<Action> {
  const { typicalSeconds, startedAt } = following;
  const saved = await deps.watcher.result(actionId);
  if (saved instanceof Error) throw saved;
  if (saved) return saved;
  const deadline = deps.followDeadlineMs ?? Math.max(30 * 60_000, typicalSeconds * 10_000);
  if (Date.now() - startedAt > deadline) {
    // One last look of its own before giving up: the poller may not have reached it. A read that
    // fails here changes nothing: the deadline has passed either way.
    const now = await deps.digitalocean.getAction(actionId).catch(() => undefined);
    if (now && now.status !== 'in-progress') return now;
    await deps.watcher.unpark(actionId, String(job.id)).catch(() => {});
    throw new FollowDeadlineError(actionId, Date.now() - startedAt);
  }
  const jobId = String(job.id);
  await deps.watcher.park(actionId, jobId, { type: following.type, startedAt: following.sentAt ?? startedAt });
  await job.moveToDelayed(Date.now() + (deps.parkCheckMs ?? 10_000), token);
  try {
    // It may have ended between the look above and the park: then come back at once.
    if (await deps.watcher.result(actionId)) await deps.requests.promote(jobId);
  } catch {
    // Parked already: the job comes back at its next check whatever happens here.
  }
  throw new DelayedError();
}
