// The life of an approval request: opened instead of queueing, then approved (queued with the
// approver's name), denied or expired. Every decision goes through ApprovalStore.decide, so it
// happens once; whoever wins that race does the Slack updates, the audit line and the enqueue.
import { DigitalOceanError } from '../digitalocean/errors.js';
import type { DigitalOceanClient } from '../digitalocean/client.js';
import type { Droplet } from '../digitalocean/types.js';
import type { Logger } from '../log.js';
import { jobActions, jobAuditEntry, type ActionJob } from '../domain/job.js';
import type { AccessResolver } from '../domain/access.js';
import { decideAll } from '../domain/rights.js';
import { escapeText } from '../domain/chat-text.js';
import type { Renderer } from './ports.js';
import type { ChatOps, StatusReporter } from '../domain/ports.js';
import type { AuditEntry, AuditSink } from '../store/audit-log.js';
import { describeChanges, dropletChanges, dropletState, mayDecide, type ApprovalSettings, type Change } from '../domain/approval-rules.js';
import { ApprovalStore, type Approval, type IntakeKeys, type Outcome, type StoredApproval } from '../store/approvals.js';
import { requestOf, type Intake, type IntakeRecord } from '../store/intake.js';
import { failureKind, notRunReason } from './not-run.js';


interface BaseDeps {
  store: Pick<ApprovalStore, 'create' | 'setMessage' | 'get' | 'decide' | 'remove' | 'time'>;
  chat: ChatOps;
  render: Renderer;
  audit: AuditSink;
  logger: Logger;
}

export interface OpenDeps extends BaseDeps {
  settings: ApprovalSettings;
  expiry: { schedule(approvalId: string, delayMs: number): Promise<void> };
}

export interface DecideDeps extends BaseDeps {
  /** The role map's approvals section as it is now; undefined when it was removed. */
  settings: ApprovalSettings | undefined;
  access: Pick<AccessResolver, 'of' | 'roleMap'>;
  digitalocean: Pick<DigitalOceanClient, 'getDroplet'>;
  /** An approval puts the job to run in the intake in the same step as the decision. */
  intake: IntakeKeys & Pick<Intake, 'done'>;
  /** This receiver's instance ID, the holder of the approved record until it is queued. */
  holder: string;
  enqueue: (job: ActionJob) => Promise<void>;
  reporter: Pick<StatusReporter, 'queued' | 'approved'>;
}

export type ExpireDeps = BaseDeps;

export type OpenResult =
  | { kind: 'opened'; approval: Approval }
  /** A worker took the request over before it was opened. */
  | { kind: 'taken_over' }
  /** The message with the buttons could not be posted; the request is closed and never runs. */
  | { kind: 'withdrawn'; message: string }
  /** Posting failed and the request could not be closed either: its buttons may work until the deadline. */
  | { kind: 'unknown'; message: string };

/**
 * Stores the request, schedules its expiry and posts the message with the buttons (in the
 * request's thread, or in the approvals channel). The root message is already posted, and the
 * request's intake record is announced and held by `guard.holder`: it is cleared in the step
 * that stores the request.
 */
export async function openApproval(deps: OpenDeps, job: ActionJob, droplet: Droplet, guard?: { intake: IntakeKeys; holder: string }): Promise<OpenResult> {
  const { settings } = deps;
  const now = await deps.store.time();
  const approval: Approval = {
    id: ApprovalStore.newId(),
    job,
    before: dropletState(droplet),
    requestedAt: now,
    expiresAt: now + settings.expires_after,
  };
  // The expiry first: a deadline for a request that is never stored does nothing, while a stored
  // request without one would wait for ever.
  await deps.expiry.schedule(approval.id, settings.expires_after);
  if (!(await deps.store.create(approval, guard))) return { kind: 'taken_over' };
  const channel = settings.channel ?? job.channel;
  const threadTs = settings.channel ? undefined : job.rootTs;
  approval.message = { channel, ts: '' };
  let ts: string;
  try {
    ts = await deps.chat.post(channel, deps.render.approvalRequest(approval, settings), threadTs);
  } catch (err) {
    return closeUnposted(deps, approval, err);
  }
  approval.message = { channel, ts };
  // Clicks carry the message's location too, so a lost write here changes nothing that matters.
  await quietly(deps, 'remember where the approval request is', () => deps.store.setMessage(approval.id, channel, ts));
  if (settings.channel && settings.channel !== job.channel) {
    await quietly(deps, 'post the waiting line', () => deps.chat.post(job.channel, deps.render.approvalThreadLine(approval, 'waiting'), job.rootTs));
  }
  deps.logger.info({ requestId: job.requestId, approvalId: approval.id }, 'approval requested');
  return { kind: 'opened', approval };
}

/**
 * The buttons may or may not have reached Slack (an answer can be lost). Close the request in
 * the same atomic step as a decision, so no click can approve it afterwards, and only then say
 * it will not run. If someone decided first, the buttons were there: it stands as opened.
 */
async function closeUnposted(deps: OpenDeps, approval: Approval, err: unknown): Promise<OpenResult> {
  const { job } = approval;
  deps.logger.error({ requestId: job.requestId, approvalId: approval.id, err: (err as Error).message }, 'could not post the approval request');
  let closed;
  try {
    closed = await deps.store.decide(approval.id, 'expired', '');
    if (closed.kind === 'early' || closed.kind === 'missing') throw new Error(`unexpected ${closed.kind}`);
  } catch {
    const until = new Date(approval.expiresAt).toISOString().slice(11, 16);
    return {
      kind: 'unknown',
      message: `I could not post the approval request, nor withdraw it (the job store is unavailable). If it shows up with buttons, it can be approved until ${until} UTC; otherwise nothing runs.`,
    };
  }
  if (closed.kind === 'lost') return { kind: 'opened', approval };
  const elsewhere = deps.settings.channel;
  const message =
    elsewhere && elsewhere !== job.channel && failureKind(err).kind === 'not_in_channel'
      ? `I cannot post the approval request in <#${elsewhere}>: invite me there with \`/invite @droplet-bot\`.`
      : `The approval request could not be posted (${notRunReason(err)}).`;
  await quietly(deps, 'mark the root as not run', () => deps.chat.update(job.channel, job.rootTs, deps.render.root(job, 'not run', 'the approval request could not be posted')));
  return { kind: 'withdrawn', message };
}

export type ClickResult = { kind: 'decided'; outcome: Outcome } | { kind: 'refused'; message: string };

export interface Click {
  approvalId: string;
  user: string;
  decision: 'approve' | 'deny';
  /** Where the clicked message is, in case the request has not recorded it yet. */
  location?: { channel: string; ts: string };
}

/** An Approve or Deny click: checks who clicked, decides atomically, then acts on the outcome. */
export async function decideApproval(deps: DecideDeps, click: Click): Promise<ClickResult> {
  const stored = await deps.store.get(click.approvalId);
  if (!stored) return { kind: 'refused', message: 'This approval request is no longer on record. Nothing was done; ask the requester to run the command again.' };
  if (stored.state !== 'pending') return { kind: 'refused', message: alreadyDecided(stored.approval, stored.state, stored.decidedBy ?? '') };
  const approval = withLocation(stored.approval, click.location);
  const { job } = approval;
  // With the approvals section gone nobody can approve, but the requester may still withdraw.
  const withdrawing = click.user === job.requester && click.decision === 'deny';
  if (!deps.settings && !withdrawing) {
    return { kind: 'refused', message: 'Approvals are no longer set up in the role map, so nobody can approve this. Nothing was done; the requester can withdraw it with Deny, and run the command again.' };
  }
  const settings = deps.settings ?? NO_APPROVERS;
  // The Droplet as it is now: its tags decide scoped rights, and an approver judges what changed.
  let now: Droplet | undefined;
  try {
    now = await deps.digitalocean.getDroplet(job.droplet.id);
  } catch (err) {
    if (click.decision === 'approve' && err instanceof DigitalOceanError && err.isNotFound) {
      return { kind: 'refused', message: `Droplet ${job.droplet.id} no longer exists, so this request cannot run. Deny it to close it.` };
    }
    // An approval is bound to what the request showed: it is not given unchecked. A denial needs no comparison.
    if (click.decision === 'approve') {
      deps.logger.warn({ approvalId: approval.id, err: (err as Error).message }, 'could not read the Droplet to compare; the approval waits');
      return { kind: 'refused', message: 'DigitalOcean could not be asked about the Droplet just now, so this approval cannot be checked against what the request showed. Nothing was done; try again in a minute.' };
    }
  }
  const access = await deps.access.of(click.user);
  // A procedure is approved whole: the approver needs the rights for every action it may send.
  const actions = jobActions(job);
  const rights = click.user === job.requester ? undefined : decideAll(deps.access.roleMap, access.grants, actions, { droplet: now ?? job.droplet, channel: click.location?.channel ?? job.channel });
  const verdicts = actions.map((action) => mayDecide(settings, access, { user: click.user, requester: job.requester, action, decision: click.decision, ...(rights ? { rights } : {}) }));
  const verdict = verdicts.find((v) => !v.ok) ?? verdicts[0]!;
  if (!verdict.ok) return { kind: 'refused', message: verdict.reason };
  const changes: Change[] = now ? dropletChanges(approval.before, dropletState(now)) : [];
  if (click.decision === 'approve' && changes.length) {
    // An approval is bound to what was shown: a Droplet that changed since is not run on that approval.
    const what = describeChanges(changes);
    await quietly(deps, 'say what changed in the thread', () =>
      deps.chat.post(job.channel, { text: `:warning: *${escapeText(job.droplet.name)}* changed since the request (${what}), so <@${click.user}>'s approval did not run it. <@${job.requester}>, ask again if it is still wanted.` }, job.rootTs),
    );
    return {
      kind: 'refused',
      message: `*${escapeText(job.droplet.name)}* changed since this request was made: ${what}. An approval is bound to what the request showed, so nothing was run. Ask <@${job.requester}> for a new request; Deny closes this one.`,
    };
  }

  // The worker compares the Droplet with this before its POST: an approval runs only what was shown.
  const approvedJob: ActionJob = { ...job, approver: click.user, shown: approval.before };
  const approvedLine = deps.render.approvalThreadLine(approval, 'approved', click.user).text;
  const record: IntakeRecord = { v: 2, stage: 'approved', holder: deps.holder, request: requestOf(approvedJob), job: approvedJob, approvedLine };
  const result = await deps.store.decide(approval.id, click.decision === 'approve' ? 'approved' : 'denied', click.user, undefined, {
    intake: deps.intake,
    requestId: job.requestId,
    record: JSON.stringify(record),
  });
  if (result.kind === 'missing' || result.kind === 'early') return { kind: 'refused', message: 'This approval request is no longer on record. Nothing was done.' };
  if (result.kind === 'lost') return { kind: 'refused', message: alreadyDecided(approval, result.state, result.by) };
  if (result.state === 'expired') {
    await finishClosed(deps, approval, 'expired', '');
    return { kind: 'refused', message: `This request expired before you clicked. Nothing was done; ask <@${job.requester}> to run the command again if it is still needed.` };
  }
  if (result.state === 'approved') await finishApproved(deps, approval, approvedJob, approvedLine);
  else await finishClosed(deps, approval, 'denied', click.user);
  return { kind: 'decided', outcome: result.state };
}

/** Settings under which nobody but a withdrawing requester may decide. */
export const NO_APPROVERS: ApprovalSettings = { actions: [], approvers: [], expires_after: 0 };

/** The expiry job ran before the deadline on Redis's clock (process clocks differ): run it again later. */
export class ExpiryTooEarly extends Error {
  override name = 'ExpiryTooEarly';
  constructor(readonly retryInMs: number) {
    super(`the approval request is due to expire in ${retryInMs} ms`);
  }
}

/** Run by the expiry job when the deadline passes; does nothing if someone decided first. */
export async function expireApproval(deps: ExpireDeps, approvalId: string): Promise<boolean> {
  const stored = await deps.store.get(approvalId);
  if (!stored || stored.state !== 'pending') return false;
  const result = await deps.store.decide(approvalId, 'expired', '', undefined, undefined, { onlyWhenDue: true });
  if (result.kind === 'early') throw new ExpiryTooEarly(result.inMs);
  if (result.kind !== 'won') return false;
  await finishClosed(deps, stored.approval, 'expired', '');
  return true;
}

async function finishApproved(deps: DecideDeps, a: Approval, job: ActionJob, line: string): Promise<void> {
  const by = job.approver ?? '';
  // Straight after winning the decision, with nothing slow in between: the thread's approval line
  // and "queued" go into the ordered Slack outbox first (so a fast worker's updates land after
  // them), then the job is queued. Slack calls for the request message come last. The decision
  // already put the job in the intake, so if any of this fails a worker's sweep queues it.
  try {
    await deps.reporter.approved(job, line);
    await deps.reporter.queued(job);
    await deps.enqueue(job);
    await deps.intake.done(job.requestId);
  } catch (err) {
    deps.logger.warn({ requestId: job.requestId, err: (err as Error).message }, 'approved, but not queued yet; a worker queues it from the intake');
  }
  await updateRequestMessage(deps, a, 'approved', by);
  await quietly(deps, 'write the audit entry', () => deps.audit(auditEntry(a, 'approved', by)));
}

async function finishClosed(deps: BaseDeps, a: Approval, outcome: 'denied' | 'expired', by: string): Promise<void> {
  const { job } = a;
  await updateRequestMessage(deps, a, outcome, by);
  const detail = outcome === 'expired' ? 'nobody approved in time' : by === job.requester ? `withdrawn by <@${by}>` : `by <@${by}>`;
  await quietly(deps, 'update the root message', () => deps.chat.update(job.channel, job.rootTs, deps.render.approvalRoot(job, outcome, detail)));
  await quietly(deps, 'post the decision line', () => deps.chat.post(job.channel, deps.render.approvalThreadLine(a, outcome, by), job.rootTs));
  await deps.audit(auditEntry(a, outcome, by || job.requester, outcome === 'expired' ? 'nobody decided in time' : undefined));
  deps.logger.info({ requestId: job.requestId, approvalId: a.id, outcome, by }, 'approval closed');
}

async function updateRequestMessage(deps: BaseDeps, a: Approval, outcome: Outcome, by: string): Promise<void> {
  const where = a.message;
  if (!where?.ts) return;
  await quietly(deps, 'update the approval request', () => deps.chat.update(where.channel, where.ts, deps.render.approvalDecided(a, outcome, by)));
}

function withLocation(a: Approval, location: Click['location']): Approval {
  return a.message?.ts || !location ? a : { ...a, message: location };
}

function alreadyDecided(a: Approval, state: StoredApproval['state'], by: string): string {
  if (state === 'approved') return `<@${by}> already approved this request; it runs once. Nothing more was done.`;
  if (state === 'denied') return by === a.job.requester ? `<@${by}> withdrew this request. Nothing was done.` : `<@${by}> already denied this request. Nothing was done.`;
  if (state === 'expired') return `This request expired before anyone decided. Nothing was done; ask <@${a.job.requester}> to run the command again if it is still needed.`;
  return 'This request is still waiting for a decision.';
}

/** The approval's audit entry names the person who decided, not the requester. */
function auditEntry(a: Approval, event: AuditEntry['event'], user: string, message?: string): AuditEntry {
  return jobAuditEntry(a.job, event, { user, ...(message ? { message } : {}) });
}

/** Slack updates are best effort: a failed one is logged and the decision stands. */
async function quietly(deps: Pick<BaseDeps, 'logger'>, what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    deps.logger.warn({ err: (err as Error).message }, `could not ${what}`);
  }
}
