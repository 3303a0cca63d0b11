// Block Kit for a fleet that waits for a second person: the request with the frozen list and
// Approve / Deny, the same message once decided, and the lines in the fleet's thread. The list is
// the plan's, exactly as the requester saw it; names pass through escapeText.
import type { types } from '@slack/bolt';
import { displayName } from '../../domain/catalogue/index.js';
import { describeWindow, needsConfirmation, type ApprovalSettings } from '../../domain/approval-rules.js';
import { describeSelector } from '../../domain/fleet/selector.js';
import { code, escapeText } from '../../domain/chat-text.js';
import type { FleetApproval, StoredFleet } from '../../store/fleets.js';
import { threadLink } from '../../store/audit-log.js';
import { FLEET_APPROVE, FLEET_DENY, listSections, plural, rules, targetLine, what } from './fleet-messages.js';
import type { Message } from './messages.js';
import { slackDate } from './approval-messages.js';

type Asked = Pick<StoredFleet, 'plan' | 'status' | 'rootTs'> & { approval: FleetApproval };

function header(f: Asked, title: string): types.KnownBlock[] {
  const { plan } = f;
  const n = plan.targets.length;
  return [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `${title}\n<@${plan.requester}> asked for ${what(plan)} on *${plural(n, 'Droplet')}* matching ${code(describeSelector(plan.selector))}\n${rules(plan, n)}` },
    },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `Why: ${escapeText(f.approval.why)}. The list was frozen when the plan was made: Droplets that join later are not added.` }] },
    ...listSections(plan.targets.map(targetLine)),
  ];
}

function threadContext(f: Asked): types.KnownBlock[] {
  const where = f.approval.message;
  if (!where || where.channel === f.plan.channel || !f.rootTs) return [];
  return [{ type: 'context', elements: [{ type: 'mrkdwn', text: `Requested in <#${f.plan.channel}> · <${threadLink(f.plan.channel, f.rootTs)}|open the fleet's thread>` }] }];
}

/** A confirmation dialog's text holds at most 300 characters. */
function confirmText(f: Asked): string {
  const why = f.plan.action === 'resize' ? 'a disk resize can never be reversed' : "it overwrites each Droplet's disk";
  return `${displayName(f.plan.action)} on ${plural(f.plan.targets.length, 'Droplet')} cannot be undone: ${why}.`.slice(0, 300);
}

/** The request: who asked, exactly what, every Droplet of the frozen list, and the two buttons. */
export function fleetApprovalRequestMessage(f: Asked, settings: Pick<ApprovalSettings, 'approvers'>): Message {
  const id = f.plan.id;
  const approve: types.Button = { type: 'button', action_id: FLEET_APPROVE, text: { type: 'plain_text', text: 'Approve' }, style: 'primary', value: id };
  if (needsConfirmation(f.plan.body)) {
    approve.confirm = {
      title: { type: 'plain_text', text: 'Approve this fleet?' },
      text: { type: 'plain_text', text: confirmText(f) },
      confirm: { type: 'plain_text', text: 'Approve' },
      deny: { type: 'plain_text', text: 'Cancel' },
      style: 'danger',
    };
  }
  const deny: types.Button = { type: 'button', action_id: FLEET_DENY, text: { type: 'plain_text', text: 'Deny' }, style: 'danger', value: id };
  const who = settings.approvers.map((r) => `\`${escapeText(r)}\``).join(' or ');
  return {
    text: `Approval needed: ${displayName(f.plan.action)} on ${plural(f.plan.targets.length, 'Droplet')}`,
    blocks: [
      ...header(f, ':raised_hand: *Approval needed* for a fleet'),
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `Someone with the ${who} role, other than the requester, whose roles cover every Droplet listed, may approve. Expires ${slackDate(f.approval.expiresAt)} if nobody decides.` }],
      },
      ...threadContext(f),
      { type: 'actions', block_id: 'fleet_approval', elements: [approve, deny] },
    ],
  };
}

function outcomeLine(f: Asked): string {
  const by = f.approval.decidedBy ?? '';
  if (f.status === 'denied') return by === f.plan.requester ? `:no_entry_sign: *Withdrawn* by <@${by}>` : `:no_entry: *Denied* by <@${by}>`;
  if (f.status === 'expired') return `:hourglass: *Expired*: nobody decided within ${describeWindow(f.approval.expiresAt - f.approval.requestedAt)}`;
  return `:white_check_mark: *Approved* by <@${by}>`;
}

/** The request once decided: the buttons are gone and the message names who decided. */
export function fleetApprovalDecidedMessage(f: Asked): Message {
  const outcome = f.status === 'denied' || f.status === 'expired' ? f.status : 'approved';
  return {
    text: `${displayName(f.plan.action)} on ${plural(f.plan.targets.length, 'Droplet')}: ${outcome}`,
    blocks: [...header(f, `*Fleet approval request* · ${outcome}`), { type: 'context', elements: [{ type: 'mrkdwn', text: outcomeLine(f) }] }, ...threadContext(f)],
  };
}

/** One line in the fleet's thread for each step of the approval. */
export function fleetApprovalLine(f: Asked, event: 'waiting' | 'accepted' | 'denied' | 'expired'): string {
  const window = describeWindow(f.approval.expiresAt - f.approval.requestedAt);
  const by = f.approval.decidedBy ?? '';
  switch (event) {
    case 'waiting': {
      const where = f.approval.message && f.approval.message.channel !== f.plan.channel ? ` in <#${f.approval.message.channel}>` : '';
      return `:raised_hand: *awaiting approval*${where} · ${escapeText(f.approval.why)}; nothing runs until someone approves, within ${window}`;
    }
    case 'accepted':
      return `:white_check_mark: *approved* by <@${by}>`;
    case 'denied':
      return by === f.plan.requester ? `:no_entry_sign: *withdrawn* by <@${by}> · nothing was done` : `:no_entry: *denied* by <@${by}> · nothing was done · <@${f.plan.requester}>`;
    case 'expired':
      return `:hourglass: *expired* · nobody decided within ${window}; nothing was done · <@${f.plan.requester}>`;
  }
}
