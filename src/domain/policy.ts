// Who may do what: the role map's shape, and the decision for one user and one action.
import { z } from 'zod';
import { ACTION_TYPES, SCOPES, requiredScopes, type ActionType, type Scope } from './catalogue/index.js';
import { DROPLET_NAME, describeSelector, parseSelector, selects, type FleetSelector, type Selectable } from './fleet/selector.js';

const channelId = z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'must be a Slack channel ID (C…, G… or D…)');

/** An action as the role map names it: `power_on` or `power-on`. */
const actionName = z.preprocess((v) => (typeof v === 'string' ? v.trim().replace(/-/g, '_') : v), z.enum(ACTION_TYPES));

const memberId = z
  .string()
  .regex(/^[UWS][A-Z0-9]{2,}$/, 'must be a Slack user ID (U… or W…) or user-group ID (S…)');

const duration = z
  .string()
  .regex(/^\d+[smh]$/, 'must be a number followed by s, m or h, e.g. 30m')
  .transform((text) => Number(text.slice(0, -1)) * { s: 1, m: 60, h: 3600 }[text.slice(-1) as 's' | 'm' | 'h'] * 1000);

/** One entry of a role's `droplets:` list: a name, a name pattern, `tag:<tag>`, or an ID. */
const dropletMatcher = z.union([z.number().int().positive(), z.string().min(1)]).transform((entry, ctx): FleetSelector => {
  if (typeof entry === 'number' || /^\d+$/.test(entry)) return { kind: 'list', items: [{ kind: 'id', id: Number(entry) }] };
  if (entry.includes(',')) {
    ctx.addIssue({ code: 'custom', message: `write one Droplet per entry, not a comma list ("${entry}")` });
    return z.NEVER;
  }
  const parsed = parseSelector(entry);
  if (parsed.ok) return parsed.selector;
  if (DROPLET_NAME.test(entry)) return { kind: 'list', items: [{ kind: 'name', name: entry }] };
  ctx.addIssue({ code: 'custom', message: parsed.message.replace(/`/g, '"') });
  return z.NEVER;
});

/**
 * A role: a list of scopes (on every Droplet, from every channel), or the long form with
 * `scopes:`, `droplets:` (only the Droplets it names: names, patterns, tags, IDs) and `channels:`
 * (only for requests from those channels).
 */
const roleSchema = z.preprocess(
  (value) => (Array.isArray(value) ? { scopes: value } : value),
  z
    .object({
      scopes: z.array(z.enum(SCOPES)),
      droplets: z.array(dropletMatcher).min(1, 'list at least one Droplet, or leave droplets out for every Droplet').optional(),
      channels: z.array(channelId).min(1, 'list at least one channel, or leave channels out for every channel').optional(),
    })
    .strict(),
);

export type Role = z.output<typeof roleSchema>;

export const roleMapSchema = z
  .object({
    roles: z.record(z.string().min(1), roleSchema),
    members: z.record(memberId, z.array(z.string().min(1))).default({}),
    /** Channel guardrails: the only actions allowed in a channel, whoever asks. An empty list allows none. */
    channels: z.record(channelId, z.object({ actions: z.array(actionName) }).strict()).default({}),
    approvals: z
      .object({
        actions: z.array(z.enum(ACTION_TYPES)).default([]),
        approvers: z.array(z.string().min(1)).min(1),
        expires_after: duration.default(30 * 60 * 1000),
        channel: z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'must be a Slack channel ID (C… or G…)').optional(),
        /** Fleets of this many Droplets or more need approval, whatever the action. */
        fleet_min: z.number().int().min(2, 'must be 2 or more: a fleet of one is a single request').optional(),
      })
      .strict()
      .optional(),
    /** Safety defaults: `snapshot_before` lists actions that take a snapshot first unless asked not to. */
    safety: z
      .object({
        snapshot_before: z
          .array(actionName)
          .default([])
          .refine((list) => list.every((a) => a === 'rebuild' || a === 'restore'), 'only rebuild and restore can take a snapshot first'),
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

/** Every scope the roles grant on some Droplet. */
export function scopesOf(map: RoleMap, roles: Iterable<string>): Set<Scope> {
  const scopes = new Set<Scope>();
  for (const role of roles) for (const scope of map.roles[role]?.scopes ?? []) scopes.add(scope);
  return scopes;
}

/** Where a user's roles come from: `direct` (listed under members) or the user groups that give them. */
export function roleSources(map: RoleMap, userId: string, groupIds: readonly string[]): Map<string, string[]> {
  const sources = new Map<string, string[]>();
  for (const id of [userId, ...groupIds]) {
    for (const role of map.members[id] ?? []) sources.set(role, [...(sources.get(role) ?? []), id === userId ? 'direct' : id]);
  }
  return sources;
}

/**
 * What one role grants: its scopes, on every Droplet or only on those its selectors name, from
 * every channel or only from those it lists; `via` says how the user holds it.
 */
export interface Grant {
  role: string;
  scopes: ReadonlySet<Scope>;
  droplets?: readonly FleetSelector[];
  channels?: readonly string[];
  via?: readonly string[];
}

export function grantsOf(map: RoleMap, roles: Iterable<string>, sources?: ReadonlyMap<string, readonly string[]>): Grant[] {
  const grants: Grant[] = [];
  for (const role of roles) {
    const r = map.roles[role];
    if (!r) continue;
    const via = sources?.get(role);
    grants.push({ role, scopes: new Set(r.scopes), ...(r.droplets ? { droplets: r.droplets } : {}), ...(r.channels ? { channels: r.channels } : {}), ...(via ? { via } : {}) });
  }
  return grants;
}

/** Whether the grant reaches this Droplet (any Droplet when none is named). */
export function covers(grant: Grant, droplet?: Selectable): boolean {
  return !droplet || !grant.droplets || grant.droplets.some((s) => selects(s, droplet));
}

/** Whether the grant applies to requests from this channel. */
export function appliesIn(grant: Grant, channel?: string): boolean {
  return !grant.channels || (channel !== undefined && grant.channels.includes(channel));
}

/** `web-*, tag:env:staging`: where a role's scopes apply. */
export function describeGrantDroplets(grant: Grant): string {
  return grant.droplets ? grant.droplets.map(describeSelector).join(', ') : 'every Droplet';
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
