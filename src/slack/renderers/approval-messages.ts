// Block Kit for four-eyes approvals: the request with Approve / Deny, the same message once
// decided, the root message while it waits, and the lines in the request's thread. Pure
// functions returning {text, blocks}; every user or DigitalOcean string goes through escapeText.
import type { types } from '@slack/bolt';
import { displayName } from '../../domain/catalogue/index.js';
import type { ApprovalSettings, Change, DropletState } from '../../domain/approval-rules.js';
import { describeChanges, describeWindow, needsConfirmation } from '../../domain/approval-rules.js';
import type { Approval, Outcome } from '../../store/approvals.js';
import type { ActionJob } from '../../domain/job.js';
import { threadLink } from '../../store/audit-log.js';
import { code, escapeText } from '../../domain/chat-text.js';
import { describeParams, requestBlocks, type Message } from './messages.js';
import { planText, requestName } from './procedure-messages.js';

export const APPROVE_ACTION_ID = 'approval_approve';
export const DENY_ACTION_ID = 'approval_deny';
export const APPROVAL_BLOCK_ID = 'approval_buttons';

function dropletLabel(job: Pick<ActionJob, 'droplet'>): string {
  return `*${escapeText(job.droplet.name)}* (${job.droplet.id})`;
}

function paramsLine(job: ActionJob): string {
  const params = describeParams(job.body);
  return params ? code(params) : '_no parameters_';
}

/** `<!date^…>` shows the time in each reader's own time zone; the fallback is UTC. */
export function slackDate(ms: number): string {
  const fallback = new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} at {time}|${fallback}>`;
}

function stateFields(state: DropletState): types.MrkdwnElement[] {
  return [
    { type: 'mrkdwn', text: `*Status*\n${escapeText(state.status)}` },
    { type: 'mrkdwn', text: `*Size*\n${code(state.size)}` },
    { type: 'mrkdwn', text: `*Image*\n${escapeText(state.image)}` },
  ];
}

function headerBlocks(a: Approval, title: string): types.KnownBlock[] {
  const { job } = a;
  // A procedure's plan is approved whole: its fallback and recovery steps need no second approval.
  const plan: types.KnownBlock[] = job.procedure ? [{ type: 'section', text: { type: 'mrkdwn', text: `*The plan:* ${planText(job.droplet.name, job.procedure)}` } }] : [];
  return [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `${title}\n<@${job.requester}> asked for *${requestName(job)}* on ${dropletLabel(job)}\n${paramsLine(job)}` },
    },
    ...plan,
    { type: 'section', fields: stateFields(a.before) },
  ];
}

/** Shown with the request when it lives in its own approvals channel, to find the request's thread. */
function threadContext(a: Approval): types.KnownBlock[] {
  if (!a.message || a.message.channel === a.job.channel) return [];
  return [{ type: 'context', elements: [{ type: 'mrkdwn', text: `Requested in <#${a.job.channel}> · <${threadLink(a.job.channel, a.job.rootTs)}|open the request's thread>` }] }];
}

/** The approval request: who asked, exactly what, the Droplet as it is now, and the two buttons. */
export function approvalRequestMessage(a: Approval, settings: Pick<ApprovalSettings, 'approvers'>): Message {
  const { job } = a;
  const approve: types.Button = { type: 'button', action_id: APPROVE_ACTION_ID, text: { type: 'plain_text', text: 'Approve' }, style: 'primary', value: a.id };
  if (needsConfirmation(job.body)) {
    approve.confirm = {
      title: { type: 'plain_text', text: 'Approve this action?' },
      text: { type: 'plain_text', text: confirmText(job) },
      confirm: { type: 'plain_text', text: 'Approve' },
      deny: { type: 'plain_text', text: 'Cancel' },
      style: 'danger',
    };
  }
  const deny: types.Button = { type: 'button', action_id: DENY_ACTION_ID, text: { type: 'plain_text', text: 'Deny' }, style: 'danger', value: a.id };
  const who = settings.approvers.map((r) => `\`${escapeText(r)}\``).join(' or ');
  return {
    text: `Approval needed: ${requestName(job)} on ${escapeText(job.droplet.name)}`,
    blocks: [
      ...headerBlocks(a, ':raised_hand: *Approval needed*'),
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `Someone with the ${who} role, other than the requester, may approve. Expires ${slackDate(a.expiresAt)} if nobody decides.` }],
      },
      ...threadContext(a),
      { type: 'actions', block_id: APPROVAL_BLOCK_ID, elements: [approve, deny] },
    ],
  };
}

export const changesText = describeChanges;

function outcomeLine(a: Approval, outcome: Outcome, by: string): string {
  if (outcome === 'approved') return `:white_check_mark: *Approved* by <@${by}>`;
  if (outcome === 'denied') return by === a.job.requester ? `:no_entry_sign: *Withdrawn* by <@${by}>` : `:no_entry: *Denied* by <@${by}>`;
  return `:hourglass: *Expired*: nobody decided within ${describeWindow(a.expiresAt - a.requestedAt)}`;
}

/** The request once decided: the buttons are gone and the message names who decided. */
export function approvalDecidedMessage(a: Approval, outcome: Outcome, by: string, changes: Change[] = []): Message {
  const blocks: types.KnownBlock[] = [...headerBlocks(a, `*Approval request* · ${outcome}`)];
  if (changes.length) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `:warning: *The Droplet changed since the request:* ${changesText(changes)}` } });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${outcomeLine(a, outcome, by)} · ${slackDate(Date.now())}` }] }, ...threadContext(a));
  return { text: `${requestName(a.job)} on ${escapeText(a.job.droplet.name)}: ${outcome}`, blocks };
}

export type { WaitingPhase } from '../../requests/ports.js';
import type { WaitingPhase } from '../../requests/ports.js';

/** The root message of a request that is not queued: waiting for a decision, denied or expired. */
export function approvalRootMessage(job: ActionJob, phase: WaitingPhase, detail?: string): Message {
  const icon = phase === 'awaiting approval' ? ':raised_hand:' : phase === 'denied' ? ':no_entry:' : ':hourglass:';
  return {
    text: `${requestName(job)} on ${escapeText(job.droplet.name)}: ${phase}`,
    blocks: [...requestBlocks(job), { type: 'context', elements: [{ type: 'mrkdwn', text: `${icon} ${phase}${detail ? ` · ${detail}` : ''}` }] }],
  };
}

/** One line in the request's thread for each step of the approval. */
export function approvalThreadLine(a: Approval, event: 'waiting' | Outcome, by = '', changes: Change[] = []): Message {
  const window = describeWindow(a.expiresAt - a.requestedAt);
  switch (event) {
    case 'waiting': {
      const where = a.message && a.message.channel !== a.job.channel ? ` in <#${a.message.channel}>` : '';
      return { text: `:raised_hand: *awaiting approval*${where} · needs a second person within ${window}; nothing runs until then` };
    }
    case 'approved':
      return { text: `:white_check_mark: *approved* by <@${by}>${changes.length ? ` · the Droplet changed since the request: ${changesText(changes)}` : ''}` };
    // Denied and expired requests never reach the reporter, so the requester is told here.
    case 'denied':
      return {
        text: by === a.job.requester ? `:no_entry_sign: *withdrawn* by <@${by}> · nothing was done` : `:no_entry: *denied* by <@${by}> · nothing was done · <@${a.job.requester}>`,
      };
    case 'expired':
      return { text: `:hourglass: *expired* · nobody decided within ${window}; nothing was done · <@${a.job.requester}>` };
  }
}

/** A confirmation dialog's text holds at most 300 characters: a long Droplet name is shortened to fit. */
const CONFIRM_TEXT_MAX = 300;
function confirmText(job: Approval['job']): string {
  const why = job.action === 'resize' ? 'a disk resize can never be reversed' : "it overwrites the Droplet's disk";
  const build = (name: string) => `${displayName(job.action)} on ${name} cannot be undone: ${why}.`;
  const name = escapeText(job.droplet.name);
  const room = CONFIRM_TEXT_MAX - build('').length;
  return build(name.length > room ? `${name.slice(0, room - 1)}…` : name);
}
