// A request already recorded in the intake (at the ack) -> checked, resolved, announced in the
// channel and queued, or opened for approval. Each stage is moved in the intake before the next
// visible step, so a receiver that dies anywhere leaves a record a worker finishes or withdraws.
// Nothing tells the user "not run" before the record is withdrawn, and a record that was taken
// over by a worker's sweep is left to it in silence.
import { refusalText } from '../domain/rights.js';
import { displayName } from '../domain/catalogue/index.js';
import type { DigitalOceanClient } from '../digitalocean/client.js';
import { resolveDroplet } from '../digitalocean/resolve-droplet.js';
import type { Logger } from '../log.js';
import { jobActions, jobAuditEntry, type ActionJob } from '../domain/job.js';
import { planRequest, skipsSafety } from '../domain/procedures/plan.js';
import type { AccessResolver } from '../domain/access.js';
import type { StatusReporter } from '../domain/ports.js';
import type { Message, Renderer } from './ports.js';
import type { Intake, IntakeRecord, IntakeStage, RecordedRequest } from '../store/intake.js';
import type { AuditSink } from '../store/audit-log.js';
import { openApproval, type OpenDeps } from './approval-decisions.js';
import { needsApproval } from '../domain/approval-rules.js';
import { notRunReason, requestLabel } from './not-run.js';

export interface SubmitDeps {
  access: Pick<AccessResolver, 'of' | 'decide' | 'roleMap'>;
  digitalocean: Pick<DigitalOceanClient, 'getDroplet' | 'findDropletsByName'>;
  intake: Pick<Intake, 'move' | 'withdraw' | 'done' | 'recordsKey' | 'movedKey'>;
  /** This receiver's instance ID: the holder of the records it made. */
  holder: string;
  enqueue: (job: ActionJob) => Promise<void>;
  /** Posts a channel message and returns its ts. */
  /** Posts the request's message; in `threadTs`'s thread when it was asked from a message. */
  postRoot: (channel: string, message: Message, threadTs?: string) => Promise<string>;
  updateRoot: (channel: string, ts: string, message: Message) => Promise<void>;
  reporter: StatusReporter;
  render: Pick<Renderer, 'root' | 'approvalRoot' | 'unresolved' | 'nothingToDo'>;
  audit: AuditSink;
  logger: Logger;
  /** Four-eyes approvals; absent (or without an approvals section) means nothing waits for approval. */
  approvals?: Omit<OpenDeps, 'settings'> & { settings: OpenDeps['settings'] | undefined };
}

export type ActionRequest = RecordedRequest;

export type SubmitResult =
  | { kind: 'queued'; job: ActionJob }
  | { kind: 'awaiting_approval'; job: ActionJob; approvalId: string }
  /** Refused before anything ran; the record is withdrawn. */
  | { kind: 'rejected'; message: string }
  /** Something failed after the record was made; it was withdrawn first, so it never runs. */
  | { kind: 'not_run'; message: string }
  /** Something failed and the record could not be withdrawn: a worker finishes or withdraws it. */
  | { kind: 'pending'; message: string }
  /** A worker's sweep took the record over (this receiver was too slow or frozen): say nothing. */
  | { kind: 'taken_over' };

/** Raised inside the flow when a move finds the record no longer ours. */
class TakenOver extends Error {}

export async function submitAction(deps: SubmitDeps, req: ActionRequest): Promise<SubmitResult> {
  let stage: IntakeStage = 'received';
  let job: ActionJob | undefined;
  let waits = false;
  const move = async (next: Omit<IntakeRecord, 'v' | 'holder' | 'request'>) => {
    if (!(await deps.intake.move(req.requestId, stage, deps.holder, { v: 2, holder: deps.holder, request: req, ...next }))) throw new TakenOver();
    stage = next.stage;
  };
  try {
    // Rights before any Droplet lookup: someone with no way to run this action learns so at once.
    const first = await deps.access.decide(req.userId, req.action, { channel: req.channelId });
    if (!first.allowed) return await refuse(deps, req, refusalText(first.reason, first.access.unchecked), first.reason);

    const resolved = await resolveDroplet(deps.digitalocean, req.target);
    if (resolved.kind !== 'found') return await refuse(deps, req, deps.render.unresolved(resolved, displayName(req.action)));
    // Read once: the role map may reload while this request is being handled.
    const map = deps.access.roleMap;
    // A stop of a Droplet that is off sends nothing; a resize of a running one becomes a procedure.
    const planned = planRequest({ body: req.body, ...(req.options ? { options: req.options } : {}), droplet: resolved.droplet, ...(map.safety ? { safety: map.safety } : {}), now: Date.now() });
    if (planned.kind === 'nothing') return await refuse(deps, req, deps.render.nothingToDo(resolved.droplet.name, planned.why));
    const procedure = planned.kind === 'procedure' ? planned.procedure : undefined;
    // Then on this very Droplet (its name and tags as DigitalOcean has them now), from this channel,
    // for every action the request may send: a procedure's fallback and recovery included.
    const actions = jobActions({ action: req.action, procedure });
    const onDroplet = await deps.access.decide(req.userId, actions, { droplet: resolved.droplet, channel: req.channelId });
    if (!onDroplet.allowed) return await refuse(deps, req, refusalText(onDroplet.reason, onDroplet.access.unchecked), onDroplet.reason);

    job = {
      requestId: req.requestId,
      action: req.action,
      body: req.body,
      droplet: { id: resolved.droplet.id, name: resolved.droplet.name },
      requester: req.userId,
      channel: req.channelId,
      rootTs: '',
      requestedAt: Date.now(),
      ...(procedure ? { procedure } : {}),
      ...(req.options ? { options: req.options } : {}),
    };
    const approvals = deps.approvals;
    const settings = approvals?.settings;
    waits = Boolean(settings && (actions.some((a) => needsApproval(settings, a)) || skipsSafety(req.action, req.options, map.safety)));
    await move({ stage: 'resolved', job, needsApproval: waits });

    const rootTs = await deps.postRoot(req.channelId, waits ? deps.render.approvalRoot(job, 'awaiting approval') : deps.render.root(job, 'queued'), req.threadTs);
    job = { ...job, rootTs };
    try {
      await move({ stage: 'announced', job, needsApproval: waits });
    } catch (err) {
      // A worker took the request over while Slack was posting this message, and announces it
      // itself: point this copy at that one rather than leave it saying "queued" for ever.
      // A request that waits for approval is withdrawn by the sweep instead, with nothing posted.
      if (err instanceof TakenOver) {
        const note = waits
          ? deps.render.root(job, 'not run', 'withdrawn: the receiver was too slow to ask for approval')
          : deps.render.root(job, 'queued', 'continued in a newer message below (the receiver was slow)');
        await deps.updateRoot(job.channel, rootTs, note).catch(() => {});
      }
      throw err;
    }

    if (waits && approvals && settings) {
      // Not queued: the job waits in the approval request until a second person decides.
      const opened = await openApproval({ ...approvals, settings }, job, resolved.droplet, { intake: deps.intake, holder: deps.holder });
      if (opened.kind === 'taken_over') throw new TakenOver();
      if (opened.kind === 'withdrawn') {
        await deps.audit(jobAuditEntry(job, 'withdrawn', { message: opened.message }));
        return { kind: 'not_run', message: `${opened.message} Your request was withdrawn and will not run; nothing was done.` };
      }
      await deps.audit(jobAuditEntry(job, 'requested', { message: 'awaiting approval' }));
      if (opened.kind === 'unknown') return { kind: 'pending', message: opened.message };
      return { kind: 'awaiting_approval', job, approvalId: opened.approval.id };
    }

    // "queued" goes into the thread's ordered outbox before the job exists, so a fast worker's
    // "in-progress" can never come first. From "announced" on, a worker finishes this the same way.
    await deps.reporter.queued(job);
    await deps.enqueue(job);
    await deps.intake.done(req.requestId);
    await deps.audit(jobAuditEntry(job, 'requested'));
    return { kind: 'queued', job };
  } catch (err) {
    if (err instanceof TakenOver) {
      deps.logger.warn({ requestId: req.requestId, stage }, 'a worker took this request over; leaving it to it');
      return { kind: 'taken_over' };
    }
    return fail(deps, req, stage, job, waits, err);
  }
}

/** A refusal: withdrawn first, then told. */
async function refuse(deps: SubmitDeps, req: ActionRequest, message: string, why?: string): Promise<SubmitResult> {
  if (!(await deps.intake.withdraw(req.requestId, 'received', deps.holder))) throw new TakenOver();
  if (why) await deps.audit({ event: 'refused', requestId: req.requestId, user: req.userId, action: req.action, message: why });
  return { kind: 'rejected', message };
}

/** Something failed after the record was made: withdraw it, then say it did not run; else leave it to the sweep. */
async function fail(deps: SubmitDeps, req: ActionRequest, stage: IntakeStage, job: ActionJob | undefined, waits: boolean, err: unknown): Promise<SubmitResult> {
  const reason = notRunReason(err);
  deps.logger.error({ requestId: req.requestId, stage, err: (err as Error).message }, 'could not finish the request');
  const what = requestLabel(req);
  if (stage === 'announced' && !waits) {
    // Announced and (perhaps) already queued: a failure here may have come after the job was
    // added, so withdrawing could lie. A worker's sweep queues it (a second add is a no-op).
    return {
      kind: 'pending',
      message: `I could not confirm that your ${what} request was queued (${reason}). It is on record, and a worker queues it as soon as the job store answers: its thread shows the result.`,
    };
  }
  const withdrawn = await deps.intake.withdraw(req.requestId, stage, deps.holder).catch(() => false);
  if (withdrawn) {
    if (job?.rootTs) await deps.updateRoot(job.channel, job.rootTs, deps.render.root(job, 'not run', reason)).catch(() => {});
    await deps.audit({ event: 'withdrawn', requestId: req.requestId, user: req.userId, action: req.action, message: reason, ...(job ? { dropletId: job.droplet.id, dropletName: job.droplet.name } : {}) }).catch(() => {});
    return { kind: 'not_run', message: `Your ${what} request was not run: ${reason}. Nothing was done; try again in a minute.` };
  }
  return {
    kind: 'pending',
    message: waits
      ? `I could not finish asking for approval of your ${what} request (${reason}). If the approval request appears, it can be approved; otherwise it lapses at its deadline and nothing runs.`
      : `I could not finish handling your ${what} request (${reason}). It is on record: as soon as the job store answers, ` +
        'a worker either runs it, and its thread shows the result, or tells you here that it did not run.',
  };
}

/** What the requester is told, if anything, about a result. */
export function resultText(result: SubmitResult): string | undefined {
  return result.kind === 'rejected' || result.kind === 'not_run' || result.kind === 'pending' ? result.message : undefined;
}
