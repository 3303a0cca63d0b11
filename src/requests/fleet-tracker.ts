// The status of one Droplet's part of a fleet goes to the fleet, not to a thread of its own:
// the job's steps are written into the fleet's record (checked against the attempt, so a late
// result of an earlier attempt changes nothing) and the fleet's coordinator is woken to report
// them. Requests that are not part of a fleet pass straight through to the thread reporter.
import type { ActionJob } from '../domain/job.js';
import type { Outcome, StatusReporter, ThreadRef } from '../domain/ports.js';
import type { FleetStore } from '../store/fleets.js';

export interface FleetTrackerDeps {
  fleets: Pick<FleetStore, 'setTarget'>;
  /** Starts the fleet's coordinator now instead of at its next check. */
  wake: (fleetId: string) => Promise<void>;
}

export function fleetAwareReporter(inner: StatusReporter, deps: FleetTrackerDeps): StatusReporter {
  return {
    queued: (job) => (job.fleet ? Promise.resolve() : inner.queued(job)),
    approved: (job, line) => (job.fleet ? Promise.resolve() : inner.approved(job, line)),
    waiting: (job, ahead) => (job.fleet ? Promise.resolve() : inner.waiting(job, ahead)),
    async inProgress(job, actionId, waitedMs) {
      if (!job.fleet) return inner.inProgress(job, actionId, waitedMs);
      await deps.fleets.setTarget(job.fleet.id, job.droplet.id, ['queued'], job.fleet.attempt, {
        phase: 'in-progress',
        attempt: job.fleet.attempt,
        actionId,
        startedAt: Date.now(),
      });
    },
    async finished(job: ActionJob, outcome: Outcome) {
      if (!job.fleet) return inner.finished(job, outcome);
      // Written before the job ends: if this fails, the job runs again, follows its saved
      // action and writes it then.
      await deps.fleets.setTarget(job.fleet.id, job.droplet.id, ['queued', 'in-progress'], job.fleet.attempt, {
        phase: outcome.status,
        attempt: job.fleet.attempt,
        ...(outcome.actionId !== undefined ? { actionId: outcome.actionId } : {}),
        ...(outcome.message ? { message: outcome.message } : {}),
        ...(outcome.durationMs !== undefined ? { startedAt: Date.now() - outcome.durationMs } : {}),
        endedAt: Date.now(),
      });
      await deps.wake(job.fleet.id).catch(() => {});
    },
    async refused(job: ActionJob, reason: string) {
      if (!job.fleet) return inner.refused(job, reason);
      await deps.fleets.setTarget(job.fleet.id, job.droplet.id, ['queued'], job.fleet.attempt, { phase: 'errored', attempt: job.fleet.attempt, message: `not run, checked again before it was sent: ${reason}`, mrkdwn: true, endedAt: Date.now() });
      await deps.wake(job.fleet.id).catch(() => {});
    },
    async skipped(job: ActionJob, reason: string) {
      if (!job.fleet) return;
      await deps.fleets.setTarget(job.fleet.id, job.droplet.id, ['queued'], job.fleet.attempt, { phase: 'skipped', attempt: job.fleet.attempt, message: reason, endedAt: Date.now() });
      await deps.wake(job.fleet.id).catch(() => {});
    },
    note: (target: ThreadRef, step, text, phase) => inner.note(target, step, text, phase),
    // Procedures run on one Droplet, never as part of a fleet.
    step: (job, index) => (job.fleet ? Promise.resolve() : (inner.step?.(job, index) ?? Promise.resolve())),
    stepPosted: (job, index, actionId) => (job.fleet ? Promise.resolve() : (inner.stepPosted?.(job, index, actionId) ?? Promise.resolve())),
  };
}
