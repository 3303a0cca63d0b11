// One action job, start to end: wait for the Droplet's earlier requests, POST the action once,
// save its ID before anything else, follow it to its end, report each step. Jobs run at least
// once, so every step checks what a previous run of the same job already did.
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { z } from 'zod';
import { actionEntry } from '../domain/catalogue/index.js';
import { FollowDeadlineError, WatcherStoppedError, type ActionWatcher } from '../digitalocean/action-watcher.js';
import type { DigitalOceanClient } from '../digitalocean/client.js';
import { DigitalOceanError, DigitalOceanNetworkError } from '../digitalocean/errors.js';
import type { Action } from '../digitalocean/types.js';
import type { Logger } from '../log.js';
import type { StatusReporter } from '../domain/ports.js';
import type { AuditSink } from '../store/audit-log.js';
import type { DropletLine } from '../store/droplet-line.js';
import { actionJobSchema, jobAuditEntry, type ActionJob, type ActionOutcome } from '../domain/job.js';
import { GateClosedError, LostJobError, type Fence, type Gate } from './fence.js';

/** What the worker can learn about other requests in the queue. */
export interface RequestDirectory {
  /** The job's BullMQ state and data, or undefined when it no longer exists. */
  get(requestId: string): Promise<{ state: string; data: ActionJob } | undefined>;
  /** Starts a waiting request now instead of at its next check. */
  promote(requestId: string): Promise<void>;
}

export interface RunActionDeps {
  digitalocean: Pick<DigitalOceanClient, 'postAction' | 'listDropletActions'>;
  /** Proves, just before the POST, that this worker still holds the job. */
  fence: Fence;
  /**
   * The requester's rights, checked again just before the POST on the Droplet as it is now (its
   * tags may have changed) and from the request's channel: the reason it may not run, or undefined.
   */
  recheck?: (job: ActionJob) => Promise<string | undefined>;
  /** The gate a job's POST must find open (a fleet's status: not being aborted). */
  gateOf?: (job: ActionJob) => Gate | undefined;
  watcher: Pick<ActionWatcher, 'follow'>;
  reporter: StatusReporter;
  audit: AuditSink;
  line: Pick<DropletLine, 'join' | 'leave' | 'lastAction' | 'noteAction'>;
  requests: RequestDirectory;
  logger: Logger;
  /** Lets a 429 pause every worker of the queue, not just this job. */
  rateLimit?: (ms: number) => Promise<void>;
  /** How long to wait before retrying when the Droplet already has a pending event. */
  pendingEventDelayMs?: number;
  /** How often a request waiting its turn looks at the head of the line again. */
  lineCheckMs?: number;
  /** How long to keep retrying a "pending event" refusal before giving up. */
  pendingEventLimitMs?: number;
}

// Clocks differ between us and DigitalOcean; an action started this much before our POST is still ours.
export const CLOCK_SKEW_MS = 30_000;
const FINISHED_STATES = new Set(['completed', 'failed', 'unknown']);

/** Thrown after the outcome was already reported, so the failure handler does not report it again. */
class ReportedFailure extends UnrecoverableError {}

export async function runActionJob(job: Job<ActionJob>, deps: RunActionDeps, token?: string): Promise<ActionOutcome> {
  const parsed = actionJobSchema.safeParse(job.data);
  if (!parsed.success) return reportUnreadable(job, deps, parsed.error);
  const data = parsed.data;
  const log = deps.logger.child({ requestId: data.requestId, action: data.action, dropletId: data.droplet.id, attempt: job.attemptsMade + 1 });
  try {
    const outcome = await run(job, data, deps, log, token);
    await leaveLine(deps, data, log);
    return outcome;
  } catch (err) {
    if (err instanceof LostJobError) {
      // Another worker owns the job now (we were frozen or cut off past our lock): say nothing,
      // touch nothing, and let BullMQ's own bookkeeping of this run fail on the missing lock.
      log.warn('lost the job to another worker before the POST; dropped it without calling DigitalOcean');
      throw err;
    }
    if (err instanceof DelayedError || (err as Error).name === 'RateLimitError') throw err;
    if (err instanceof WatcherStoppedError) {
      // Shutting down: back to the queue without spending an attempt; the next run follows the saved action ID.
      log.info('handing the job back to the queue');
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    }
    const followGaveUp = err instanceof FollowDeadlineError || (err instanceof DigitalOceanError && err.status >= 400 && err.status < 500 && (job.data as ActionJob).actionId !== undefined);
    const final = followGaveUp || err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (final) {
      const actionId = (job.data as ActionJob).actionId ?? data.actionId;
      if (!(err instanceof ReportedFailure)) {
        const message = followGaveUp
          ? `${(err as Error).message}.`
          : `the bot gave up after ${job.attemptsMade + 1} attempts (${(err as Error).message}). Check the Droplet before trying again.`;
        await deps.reporter.finished(data, { status: 'errored', actionId, message });
        await deps.audit(jobAuditEntry(data, 'errored', { actionId, message }));
      }
      await leaveLine(deps, data, log);
      if (followGaveUp) throw new UnrecoverableError((err as Error).message);
    }
    throw err;
  }
}

async function run(job: Job<ActionJob>, data: ActionJob, deps: RunActionDeps, log: Logger, token?: string): Promise<ActionOutcome> {
  let actionId = data.actionId;
  let action: Action | undefined;

  if (actionId === undefined) await waitForTurn(job, data, deps, log, token);

  if (actionId === undefined && data.postStartedAt !== undefined) {
    // An earlier run sent the POST but never learned the answer: find the action it may have started.
    action = await findStartedAction(deps, data, data.postStartedAt);
    if (action) {
      actionId = action.id;
      log.info({ actionId }, 'found the action an earlier attempt started; following it instead of posting again');
      await job.updateData({ ...data, actionId, actionStartedAt: action.started_at });
      await deps.line.noteAction(data.droplet.id, actionId);
      await deps.audit(jobAuditEntry(data, 'posted', { actionId, status: action.status, message: 'found after an unanswered POST' }));
      await deps.reporter.inProgress(data, actionId, Date.parse(action.started_at) - data.requestedAt);
    }
  }

  if (actionId === undefined) {
    const refused = await deps.recheck?.(data);
    if (refused && data.postStartedAt !== undefined) {
      // An earlier POST's answer was lost and no action of it was found: it is not sent again,
      // and "not run" could be untrue, so the thread says to check the Droplet.
      const message = `an earlier attempt sent its POST but the answer was lost and no action was found; it was not sent again, because ${refused} Check the Droplet`;
      log.warn({ reason: refused }, 'rights withdrawn after an unanswered POST; not sent again');
      await deps.reporter.finished(data, { status: 'errored', message });
      await deps.audit(jobAuditEntry(data, 'errored', { message }));
      return { status: 'errored', message };
    }
    if (refused) {
      log.info({ reason: refused }, 'rights withdrawn while the request waited; not sent');
      await deps.reporter.refused(data, refused);
      await deps.audit(jobAuditEntry(data, 'refused', { message: `at run time: ${refused}` }));
      return { status: 'skipped', message: refused };
    }
    const actionBaseline = await deps.line.lastAction(data.droplet.id);
    data = { ...data, actionBaseline };
    let postStartedAt = Date.now();
    try {
      action = await deps.digitalocean.postAction(data.droplet.id, data.body, async () => {
        // After any wait for the rate budget: the mark, the proof of the lock and the gate are one step.
        postStartedAt = Date.now();
        await deps.fence.hold(job, { ...data, postStartedAt }, token, deps.gateOf?.(data));
      });
    } catch (err) {
      if (err instanceof LostJobError) throw err;
      if (err instanceof GateClosedError) {
        log.info({ gate: err.state }, 'fleet aborted before this POST; not sent');
        if (job.data.postStartedAt !== undefined) {
          // An earlier attempt sent a POST whose answer was lost, and its action was not found: it may still have started.
          const message = 'aborted; an earlier attempt sent its POST but the answer was lost and no action was found, so one may still have started. Check the Droplet';
          await deps.reporter.finished(data, { status: 'errored', message });
          await deps.audit(jobAuditEntry(data, 'errored', { message }));
          return { status: 'errored', message };
        }
        // Its fleet was aborted while it waited: nothing was sent, and nothing will be.
        const message = 'aborted before it started';
        await deps.reporter.skipped?.(data, message);
        await deps.audit(jobAuditEntry(data, 'withdrawn', { message }));
        return { status: 'skipped', message };
      }
      return handlePostError(err, job, { ...data, postStartedAt }, deps, log, token);
    }
    actionId = action.id;
    // Saved before anything else: from here on a rerun follows this action and never POSTs.
    await job.updateData({ ...data, postStartedAt, pendingSince: undefined, actionId, actionStartedAt: action.started_at });
    await deps.line.noteAction(data.droplet.id, actionId);
    log.info({ actionId }, 'action started');
    await deps.audit(jobAuditEntry(data, 'posted', { actionId, status: action.status }));
    await deps.reporter.inProgress(data, actionId, postStartedAt - data.requestedAt);
  }

  const startedAt = Date.parse(action?.started_at ?? data.actionStartedAt ?? '') || Date.now();
  const final = action && action.status !== 'in-progress' ? action : await deps.watcher.follow(actionId, actionEntry(data.action).typicalSeconds, undefined, startedAt);
  const durationMs = Math.max(0, (Date.parse(final.completed_at ?? '') || Date.now()) - startedAt);
  const status = final.status === 'completed' ? 'completed' : 'errored';
  const message = status === 'errored' ? 'DigitalOcean reports the action as errored' : undefined;
  log.info({ actionId, status, durationMs }, 'action ended');
  await deps.reporter.finished(data, { status, actionId, durationMs, message });
  await deps.audit(jobAuditEntry(data, status, { actionId, status, message }));
  return { status, actionId, message };
}

/** Returns when this request heads its Droplet's line; otherwise parks the job and checks again later. */
async function waitForTurn(job: Job<ActionJob>, data: ActionJob, deps: RunActionDeps, log: Logger, token?: string): Promise<void> {
  let head = await deps.line.join(data.droplet.id, data.requestId);
  while (head && head !== data.requestId) {
    const ahead = await deps.requests.get(head);
    if (!ahead && job.data.missingHead !== head) {
      // The head may have joined the line a moment before its job was added: look again later.
      await job.updateData({ ...data, missingHead: head });
      await job.moveToDelayed(Date.now() + (deps.lineCheckMs ?? 2000), token);
      throw new DelayedError();
    }
    if (ahead && !FINISHED_STATES.has(ahead.state)) {
      if (job.data.waitingFor !== head) {
        log.info({ ahead: head }, 'waiting for an earlier request on this Droplet');
        await job.updateData({ ...data, waitingFor: head });
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

async function leaveLine(deps: RunActionDeps, data: ActionJob, log: Logger): Promise<void> {
  try {
    const next = await deps.line.leave(data.droplet.id, data.requestId);
    if (next) await deps.requests.promote(next);
  } catch (err) {
    // The next request still starts at its next check; nothing is lost.
    log.warn({ err: (err as Error).message }, 'could not hand the Droplet to the next request');
  }
}

async function findStartedAction(deps: RunActionDeps, data: ActionJob, since: number): Promise<Action | undefined> {
  const recent = await deps.digitalocean.listDropletActions(data.droplet.id, 20);
  return recent.find(
    (a) => a.type === data.action && a.id > (data.actionBaseline ?? 0) && Date.parse(a.started_at) >= since - CLOCK_SKEW_MS,
  );
}

async function handlePostError(
  err: unknown,
  job: Job<ActionJob>,
  data: ActionJob,
  deps: RunActionDeps,
  log: Logger,
  token: string | undefined,
): Promise<ActionOutcome> {
  if (err instanceof DigitalOceanError && !err.isServerError) {
    // A definite answer: no action was started, so a rerun must not go looking for one.
    const { postStartedAt: _, ...clean } = data;
    if (err.isRateLimited) {
      await job.updateData(clean);
      log.warn({ retryAfterMs: err.retryAfterMs }, 'DigitalOcean rate limit reached; pausing the queue');
      await deps.rateLimit?.(err.retryAfterMs ?? 60_000);
      throw Worker.RateLimitError();
    }
    const pendingSince = data.pendingSince ?? Date.now();
    if (err.isPendingEvent && Date.now() - pendingSince < (deps.pendingEventLimitMs ?? 30 * 60_000)) {
      await job.updateData({ ...clean, pendingSince });
      log.info('Droplet has a pending event; trying again shortly');
      await job.moveToDelayed(Date.now() + (deps.pendingEventDelayMs ?? 5000), token);
      throw new DelayedError();
    }
    await job.updateData(clean);
    // DigitalOcean refused the action itself: its words reach the user as they are.
    log.warn({ status: err.status, id: err.id }, 'DigitalOcean refused the action');
    await deps.reporter.finished(data, { status: 'errored', message: err.message });
    await deps.audit(jobAuditEntry(data, 'post_failed', { status: `http ${err.status}`, message: err.message }));
    throw new ReportedFailure(err.message);
  }
  const ambiguous = err instanceof DigitalOceanNetworkError ? err.ambiguous : true;
  if (!ambiguous) {
    const { postStartedAt: _, ...clean } = data;
    await job.updateData(clean);
  }
  log.warn({ err: (err as Error).message, ambiguous }, 'action POST failed; will retry');
  throw err;
}

/**
 * A job this version cannot read (a rolling deploy changed its shape): say so in its thread and
 * in the audit trail, free its Droplet, and end it, rather than retry it a dozen times in silence.
 */
async function reportUnreadable(job: Job<ActionJob>, deps: RunActionDeps, error: z.ZodError): Promise<never> {
  const raw = (job.data ?? {}) as Partial<Record<keyof ActionJob, unknown>>;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const requestId = str(raw.requestId) ?? String(job.id);
  const problem = error.issues.map((i) => `${i.path.join('.') || 'job'}: ${i.message}`).join('; ');
  const actionId = typeof raw.actionId === 'number' ? raw.actionId : undefined;
  const dropletId = typeof (raw.droplet as { id?: unknown } | undefined)?.id === 'number' ? (raw.droplet as { id: number }).id : undefined;
  deps.logger.error({ requestId, problem }, 'a job this version cannot read; ending it');
  // A POST may have gone out once the job was marked "about to POST", even without an action ID.
  const mayHaveStarted = actionId !== undefined || typeof raw.postStartedAt === 'number';
  const text =
    !mayHaveStarted
      ? `This request could not be read by this version of the bot (${problem}), so it was not run. Nothing was done; run the command again.`
      : actionId !== undefined
        ? `This request could not be read by this version of the bot (${problem}). DigitalOcean action ${actionId} was started and is no longer followed; check the Droplet.`
        : `This request could not be read by this version of the bot (${problem}). A DigitalOcean action may have been started for it; check the Droplet before running it again.`;
  const channel = str(raw.channel);
  const rootTs = str(raw.rootTs);
  try {
    if (channel && rootTs) await deps.reporter.note({ requestId, channel, rootTs }, 'unreadable', text, mayHaveStarted ? 'errored' : 'not run');
    await deps.audit({ event: 'unreadable', requestId, user: str(raw.requester) ?? 'unknown', action: str(raw.action) ?? 'unknown', message: problem, ...(dropletId ? { dropletId } : {}), ...(actionId ? { actionId } : {}), ...(channel && rootTs ? { channel, ts: rootTs } : {}) });
    if (dropletId !== undefined) {
      const next = await deps.line.leave(dropletId, requestId);
      if (next) await deps.requests.promote(next);
    }
  } catch (err) {
    deps.logger.warn({ requestId, err: (err as Error).message }, 'could not report an unreadable job');
  }
  throw new UnrecoverableError(`unreadable job: ${problem}`);
}
