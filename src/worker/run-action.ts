// One action job, start to end: wait for the Droplet's earlier requests, POST the action once,
// save its ID before anything else, follow it to its end, report each step. Jobs run at least
// once, so every step checks what a previous run of the same job already did.
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { z } from 'zod';
import { actionEntry } from '../domain/catalogue/index.js';
import { FollowDeadlineError } from '../digitalocean/follow-errors.js';
import { awaitEnd, type AwaitEndDeps } from './await-end.js';
import type { DigitalOceanClient } from '../digitalocean/client.js';
import { DigitalOceanError } from '../digitalocean/errors.js';
import type { Action } from '../digitalocean/types.js';
import type { Logger } from '../log.js';
import type { StatusReporter } from '../domain/ports.js';
import type { DropletLine } from '../store/droplet-line.js';
import { actionJobSchema, jobAuditEntry, type ActionJob, type ActionOutcome } from '../domain/job.js';
import { LostJobError } from './fence.js';
import { postOnce, type PostDeps } from './post-once.js';
import { leaveLine, waitForTurn, type RequestDirectory } from './turn.js';
import { runProcedure } from './run-procedure.js';

export type { RequestDirectory };
export { CLOCK_SKEW_MS } from './post-once.js';

export interface RunActionDeps extends PostDeps, Omit<AwaitEndDeps, 'digitalocean' | 'requests'> {
  digitalocean: PostDeps['digitalocean'] & Pick<DigitalOceanClient, 'getDroplet' | 'getAction'>;
  reporter: StatusReporter;
  line: Pick<DropletLine, 'join' | 'leave' | 'lastAction' | 'noteAction'>;
  requests: RequestDirectory;
  logger: Logger;
  /** How often a request waiting its turn looks at the head of the line again. */
  lineCheckMs?: number;
  /** How often a procedure looks at its Droplet while it waits for a state (off, on, a size). */
  procedurePollMs?: number;
  /** The clock a procedure's timeouts and step durations read; tests move it. */
  now?: () => number;
  /** Told how long each action that ended took (the action duration metric). */
  metrics?: { actionEnded(action: string, seconds: number): void };
}

/** BullMQ's own refusal of a move (to delayed, say) by a run whose lock another worker now holds. */
function lostLock(err: unknown): boolean {
  return err instanceof Error && /^(Missing lock|Lock mismatch) for job /.test(err.message);
}

/** Thrown after the outcome was already reported, so the failure handler does not report it again. */
class ReportedFailure extends UnrecoverableError {}

export async function runActionJob(job: Job<ActionJob>, deps: RunActionDeps, token?: string): Promise<ActionOutcome> {
  const parsed = actionJobSchema.safeParse(job.data);
  if (!parsed.success) return reportUnreadable(job, deps, parsed.error);
  const data = parsed.data;
  const log = deps.logger.child({ requestId: data.requestId, action: data.action, dropletId: data.droplet.id, attempt: job.attemptsMade + 1 });
  try {
    const outcome = data.procedure ? await runProcedure(job, data, deps, log, token) : await run(job, data, deps, log, token);
    await leaveLine(deps, data, log);
    return outcome;
  } catch (err) {
    if (err instanceof LostJobError || lostLock(err)) {
      // Another worker owns the job now (we were frozen or cut off past our lock): say nothing,
      // touch nothing, and let BullMQ's own bookkeeping of this run fail on the missing lock.
      log.warn('lost the job to another worker; dropped it without another word to DigitalOcean (the new owner follows or finds its action)');
      throw err;
    }
    if (err instanceof DelayedError || (err as Error).name === 'RateLimitError') throw err;
    const followGaveUp = err instanceof FollowDeadlineError || (err instanceof DigitalOceanError && err.status >= 400 && err.status < 500 && (job.data as ActionJob).actionId !== undefined);
    const final = followGaveUp || err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (final) {
      const latest = actionJobSchema.safeParse(job.data);
      const now = latest.success ? latest.data : data;
      const actionId = now.actionId ?? data.actionId;
      if (!(err instanceof ReportedFailure)) {
        const message = followGaveUp
          ? `${(err as Error).message}.`
          : `the bot gave up after ${job.attemptsMade + 1} attempts (${(err as Error).message}). Check the Droplet before trying again.`;
        await deps.reporter.finished(now, { status: 'errored', actionId, message });
        await deps.audit(jobAuditEntry(now, 'errored', { actionId, message }));
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

  if (actionId === undefined) {
    await waitForTurn(job, data, deps, log, token);
    const posted = await postOnce(job, data, { action: data.action, body: data.body }, deps, log, token);
    switch (posted.kind) {
      case 'started':
        ({ action, data } = posted);
        actionId = action.id;
        await deps.reporter.inProgress(data, actionId, (posted.found ? Date.parse(action.started_at) : posted.postStartedAt) - data.requestedAt);
        break;
      case 'refused': {
        if (posted.afterLostPost) {
          // An earlier POST's answer was lost and no action of it was found: it is not sent again,
          // and "not run" could be untrue, so the thread says to check the Droplet.
          const message = `an earlier attempt sent its POST but the answer was lost and no action was found; it was not sent again, because ${posted.reason} Check the Droplet`;
          log.warn({ reason: posted.reason }, 'rights withdrawn after an unanswered POST; not sent again');
          await deps.reporter.finished(data, { status: 'errored', message });
          await deps.audit(jobAuditEntry(data, 'errored', { message }));
          return { status: 'errored', message };
        }
        log.info({ reason: posted.reason }, 'rights withdrawn while the request waited; not sent');
        await deps.reporter.refused(data, posted.reason);
        await deps.audit(jobAuditEntry(data, 'refused', { message: `at run time: ${posted.reason}` }));
        return { status: 'skipped', message: posted.reason };
      }
      case 'gate_closed': {
        log.info('fleet aborted before this POST; not sent');
        if (posted.afterLostPost) {
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
      case 'declined':
        // DigitalOcean refused the action itself: its words reach the user as they are.
        await deps.reporter.finished(posted.data, { status: 'errored', message: posted.error.message });
        await deps.audit(jobAuditEntry(posted.data, 'post_failed', { status: `http ${posted.error.status}`, message: posted.error.message }));
        throw new ReportedFailure(posted.error.message);
    }
  }

  const startedAt = Date.parse(action?.started_at ?? data.actionStartedAt ?? '') || data.postStartedAt || Date.now();
  // The ID is saved: the job lets go of its slot until the cluster's poller sees the action end.
  const final = action && action.status !== 'in-progress' ? action : await awaitEnd(job, actionId, { type: data.action, typicalSeconds: actionEntry(data.action).typicalSeconds, startedAt, sentAt: data.postStartedAt }, deps, token);
  const durationMs = Math.max(0, (Date.parse(final.completed_at ?? '') || Date.now()) - startedAt);
  const status = final.status === 'completed' ? 'completed' : 'errored';
  const message = status === 'errored' ? 'DigitalOcean reports the action as errored' : undefined;
  log.info({ actionId, status, durationMs }, 'action ended');
  deps.metrics?.actionEnded(data.action, durationMs / 1000);
  await deps.reporter.finished(data, { status, actionId, durationMs, message });
  await deps.audit(jobAuditEntry(data, status, { actionId, status, message }));
  return { status, actionId, message };
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
