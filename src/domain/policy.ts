// Who may do what: the role map's shape, and the decision for one user and one action.
import { z } from 'zod';
import { ACTION_TYPES, SCOPES, requiredScopes, type ActionType, type Scope } from './catalogue/index.js';

const memberId = z
  .string()
  .regex(/^[UWS][A-Z0-9]{2,}$/, 'must be a Slack user ID (U… or W…) or user-group ID (S…)');

const duration = z
  .string()
  .regex(/^\d+[smh]$/, 'must be a number followed by s, m or h, e.g. 30m')
  .transform((text) => Number(text.slice(0, -1)) * { s: 1, m: 60, h: 3600 }[text.slice(-1) as 's' | 'm' | 'h'] * 1000);

export const roleMapSchema = z
  .object({
    roles: z.record(z.string().min(1), z.array(z.enum(SCOPES))),
    members: z.record(memberId, z.array(z.string().min(1))).default({}),
    approvals: z
      .object({
        actions: z.array(z.enum(ACTION_TYPES)),
        approvers: z.array(z.string().min(1)).min(1),
        expires_after: duration.default(30 * 60 * 1000),
        channel: z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'must be a Slack channel ID (C… or G…)').optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((map, ctx) => {
    const known = new Set(Object.keys(map.roles));
    for (const [member, roles] of Object.entries(map.members)) {
      roles.forEach((role, i) => {
        if (!known.has(role)) ctx.addIssue({ code: 'custom', path: ['members', member, i], message: `role "${role}" is not defined under roles` });
      });
    }
    map.approvals?.approvers.forEach((role, i) => {
      if (!known.has(role)) ctx.addIssue({ code: 'custom', path: ['approvals', 'approvers', i], message: `role "${role}" is not defined under roles` });
    });
  });

export type RoleMap = z.output<typeof roleMapSchema>;

/** Role names a user holds, directly or through the user groups they belong to. */
export function rolesOf(map: RoleMap, userId: string, groupIds: readonly string[]): Set<string> {
  const roles = new Set<string>();
  for (const id of [userId, ...groupIds]) for (const role of map.members[id] ?? []) roles.add(role);
  return roles;
}

export function scopesOf(map: RoleMap, roles: Iterable<string>): Set<Scope> {
  const scopes = new Set<Scope>();
  for (const role of roles) for (const scope of map.roles[role] ?? []) scopes.add(scope);
  return scopes;
}

/** User-group IDs that appear in the role map: only these need a membership lookup. */
export function groupsInMap(map: RoleMap): string[] {
  return Object.keys(map.members).filter((id) => id.startsWith('S'));
}

export type Decision = { allowed: true } | { allowed: false; missing: Scope[] };

/** Default deny: every scope the action needs must be granted by some role the user holds. */
export function authorize(scopes: ReadonlySet<Scope>, action: ActionType): Decision {
  const missing = requiredScopes(action).filter((s) => !scopes.has(s));
  return missing.length ? { allowed: false, missing } : { allowed: true };
}

export function allowedActions(scopes: ReadonlySet<Scope>): ActionType[] {
  return ACTION_TYPES.filter((a) => authorize(scopes, a).allowed);
}
