// What the request use cases need to say things in chat, as an interface they own: which message,
// never its Block Kit. slack/renderers/ implements it; the use cases import nothing from slack/.
import type { Change, ApprovalSettings } from '../domain/approval-rules.js';
import type { ActionJob } from '../domain/job.js';
import type { Resolved } from '../digitalocean/resolve-droplet.js';
import type { Approval, Outcome } from '../store/approvals.js';

import type { Message } from '../domain/ports.js';

export type { Message };

export type Phase = 'queued' | 'in-progress' | 'completed' | 'errored' | 'not run';
export type WaitingPhase = 'awaiting approval' | 'denied' | 'expired';

export interface Renderer {
  /** The request's root message in its channel. */
  root(job: ActionJob, phase: Phase, detail?: string): Message;
  /** The root message of a request that waits for a second person (or no longer does). */
  approvalRoot(job: ActionJob, phase: WaitingPhase, detail?: string): Message;
  /** The approval request with its buttons. */
  approvalRequest(a: Approval, settings: Pick<ApprovalSettings, 'approvers'>): Message;
  /** The approval request once decided: no buttons, who decided, what changed. */
  approvalDecided(a: Approval, outcome: Outcome, by: string, changes?: Change[]): Message;
  /** One line in the request's thread for each step of the approval. */
  approvalThreadLine(a: Approval, event: 'waiting' | Outcome, by?: string, changes?: Change[]): Message;
  /** One status line in a thread. */
  threadStatus(phase: Phase, detail: string): Message;
  /** Why a request sent nothing: the Droplet already is what was asked (mrkdwn). */
  nothingToDo(dropletName: string, why: 'already_off'): string;
  /** Why a typed Droplet was not found, or is ambiguous (mrkdwn). */
  unresolved(result: Exclude<Resolved, { kind: 'found' }>, verb: string): string;
}
