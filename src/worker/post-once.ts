// One DigitalOcean POST, at most once per job step: after an unanswered POST, look for the action
// it may have started; check the requester's rights again; prove the lock (and the gate) in the
// same step that marks "about to POST"; save the action ID before anything else. Every write to
// the job goes through the fence, so a worker that lost its lock (frozen, or cut off while its
// write waited in the client) can never put back an older state over the new owner's. A single
// action and each step of a procedure go through here. Reporting is the caller's.
import { DelayedError, Worker, type Job } from 'bullmq';
import type { ActionBody, ActionType } from '../domain/catalogue/index.js';
import type { DigitalOceanClient } from '../digitalocean/client.js';
import { DigitalOceanError, DigitalOceanNetworkError } from '../digitalocean/errors.js';
import type { Action } from '../digitalocean/types.js';
import type { Logger } from '../log.js';
import type { AuditSink } from '../store/audit-log.js';
import type { DropletLine } from '../store/droplet-line.js';
import type { OwnActions } from '../store/own-actions.js';
import { jobAuditEntry, type ActionJob } from '../domain/job.js';
import type { AuditEntry } from '../domain/audit.js';
import { GateClosedError, LostJobError, type Fence, type Gate } from './fence.js';

export interface PostDeps {
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
  audit: AuditSink;
  line: Pick<DropletLine, 'lastAction' | 'noteAction'>;
  /** Records the actions the bot starts (marked before the POST leaves), so the activity feed never reports them as someone else's. */
  own: Pick<OwnActions, 'sending' | 'started' | 'settled'>;
  /** Lets a 429 pause every worker of the queue, not just this job. */
  rateLimit?: (ms: number) => Promise<void>;
  /** How long to wait before retrying when the Droplet already has a pending event. */
  pendingEventDelayMs?: number;
  /** How long to keep retrying a "pending event" refusal before giving up. */
  pendingEventLimitMs?: number;
}

// Clocks differ between us and DigitalOcean; an action started this much before our POST is still ours.
export const CLOCK_SKEW_MS = 30_000;

export type PostResult =
  /** Started (or found, after an earlier POST's answer was lost); its ID is saved in the job. */
  | { kind: 'started'; action: Action; data: ActionJob; found: boolean; postStartedAt: number }
  /** Not sent: the requester's rights no longer allow it. `afterLostPost`: an earlier POST's answer was lost. */
  | { kind: 'refused'; reason: string; afterLostPost: boolean }
  /** Not sent: the gate was closed (a fleet being aborted). */
  | { kind: 'gate_closed'; afterLostPost: boolean }
  /** DigitalOcean refused the action itself (a definite 4xx): nothing started. */
  | { kind: 'declined'; error: DigitalOceanError; data: ActionJob };

/** What to send: the action and its body (a procedure step's, or the job's own). */
export interface PostTarget {
  action: ActionType;
  body: ActionBody;
}

/**
 * POSTs `target` for this job unless an earlier run already did. Throws (to retry) on a 429, a
 * pending event (the job is delayed), an ambiguous network failure, or a lost lock.
 */
export async function postOnce(
  job: Job<ActionJob>,
  data: ActionJob,
  target: PostTarget,
  deps: PostDeps,
  log: Logger,
  token: string | undefined,
  /** `recheckAs`: the job as the rights check should see it (a procedure's later steps leave out what an approval showed). */
  opts: { recheck: boolean; recheckAs?: ActionJob } = { recheck: true },
): Promise<PostResult> {
  // Audit entries name the action sent: a procedure's step, not its headline.
  const audit = (d: ActionJob, event: AuditEntry['event'], extra: Partial<AuditEntry>) => deps.audit(jobAuditEntry({ ...d, action: target.action }, event, extra));
  if (data.postStartedAt !== undefined) {
    // An earlier run sent the POST but never learned the answer: find the action it may have started.
    const recent = await deps.digitalocean.listDropletActions(data.droplet.id, 20);
    const since = data.postStartedAt;
    const action = recent.find((a) => a.type === target.action && a.id > (data.actionBaseline ?? 0) && Date.parse(a.started_at) >= since - CLOCK_SKEW_MS);
    if (action) {
      log.info({ actionId: action.id }, 'found the action an earlier attempt started; following it instead of posting again');
      const found = { ...data, actionId: action.id, actionStartedAt: action.started_at };
      // Recorded as the bot's before the job saves it: if this fails, the rerun finds the action again and records it then.
      await deps.own.started(data.requestId, target.action, [data.droplet.id], [action.id]);
      await deps.fence.hold(job, found, token);
      await deps.line.noteAction(data.droplet.id, action.id);
      await audit(found, 'posted', { actionId: action.id, status: action.status, message: 'found after an unanswered POST' });
      return { kind: 'started', action, data: found, found: true, postStartedAt: since };
    }
  }
  const afterLostPost = data.postStartedAt !== undefined;
  if (opts.recheck) {
    const refused = await deps.recheck?.(opts.recheckAs ?? data);
    if (refused) return { kind: 'refused', reason: refused, afterLostPost };
  }
  const actionBaseline = await deps.line.lastAction(data.droplet.id);
  data = { ...data, actionBaseline };
  let postStartedAt = Date.now();
  let action: Action;
  try {
    action = await deps.digitalocean.postAction(data.droplet.id, target.body, async () => {
      // After any wait for the rate budget: the mark, the proof of the lock and the gate are one step.
      postStartedAt = Date.now();
      // Marked before anything can leave: an action the feed lists from now may be this one.
      await deps.own.sending(data.requestId, target.action, [data.droplet.id], postStartedAt);
      await deps.fence.hold(job, { ...data, postStartedAt }, token, deps.gateOf?.(data));
    });
  } catch (err) {
    if (err instanceof LostJobError) throw err;
    if (err instanceof GateClosedError) {
      await deps.own.settled(data.requestId, target.action, [data.droplet.id]);
      return { kind: 'gate_closed', afterLostPost: job.data.postStartedAt !== undefined };
    }
    return handlePostError(err, job, { ...data, postStartedAt }, deps, log, token, target.action);
  }
  // Saved before anything else but its record as the bot's: from here on a rerun follows this
  // action and never POSTs. The record comes first (the activity feed must never report it): if it
  // fails, the job was not saved either, and its rerun finds the action, as after a lost answer.
  const saved = { ...data, postStartedAt, pendingSince: undefined, actionId: action.id, actionStartedAt: action.started_at };
  await deps.own.started(data.requestId, target.action, [data.droplet.id], [action.id]);
  await deps.fence.hold(job, saved, token);
  await deps.line.noteAction(data.droplet.id, action.id);
  log.info({ actionId: action.id, type: target.action }, 'action started');
  await audit(saved, 'posted', { actionId: action.id, status: action.status });
  return { kind: 'started', action, data: saved, found: false, postStartedAt };
}

async function handlePostError(err: unknown, job: Job<ActionJob>, data: ActionJob, deps: PostDeps, log: Logger, token: string | undefined, type: ActionType): Promise<PostResult> {
  if (err instanceof DigitalOceanError && !err.isServerError) {
    // A definite answer: no action was started, so a rerun must not go looking for one.
    const { postStartedAt: _, ...clean } = data;
    // Nothing started: the mark goes, once the fence proved this worker still holds the job (a
    // worker that lost it must not clear the mark of the new owner's POST).
    const settle = () => deps.own.settled(data.requestId, type, [data.droplet.id]);
    if (err.isRateLimited) {
      await deps.fence.hold(job, clean, token);
      await settle();
      log.warn({ retryAfterMs: err.retryAfterMs }, 'DigitalOcean rate limit reached; pausing the queue');
      await deps.rateLimit?.(err.retryAfterMs ?? 60_000);
      throw Worker.RateLimitError();
    }
    const pendingSince = data.pendingSince ?? Date.now();
    if (err.isPendingEvent && Date.now() - pendingSince < (deps.pendingEventLimitMs ?? 30 * 60_000)) {
      await deps.fence.hold(job, { ...clean, pendingSince }, token);
      await settle();
      log.info('Droplet has a pending event; trying again shortly');
      await job.moveToDelayed(Date.now() + (deps.pendingEventDelayMs ?? 5000), token);
      throw new DelayedError();
    }
    const { pendingSince: _p, ...settled } = clean;
    await deps.fence.hold(job, settled, token);
    await settle();
    log.warn({ status: err.status, id: err.id }, 'DigitalOcean refused the action');
    return { kind: 'declined', error: err, data: settled };
  }
  const ambiguous = err instanceof DigitalOceanNetworkError ? err.ambiguous : true;
  if (!ambiguous) {
    const { postStartedAt: _, ...clean } = data;
    await deps.fence.hold(job, clean, token);
  }
  log.warn({ err: (err as Error).message, ambiguous }, 'action POST failed; will retry');
  throw err;
}
