// Four-eyes rules, pure: which actions wait for a second person, who may decide, and what about
// a Droplet changed while the request waited.
import { z } from 'zod';
import { displayName, isDestructive, type ActionBody, type ActionType } from './catalogue/index.js';
import { authorize, type RoleMap } from './policy.js';
import type { Access } from './access.js';
import type { RightsDecision } from './rights.js';
import { code } from './chat-text.js';

export type ApprovalSettings = NonNullable<RoleMap['approvals']>;

/** True when the role map has an approvals section that lists this action. */
export function needsApproval(settings: ApprovalSettings | undefined, action: ActionType): settings is ApprovalSettings {
  return settings !== undefined && settings.actions.includes(action);
}

export type Verdict = { ok: true } | { ok: false; reason: string };

/**
 * May `user` approve (or deny) a request by `requester` for `action`? Approving needs an approver
 * role and every scope the action needs, and never one's own request. Denying needs the same
 * rights, except that the requester may always withdraw their own request.
 */
export function mayDecide(
  settings: ApprovalSettings,
  access: Pick<Access, 'roles' | 'scopes'>,
  input: {
    user: string;
    requester: string;
    action: ActionType;
    decision: 'approve' | 'deny';
    /** The decider's own rights for this action on this Droplet from the channel they click in. */
    rights?: Pick<RightsDecision, 'allowed' | 'reason'>;
  },
): Verdict {
  const { user, requester, action, decision } = input;
  if (user === requester) {
    return decision === 'deny'
      ? { ok: true }
      : { ok: false, reason: 'You asked for this action, so you cannot approve it yourself: someone else with an approver role has to. Nothing was done.' };
  }
  const roles = settings.approvers.map((r) => `\`${r}\``).join(' or ');
  if (!settings.approvers.some((r) => access.roles.has(r))) {
    return { ok: false, reason: `Only people with the ${roles} role may ${decision} requests, and you have none of these roles. Nothing was done.` };
  }
  if (input.rights && !input.rights.allowed) {
    return { ok: false, reason: `${input.rights.reason ?? 'You may not run this action.'} So you may not ${decision} it either. Nothing was done.` };
  }
  const decisionOk = authorize(access.scopes, action);
  if (!decisionOk.allowed) {
    const missing = decisionOk.missing.map((s) => `\`${s}\``).join(' and ');
    return { ok: false, reason: `To ${decision} a \`${action.replace(/_/g, '-')}\` you need the ${missing} scope, which none of your roles grant. Nothing was done.` };
  }
  return { ok: true };
}

/** Actions that destroy data or cannot be undone: Approve asks for confirmation first. */
export function needsConfirmation(body: ActionBody): boolean {
  return isDestructive(body);
}

/** The parts of a Droplet an approver judges a request by. */
export const dropletStateSchema = z.object({
  status: z.string(),
  size: z.string(),
  imageId: z.number().nullable(),
  image: z.string(),
  /** Sorted; absent in requests stored before tags were part of what an approver sees. */
  tags: z.array(z.string()).optional(),
});
export type DropletState = z.output<typeof dropletStateSchema>;

/** The fields of a Droplet (as DigitalOcean describes it) that the comparison reads. */
export interface DropletFacts {
  status: string;
  size_slug: string;
  image?: { id: number; name?: string; slug?: string | null; distribution?: string } | null;
  tags?: readonly string[];
}

export function dropletState(d: DropletFacts): DropletState {
  const img = d.image ?? { id: 0 };
  const label = img.slug || [img.distribution, img.name].filter(Boolean).join(' ') || (img.id ? `image ${img.id}` : 'unknown image');
  return { status: d.status, size: d.size_slug, imageId: img.id ?? null, image: label, tags: [...(d.tags ?? [])].sort() };
}

export interface Change {
  field: 'status' | 'size' | 'image' | 'tags';
  before: string;
  after: string;
}

/** What differs between the state at request time and now; empty when nothing changed. */
export function dropletChanges(before: DropletState, after: DropletState): Change[] {
  const changes: Change[] = [];
  if (before.status !== after.status) changes.push({ field: 'status', before: before.status, after: after.status });
  if (before.size !== after.size) changes.push({ field: 'size', before: before.size, after: after.size });
  if (before.imageId !== after.imageId || before.image !== after.image) changes.push({ field: 'image', before: before.image, after: after.image });
  if (before.tags && after.tags && before.tags.join(',') !== after.tags.join(',')) changes.push({ field: 'tags', before: before.tags.join(', ') || 'none', after: after.tags.join(', ') || 'none' });
  return changes;
}

/** `size \`s-1\` → \`s-2\`, tags \`a\` → \`b\``: what changed, as mrkdwn. */
export function describeChanges(changes: readonly Change[]): string {
  return changes.map((c) => `${c.field} ${code(c.before)} → ${code(c.after)}`).join(', ');
}

/** 30 min, 2 h, 45 s: how expires_after reads in a message. */
export function describeWindow(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s % 3600 === 0) return `${s / 3600} h`;
  if (s % 60 === 0) return `${s / 60} min`;
  return `${s} s`;
}

/**
 * Why a fleet waits for a second person, or undefined: its action is listed under
 * `approvals.actions`, or it holds `approvals.fleet_min` Droplets or more, whatever the action.
 */
export function fleetApprovalReason(settings: ApprovalSettings | undefined, action: ActionType, size: number): string | undefined {
  if (!settings) return undefined;
  if (settings.actions.includes(action)) return `\`${displayName(action)}\` needs a second person's approval`;
  if (settings.fleet_min !== undefined && size >= settings.fleet_min) return `a fleet of ${size} Droplets needs a second person's approval (the role map's fleet_min is ${settings.fleet_min})`;
  return undefined;
}
