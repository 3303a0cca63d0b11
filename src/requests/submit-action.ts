// A parsed action command from a user -> checked, resolved, announced in the channel and queued.
// Every early return tells the user why and changes nothing.
import { authorize } from '../domain/policy.js';
import type { ActionParams, ActionType } from '../domain/actions.js';
import { actionBody, displayName } from '../domain/actions.js';
import type { DropletRef } from '../domain/command.js';
import type { DigitalOceanClient } from '../digitalocean/client.js';
import { resolveDroplet } from '../digitalocean/resolve-droplet.js';
import type { Logger } from '../log.js';
import { jobAuditEntry, type ActionJob } from '../queue/action-job.js';
import type { AccessResolver } from '../roles/access.js';
import type { StatusReporter } from '../slack/reporter.js';
import { refusalMessage, rootMessage, unresolvedMessage } from '../slack/messages.js';
import type { RequestClaims } from '../store/request-claims.js';
import type { Intake } from '../store/intake.js';
import type { AuditSink } from '../store/audit-log.js';
import { openApproval, type OpenDeps } from '../approvals/decisions.js';
import { needsApproval } from '../approvals/rules.js';
import { approvalRootMessage } from '../slack/approval-messages.js';

export interface SubmitDeps {
  access: Pick<AccessResolver, 'of'>;
  digitalocean: Pick<DigitalOceanClient, 'getDroplet' | 'findDropletsByName'>;
  claims: Pick<RequestClaims, 'claim'>;
  enqueue: (job: ActionJob) => Promise<void>;
  /** Requests announced but not yet queued, so a receiver that dies in between loses nothing. */
  intake?: Pick<Intake, 'record' | 'done'>;
  /** Posts a channel message and returns its ts. */
  postRoot: (channel: string, message: ReturnType<typeof rootMessage>) => Promise<string>;
  updateRoot: (channel: string, ts: string, message: ReturnType<typeof rootMessage>) => Promise<void>;
  reporter: StatusReporter;
  audit: AuditSink;
  logger: Logger;
  /** Four-eyes approvals; absent (or without an approvals section) means nothing waits for approval. */
  approvals?: Omit<OpenDeps, 'settings'> & { settings: OpenDeps['settings'] | undefined };
}

export interface ActionRequest {
  requestId: string;
  userId: string;
  channelId: string;
  action: ActionType;
  target: DropletRef;
  params: ActionParams;
}

export type SubmitResult =
  | { kind: 'queued'; job: ActionJob }
  | { kind: 'awaiting_approval'; job: ActionJob; approvalId: string }
  | { kind: 'duplicate' }
  | { kind: 'rejected'; message: string };

export async function submitAction(deps: SubmitDeps, req: ActionRequest): Promise<SubmitResult> {
  const access = await deps.access.of(req.userId);
  const decision = authorize(access.scopes, req.action);
  if (!decision.allowed) {
    await deps.audit({ event: 'refused', requestId: req.requestId, user: req.userId, action: req.action, message: `missing ${decision.missing.join(', ')}` });
    const unread = access.unchecked.length
      ? ` (Slack did not tell me just now who is in ${access.unchecked.map((g) => `<!subteam^${g}>`).join(', ')}; if your rights come from a user group, try again in a minute.)`
      : '';
    return { kind: 'rejected', message: refusalMessage(req.action, decision.missing).text + unread };
  }

  const resolved = await resolveDroplet(deps.digitalocean, req.target);
  if (resolved.kind !== 'found') return { kind: 'rejected', message: unresolvedMessage(resolved, displayName(req.action)).text };

  if (!(await deps.claims.claim(req.requestId))) {
    deps.logger.info({ requestId: req.requestId }, 'request already taken; ignoring the repeat');
    return { kind: 'duplicate' };
  }

  const job: ActionJob = {
    requestId: req.requestId,
    action: req.action,
    body: actionBody(req.action, req.params),
    droplet: { id: resolved.droplet.id, name: resolved.droplet.name },
    requester: req.userId,
    channel: req.channelId,
    rootTs: '',
    requestedAt: Date.now(),
  };
  const approvals = deps.approvals;
  if (approvals && needsApproval(approvals.settings, job.action)) {
    // Not queued: the job waits in the approval request until a second person decides.
    job.rootTs = await deps.postRoot(req.channelId, approvalRootMessage(job, 'awaiting approval'));
    await deps.audit(jobAuditEntry(job, 'requested', { message: 'awaiting approval' }));
    let approvalId: string;
    try {
      approvalId = (await openApproval({ ...approvals, settings: approvals.settings }, job, resolved.droplet)).id;
    } catch (err) {
      deps.logger.error({ requestId: job.requestId, err: (err as Error).message }, 'could not open the approval request');
      await deps.updateRoot(job.channel, job.rootTs, rootMessage(job, 'errored', 'the approval request could not be posted; nothing was done')).catch(() => {});
      const slackError = (err as { data?: { error?: string } }).data?.error;
      const elsewhere = approvals.settings.channel;
      if (elsewhere && elsewhere !== job.channel && (slackError === 'not_in_channel' || slackError === 'channel_not_found')) {
        // The approvals channel, not this one, is the problem: say which.
        return { kind: 'rejected', message: `I cannot post the approval request in <#${elsewhere}>: invite me there with \`/invite @droplet-bot\`. Nothing was done.` };
      }
      throw err;
    }
    return { kind: 'awaiting_approval', job, approvalId };
  }
  job.rootTs = await deps.postRoot(req.channelId, rootMessage(job, 'queued'));
  try {
    await deps.intake?.record(job);
    // "queued" goes into the thread's ordered outbox before the job exists, so a fast worker's
    // "in-progress" can never come first.
    await deps.reporter.queued(job);
    await deps.enqueue(job);
    await deps.intake?.done(job.requestId);
  } catch (err) {
    deps.logger.error({ requestId: job.requestId, err: (err as Error).message }, 'could not queue the action');
    await deps.updateRoot(job.channel, job.rootTs, rootMessage(job, 'errored', 'not queued: the job store is unavailable')).catch(() => {});
    throw err;
  }
  await deps.audit(jobAuditEntry(job, 'requested'));
  return { kind: 'queued', job };
}
