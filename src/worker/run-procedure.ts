// A procedure's job: its steps in order, each run at most once. The state travels in the job and
// every change is saved (behind the job's lock) before the next visible step, so a rerun resumes
// at the step it was on: a step whose action was posted is followed, never posted again (the
// action ID is saved by postOnce before anything else). Waits for the Droplet's own state park the
// job (delayed) between looks, holding no worker slot; the Droplet's line is held throughout.
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { actionEntry } from '../domain/catalogue/index.js';
import type { ActionBody } from '../domain/catalogue/index.js';
import { describeWindow } from '../domain/approval-rules.js';
import type { StepDecl } from '../domain/procedures/declarations.js';
import {
  actionEnded,
  current,
  done,
  failedStep,
  finished,
  waitDeadline,
  isRecovery,
  outcomeOf,
  precondition,
  skipped,
  started,
  stepAction,
  waitMet,
  timeoutOf,
  type DropletNow,
  type ProcedureState,
} from '../domain/procedures/state.js';
import { jobAuditEntry, type ActionJob, type ActionOutcome } from '../domain/job.js';
import { FollowDeadlineError } from '../digitalocean/follow-errors.js';
import { DigitalOceanError, DigitalOceanNetworkError } from '../digitalocean/errors.js';
import type { Logger } from '../log.js';
import { postOnce } from './post-once.js';
import type { RunActionDeps } from './run-action.js';
import { waitForTurn } from './turn.js';
import { awaitEnd } from './await-end.js';

const DEFAULT_POLL_MS = 3000;
/** Looks at the Droplet grow sparser as a wait goes on, up to this. */
const MAX_POLL_MS = 15_000;
/** A step's action still in progress after this long fails the step (its recovery runs). */
const ACTION_LIMIT_MS = 30 * 60_000;
/** DigitalOcean unreadable for this long fails the step waiting on it (its recovery runs, and the thread says so). */
const UNREAD_LIMIT_MS = 30 * 60_000;

function bodyOf(p: ProcedureState, step: StepDecl, data: ActionJob): ActionBody {
  if (step.body === 'request') return data.body;
  if (step.body === 'snapshot') return { type: 'snapshot', ...(p.snapshotName ? { name: p.snapshotName } : {}) };
  return { type: stepAction(p, step)! };
}

function timeoutNote(p: ProcedureState, step: StepDecl, droplet: DropletNow, limitMs: number): string {
  if (step.waitFor === 'size') return `the Droplet reports size ${droplet.size_slug}, not ${p.size ?? 'the new size'}, after ${describeWindow(limitMs)}`;
  return `the Droplet still reports itself ${droplet.status === 'active' ? 'on' : droplet.status} after ${describeWindow(limitMs)}`;
}

/** Nothing of the procedure can have reached DigitalOcean: every step before this one was skipped, and this one sent nothing. */
function nothingSent(p: ProcedureState, data: ActionJob): boolean {
  return data.postStartedAt === undefined && data.actionId === undefined && p.steps.every((s, i) => i >= p.at || s.status === 'skipped');
}

/** A read DigitalOcean could not answer just now (its rate budget, a 5xx, the network): look again later. */
function transient(err: unknown): boolean {
  if (err instanceof DigitalOceanNetworkError) return true;
  return err instanceof DigitalOceanError && (err.isRateLimited || err.isServerError);
}

export async function runProcedure(job: Job<ActionJob>, first: ActionJob, deps: RunActionDeps, log: Logger, token?: string): Promise<ActionOutcome> {
  const now = deps.now ?? Date.now;
  let data = first;
  let p = first.procedure!;
  await waitForTurn(job, data, deps, log, token);

  /** Saves the next state, behind the lock; `settle` also clears the step's action fields (the step moved on). */
  const save = async (next: ProcedureState, settle: boolean) => {
    const { postStartedAt: _a, actionId: _b, actionStartedAt: _c, actionBaseline: _d, pendingSince: _e, ...rest } = data;
    const saved: ActionJob = settle ? { ...rest, procedure: next } : { ...data, procedure: next };
    await deps.fence.hold(job, saved, token);
    data = saved;
    p = next;
  };
  const report = (index: number) => deps.reporter.step?.(data, index) ?? Promise.resolve();
  const auditStep = (step: StepDecl, actionId: number, status: 'completed' | 'errored', message?: string) =>
    deps.audit(jobAuditEntry({ ...data, action: stepAction(p, step)! }, status, { step: step.id, actionId, status, message: `step "${step.id}" of ${p.name}${message ? `: ${message}` : ''}` }));
  const fail = async (step: StepDecl, index: number, message: string) => {
    const withAction = data.actionId !== undefined ? actionEnded(p, data.actionId, data.postStartedAt, now()) : p;
    log.warn({ step: step.id, message }, 'procedure step failed');
    await save(failedStep(withAction, step, now(), message), true);
    await report(index);
  };
  /** Parks the job until the next look, sooner near a deadline: it holds no worker slot meanwhile, and keeps the Droplet's line. */
  const lookAgainLater = async (untilDeadlineMs = Infinity, atLeastMs = 0): Promise<never> => {
    const base = deps.procedurePollMs ?? DEFAULT_POLL_MS;
    const elapsed = now() - (current(p)?.state.startedAt ?? now());
    const wait = Math.max(base, atLeastMs, Math.min(MAX_POLL_MS, elapsed / 5, untilDeadlineMs));
    await job.moveToDelayed(Date.now() + wait, token);
    throw new DelayedError();
  };
  /**
   * A read of DigitalOcean. One it cannot answer just now parks the job instead of spending an
   * attempt; after UNREAD_LIMIT_MS of that the step fails (`undefined` is returned), so the
   * recovery and the summary run rather than the Droplet being held in silence.
   */
  const read = async <T>(what: () => Promise<T>, step: StepDecl, index: number): Promise<T | undefined> => {
    try {
      const value = await what();
      if (p.unreadSince !== undefined) await save({ ...p, unreadSince: undefined }, false);
      return value;
    } catch (err) {
      if (transient(err)) {
        const since = p.unreadSince ?? now();
        if (now() - since >= UNREAD_LIMIT_MS) {
          await save({ ...p, unreadSince: undefined }, false);
          await fail(step, index, `DigitalOcean could not be read for ${describeWindow(UNREAD_LIMIT_MS)} (${(err as Error).message}); check the Droplet`);
          return undefined;
        }
        if (p.unreadSince === undefined) await save({ ...p, unreadSince: since }, false);
        log.info({ err: (err as Error).message }, 'DigitalOcean could not be read just now; looking again later');
        return lookAgainLater(Infinity, err instanceof DigitalOceanError ? (err.retryAfterMs ?? 0) : 0);
      }
      if (err instanceof DigitalOceanError && err.isNotFound) throw new UnrecoverableError(`DigitalOcean no longer knows Droplet ${data.droplet.id} (${err.message})`);
      throw err;
    }
  };
  /** On the job's last attempt a POST that keeps failing fails its step instead, so the recovery still runs. */
  const lastAttempt = () => job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

  while (!finished(p)) {
    const index = p.at;
    const { decl, state } = current(p)!;
    const action = stepAction(p, decl);
    const unsent = action !== undefined && state.actionId === undefined && data.actionId === undefined && data.postStartedAt === undefined;
    if (state.status === 'waiting' || (state.status === 'running' && unsent && decl.when)) {
      // Checked before every attempt to send: after a 422 pending event the Droplet may already be
      // what this step would make it (a slow shutdown finished: no power_off is sent).
      let droplet: DropletNow | undefined;
      if (decl.when) {
        droplet = await read(() => deps.digitalocean.getDroplet(data.droplet.id), decl, index);
        if (!droplet) continue;
      }
      const pre = precondition(p, decl, droplet);
      if (!pre.runs) {
        await save(skipped(p, pre.why), true);
        await report(index);
        continue;
      }
      if (state.status === 'waiting') {
        await save(started(p, now()), true);
        await report(index);
      }
    }

    if (action && current(p)!.state.actionId === undefined) {
      if (data.actionId === undefined) {
        // Rights are checked again before every step's POST but recovery's; what an approval showed
        // binds only the first (the procedure itself changes the Droplet's size).
        const { shown: _shown, ...unbound } = data;
        const recheckAs = nothingSent(p, data) ? data : unbound;
        let posted;
        try {
          posted = await postOnce(job, data, { action, body: bodyOf(p, decl, data) }, deps, log, token, { recheck: !isRecovery(p, index), recheckAs });
        } catch (err) {
          if (!transient(err) || !lastAttempt()) throw err;
          await fail(decl, index, `its POST kept failing (${(err as Error).message}); it may or may not have been sent, so check the Droplet`);
          continue;
        }
        if (posted.kind === 'started') {
          data = posted.data;
        } else if (posted.kind === 'refused' && !posted.afterLostPost && nothingSent(p, data)) {
          log.info({ reason: posted.reason }, 'rights withdrawn while the procedure waited; not sent');
          await deps.reporter.refused(data, posted.reason);
          await deps.audit(jobAuditEntry(data, 'refused', { message: `at run time: ${posted.reason}` }));
          return { status: 'skipped', message: posted.reason };
        } else {
          const message =
            posted.kind === 'declined'
              ? posted.error.message
              : posted.kind === 'refused'
                ? `not sent: the requester may no longer run ${action} on this Droplet from this channel${posted.afterLostPost ? "; an earlier POST's answer was lost and no action was found, so check the Droplet" : ''}`
                : 'not sent: the request was closed';
          if (posted.kind === 'declined') {
            await deps.audit(jobAuditEntry({ ...data, action }, 'post_failed', { step: decl.id, status: `http ${posted.error.status}`, message }));
            // "Already powered off": the Droplet is where this step would take it (a slow shutdown finished meanwhile).
            if (decl.waitFor === 'off' || decl.waitFor === 'on') {
              const now_ = await read(() => deps.digitalocean.getDroplet(data.droplet.id), decl, index);
              if (!now_) continue;
              if (waitMet(p, decl, now_)) {
                await save(done(p, now(), `not needed: ${posted.error.message}`), true);
                await report(index);
                continue;
              }
            }
          }
          if (posted.kind === 'refused') await deps.audit(jobAuditEntry({ ...data, action }, 'refused', { step: decl.id, message: `at run time: ${posted.reason}` }));
          await fail(decl, index, message);
          continue;
        }
      }
      const actionId = data.actionId!;
      const sentAt = data.postStartedAt;
      // Said on every run that follows it: the outbox keeps one per step, so a worker that died
      // between saving the action ID and saying so still has it said.
      await deps.reporter.stepPosted?.(data, index, actionId);
      if (decl.waitFor === 'action') {
        const startedAt = Date.parse(data.actionStartedAt ?? '') || data.postStartedAt || Date.now();
        let final;
        try {
          final = await awaitEnd(job, actionId, { type: action, typicalSeconds: actionEntry(action).typicalSeconds, startedAt, sentAt: data.postStartedAt }, deps, token);
        } catch (err) {
          // An action that never ends, or that DigitalOcean will not show, fails the step: the recovery runs.
          const refused = err instanceof DigitalOceanError && err.status >= 400 && err.status < 500 && !err.isRateLimited;
          if (!(err instanceof FollowDeadlineError) && !refused) throw err;
          await auditStep(decl, actionId, 'errored', (err as Error).message);
          await fail(decl, index, (err as Error).message);
          continue;
        }
        if (final.status !== 'completed') {
          await auditStep(decl, actionId, 'errored');
          await fail(decl, index, 'DigitalOcean reports the action as errored');
          continue;
        }
        await auditStep(decl, actionId, 'completed');
        await save(done(actionEnded(p, actionId, sentAt, now()), now()), true);
        await report(index);
        continue;
      }
      // The step waits for the Droplet's state: its action is read first, holding no slot, and the
      // Droplet only once the action ended (one call per look). No timeout runs while it is in
      // progress: DigitalOcean refuses any other action meanwhile (a pending event).
      const a = await read(() => deps.digitalocean.getAction(actionId), decl, index);
      if (!a) continue;
      if (a.status === 'errored') {
        await auditStep(decl, actionId, 'errored');
        await fail(decl, index, 'DigitalOcean reports the action as errored');
        continue;
      }
      if (a.status !== 'completed') {
        if (now() - (sentAt ?? now()) >= ACTION_LIMIT_MS) {
          await fail(decl, index, `its action was still in progress after ${describeWindow(ACTION_LIMIT_MS)}`);
          continue;
        }
        await lookAgainLater();
      }
      await auditStep(decl, actionId, 'completed');
      await save(actionEnded(p, actionId, sentAt, now()), true);
    }

    // What DigitalOcean reports about the Droplet itself, not just the action (api-v2#79).
    const droplet = await read(() => deps.digitalocean.getDroplet(data.droplet.id), decl, index);
    if (!droplet) continue;
    if (waitMet(p, decl, droplet)) {
      await save(done(p, now()), true);
      await report(index);
      continue;
    }
    const deadline = waitDeadline(p, decl);
    if (deadline !== undefined && now() >= deadline) {
      await fail(decl, index, timeoutNote(p, decl, droplet, timeoutOf(p, decl)!));
      continue;
    }
    await lookAgainLater(deadline === undefined ? Infinity : deadline - now());
  }

  const status = outcomeOf(p);
  const startedAt = Math.min(...p.steps.map((s) => s.startedAt ?? Infinity));
  const durationMs = Number.isFinite(startedAt) ? Math.max(0, now() - startedAt) : 0;
  const message = p.failed ? p.failed.message : undefined;
  log.info({ procedure: p.name, status, durationMs }, 'procedure ended');
  await deps.reporter.finished(data, { status, durationMs, ...(message ? { message } : {}) });
  await deps.audit(jobAuditEntry(data, status, { message: `${p.name} procedure${message ? ` failed at "${p.failed!.step}": ${message}` : ''}` }));
  return { status, ...(message ? { message } : {}) };
}
