// Run by every worker process: finishes or withdraws the requests whose receiver is gone (its
// heartbeat expired: crashed, killed, frozen) or that have not moved for two minutes. A take-over
// is one atomic step, so two sweeps, or a sweep and a receiver that wakes up, never both act.
//   received                 not checked yet (workers hold no role map): withdrawn, told "not run"
//   resolved                 announced here and queued; one that waits for approval is withdrawn
//   announced                queued; one that waits for approval is withdrawn, its root says so
//   approved                 queued, with the approver's line in the thread
// Unreadable records (a rolling deploy changed their shape) are dropped with a word in their
// thread and an audit entry, never retried in silence.
import type { Logger } from '../log.js';
import { jobAuditEntry, type ActionJob } from '../domain/job.js';
import type { ChatOps, StatusReporter } from '../domain/ports.js';
import { escapeText } from '../domain/chat-text.js';
import type { Renderer } from './ports.js';
import { displayName } from '../domain/catalogue/index.js';
import type { AuditSink } from '../store/audit-log.js';
import { requestLabel } from './not-run.js';
import { threadOf, type Intake, type IntakeRecord, type ReadRecord } from '../store/intake.js';

export interface SweepDeps {
  intake: Pick<Intake, 'all' | 'takeOver' | 'move' | 'withdraw' | 'done' | 'drop'>;
  /** This sweeper's ID: the holder of what it takes over. */
  holder: string;
  chat: ChatOps;
  reporter: Pick<StatusReporter, 'queued' | 'approved'>;
  render: Pick<Renderer, 'root' | 'threadStatus'>;
  enqueue: (job: ActionJob) => Promise<void>;
  /** Whether this request's job was ever added (its record may outlive a failed clean-up). */
  wasQueued: (requestId: string) => Promise<boolean>;
  audit: AuditSink;
  logger: Logger;
  /** Records written by the previous release are left this long to their receiver. */
  legacyGraceMs?: number;
}

export interface SweepResult {
  queued: number;
  withdrawn: number;
  unreadable: number;
}

export async function sweepIntake(deps: SweepDeps): Promise<SweepResult> {
  const result: SweepResult = { queued: 0, withdrawn: 0, unreadable: 0 };
  for (const read of await deps.intake.all()) {
    try {
      if (read.kind === 'unreadable') {
        if (await dropUnreadable(deps, read)) result.unreadable++;
        continue;
      }
      if (read.record.holder === 'previous-release' && read.ageMs < (deps.legacyGraceMs ?? 60_000)) continue;
      const record = await deps.intake.takeOver(read, deps.holder);
      if (!record) continue;
      deps.logger.warn({ requestId: read.requestId, stage: record.stage }, 'taking over a request its receiver did not finish');
      if (await finish(deps, record)) result.queued++;
      else result.withdrawn++;
    } catch (err) {
      // Left in place: the next sweep (here or in another worker) tries again.
      deps.logger.warn({ requestId: read.requestId, err: (err as Error).message }, 'could not finish a request from the intake; will try again');
    }
  }
  return result;
}

/** True when the request was queued, false when it was withdrawn. */
async function finish(deps: SweepDeps, record: IntakeRecord): Promise<boolean> {
  const { request } = record;
  const what = requestLabel(request);
  const withdraw = async (why: string) => {
    if (!(await deps.intake.withdraw(request.requestId, record.stage, deps.holder))) return false;
    const job = record.job;
    if (job?.rootTs) await deps.chat.update(job.channel, job.rootTs, deps.render.root(job, 'not run', why)).catch(() => {});
    // Withdrawn for good: a failure to say so is logged, never a reason to try again.
    await deps.chat.tell(request.channelId, request.userId, `Your ${what} request was not run: ${why}. Nothing was done; run the command again.`).catch((err) => {
      deps.logger.warn({ requestId: request.requestId, err: (err as Error).message }, 'could not tell the requester their request did not run');
    });
    await deps.audit({
      event: 'withdrawn',
      requestId: request.requestId,
      user: request.userId,
      action: request.action,
      message: why,
      ...(job ? { dropletId: job.droplet.id, dropletName: job.droplet.name, channel: job.channel, ts: job.rootTs } : {}),
    });
    return false;
  };
  if (record.stage === 'received' || !record.job) return withdraw('the bot restarted before it had checked your request');
  if (record.needsApproval && record.stage !== 'approved') return withdraw('the bot restarted before it could ask for approval');
  let job = record.job;
  if (await deps.wasQueued(request.requestId)) {
    // Queued before, and only the clean-up failed: adding it again could run it a second time.
    await deps.intake.done(request.requestId);
    return true;
  }
  if (record.stage === 'resolved') {
    // The receiver died before it could say so in the channel (or before it learned where it had).
    let rootTs: string;
    try {
      rootTs = await deps.chat.post(job.channel, deps.render.root(job, 'queued', 'announced by a worker: the receiver stopped'), request.threadTs);
    } catch (err) {
      // Slack will not take it (the bot was removed from the channel, say): nobody could follow it.
      if (isPermanentSlackError(err)) return withdraw(`I cannot post in <#${job.channel}> (${escapeText(slackError(err) ?? '')})`);
      throw err;
    }
    job = { ...job, rootTs };
    if (!(await deps.intake.move(request.requestId, 'resolved', deps.holder, { ...record, stage: 'announced', job }))) return false;
  }
  if (record.stage === 'approved' && record.approvedLine) await deps.reporter.approved(job, record.approvedLine);
  await deps.reporter.queued(job);
  await deps.enqueue(job);
  await deps.intake.done(request.requestId);
  if (record.stage !== 'approved') await deps.audit(jobAuditEntry(job, 'requested', { message: 'queued by a worker after its receiver stopped' }));
  return true;
}

async function dropUnreadable(deps: SweepDeps, read: Extract<ReadRecord, { kind: 'unreadable' }>): Promise<boolean> {
  if (!(await deps.intake.drop(read.requestId, read.raw))) return false;
  if (await deps.wasQueued(read.requestId)) {
    // Its job was queued before the clean-up failed: it runs (or ran), so "not run" would be false.
    deps.logger.warn({ requestId: read.requestId, problem: read.problem }, 'dropped an unreadable intake record whose job was already queued');
    return true;
  }
  deps.logger.error({ requestId: read.requestId, problem: read.problem }, 'dropped an intake record this version cannot read');
  const where = threadOf(read.raw);
  const text = `This request could not be read by this version of the bot (${escapeText(read.problem)}), so it was not run. Nothing was done; run the command again.`;
  if (where?.rootTs) await deps.chat.post(where.channel, deps.render.threadStatus('not run', text), where.rootTs).catch(() => {});
  else if (where?.user) await deps.chat.tell(where.channel, where.user, text).catch(() => {});
  await deps.audit({ event: 'unreadable', requestId: read.requestId, user: where?.user ?? 'unknown', action: 'unknown', message: read.problem, ...(where?.rootTs ? { channel: where.channel, ts: where.rootTs } : {}) });
  return true;
}

const PERMANENT_SLACK_ERRORS = new Set(['not_in_channel', 'channel_not_found', 'is_archived', 'account_inactive', 'invalid_auth', 'restricted_action']);
const slackError = (err: unknown) => (err as { data?: { error?: string } }).data?.error;
const isPermanentSlackError = (err: unknown) => PERMANENT_SLACK_ERRORS.has(slackError(err) ?? '');
