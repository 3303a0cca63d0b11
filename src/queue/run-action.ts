// One action job, start to end: POST the action once, save its ID before anything else, follow
// it to its end, report each step. Jobs run at least once, so every step checks what a previous
// run of the same job already did.
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { actionSpec } from '../domain/actions.js';
import type { ActionWatcher } from '../digitalocean/action-watcher.js';
import type { DigitalOceanClient } from '../digitalocean/client.js';
import { DigitalOceanError, DigitalOceanNetworkError } from '../digitalocean/errors.js';
import type { Action } from '../digitalocean/types.js';
import type { Logger } from '../log.js';
import type { StatusReporter } from '../slack/reporter.js';
import type { AuditEntry, AuditSink } from '../store/audit-log.js';
import { actionJobSchema, type ActionJob, type ActionOutcome } from './action-job.js';

export interface RunActionDeps {
  digitalocean: Pick<DigitalOceanClient, 'postAction' | 'listDropletActions'>;
  watcher: Pick<ActionWatcher, 'follow'>;
  reporter: StatusReporter;
  audit: AuditSink;
  logger: Logger;
  /** Lets a 429 pause every worker of the queue, not just this job. */
  rateLimit?: (ms: number) => Promise<void>;
  /** How long to wait before retrying when the Droplet already has a pending event. */
  pendingEventDelayMs?: number;
}

// Clocks differ between us and DigitalOcean; an action started this much before our POST is still ours.
const CLOCK_SKEW_MS = 30_000;

export async function runActionJob(job: Job<ActionJob>, deps: RunActionDeps, token?: string): Promise<ActionOutcome> {
  const data = actionJobSchema.parse(job.data);
  const log = deps.logger.child({ requestId: data.requestId, action: data.action, dropletId: data.droplet.id, attempt: job.attemptsMade + 1 });

  let actionId = data.actionId;
  let action: Action | undefined;
  if (actionId === undefined && data.postStartedAt !== undefined) {
    // An earlier run sent the POST but never learned the answer: find the action it may have started.
    action = await findStartedAction(deps, data, data.postStartedAt);
    if (action) {
      actionId = action.id;
      log.info({ actionId }, 'found the action an earlier attempt started; following it instead of posting again');
      await job.updateData({ ...data, actionId, actionStartedAt: action.started_at });
      await deps.audit(auditEntry(data, 'posted', { actionId, status: action.status, message: 'found after an unanswered POST' }));
      await deps.reporter.inProgress(data, actionId, Date.parse(action.started_at) - data.requestedAt);
    }
  }

  if (actionId === undefined) {
    const postStartedAt = Date.now();
    await job.updateData({ ...data, postStartedAt });
    try {
      action = await deps.digitalocean.postAction(data.droplet.id, data.body);
    } catch (err) {
      return handlePostError(err, job, { ...data, postStartedAt }, deps, log, token);
    }
    actionId = action.id;
    // Saved before anything else: from here on a rerun follows this action and never POSTs.
    await job.updateData({ ...data, postStartedAt, actionId, actionStartedAt: action.started_at });
    log.info({ actionId }, 'action started');
    await deps.audit(auditEntry(data, 'posted', { actionId, status: action.status }));
    await deps.reporter.inProgress(data, actionId, postStartedAt - data.requestedAt);
  }

  const startedAt = Date.parse(action?.started_at ?? data.actionStartedAt ?? '') || Date.now();
  const final = action && action.status !== 'in-progress' ? action : await deps.watcher.follow(actionId, actionSpec(data.action).typicalSeconds, undefined, startedAt);
  const durationMs = (Date.parse(final.completed_at ?? '') || Date.now()) - startedAt;
  const status = final.status === 'completed' ? 'completed' : 'errored';
  const message = status === 'errored' ? `DigitalOcean reports the action as errored` : undefined;
  log.info({ actionId, status, durationMs }, 'action ended');
  await deps.reporter.finished(data, { status, actionId, durationMs, message });
  await deps.audit(auditEntry(data, status, { actionId, status, message }));
  return { status, actionId, message };
}

async function findStartedAction(deps: RunActionDeps, data: ActionJob, since: number): Promise<Action | undefined> {
  const recent = await deps.digitalocean.listDropletActions(data.droplet.id, 20);
  return recent.find((a) => a.type === data.action && Date.parse(a.started_at) >= since - CLOCK_SKEW_MS);
}

async function handlePostError(
  err: unknown,
  job: Job<ActionJob>,
  data: ActionJob,
  deps: RunActionDeps,
  log: Logger,
  token: string | undefined,
): Promise<ActionOutcome> {
  const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  if (err instanceof DigitalOceanError && !err.isServerError) {
    // A definite answer: no action was started, so a rerun must not go looking for one.
    const { postStartedAt: _, ...clean } = data;
    await job.updateData(clean);
    if (err.isRateLimited) {
      log.warn({ retryAfterMs: err.retryAfterMs }, 'DigitalOcean rate limit reached; pausing the queue');
      await deps.rateLimit?.(err.retryAfterMs ?? 60_000);
      throw Worker.RateLimitError();
    }
    if (err.isPendingEvent && !lastAttempt) {
      log.info('Droplet has a pending event; trying again shortly');
      await job.moveToDelayed(Date.now() + (deps.pendingEventDelayMs ?? 5000), token);
      throw new DelayedError();
    }
    // DigitalOcean refused the action itself: its words reach the user as they are.
    await deps.reporter.finished(data, { status: 'errored', message: err.message });
    await deps.audit(auditEntry(data, 'post_failed', { status: `http ${err.status}`, message: err.message }));
    log.warn({ status: err.status, id: err.id }, 'DigitalOcean refused the action');
    throw new UnrecoverableError(err.message);
  }
  const ambiguous = err instanceof DigitalOceanNetworkError ? err.ambiguous : true;
  if (!ambiguous) {
    const { postStartedAt: _, ...clean } = data;
    await job.updateData(clean);
  }
  log.warn({ err: (err as Error).message, ambiguous }, 'action POST failed; will retry');
  if (lastAttempt) {
    const message = `DigitalOcean could not be reached after ${job.attemptsMade + 1} attempts (${(err as Error).message}). Check the Droplet before trying again.`;
    await deps.reporter.finished(data, { status: 'errored', message });
    await deps.audit(auditEntry(data, 'post_failed', { message }));
  }
  throw err;
}

function auditEntry(data: ActionJob, event: AuditEntry['event'], extra: Partial<AuditEntry>): AuditEntry {
  return {
    event,
    requestId: data.requestId,
    user: data.requester,
    action: data.action,
    dropletId: data.droplet.id,
    dropletName: data.droplet.name,
    channel: data.channel,
    ts: data.rootTs,
    ...extra,
  };
}
