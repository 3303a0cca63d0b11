// Who may do what, where, and why: the one decision every check makes (a request, a fleet's plan,
// an approval, the worker before its POST, `/droplet can`, help and the modal), with the rules
// that decided it. A request may do what the asker's roles grant on that Droplet from that
// channel, intersected with the channel's guardrail. Nothing is allowed by default. Pure.
import { ACTION_TYPES, displayName, requiredScopes, type ActionType, type Scope } from './catalogue/index.js';
import { code, escapeText } from './chat-text.js';
import type { Selectable } from './fleet/selector.js';
import { appliesIn, covers, describeGrantDroplets, type Grant, type RoleMap } from './policy.js';

/** The only actions a channel allows, whoever asks. */
export interface Guardrail {
  channel: string;
  actions: readonly ActionType[];
}

export interface ScopeCheck {
  scope: Scope;
  /** A grant that gives this scope on this Droplet from this channel, when one does. */
  by?: Grant;
  /** Roles that have the scope, but not here: on other Droplets, or from other channels. */
  elsewhere: Array<{ grant: Grant; why: 'droplet' | 'channel' }>;
}

export interface RightsDecision {
  allowed: boolean;
  action: ActionType;
  droplet?: Selectable;
  channel?: string;
  scopes: ScopeCheck[];
  guardrail?: Guardrail & { allows: boolean };
  /** Why not, in one line of mrkdwn; absent when allowed. */
  reason?: string;
}

export function guardrailOf(map: Pick<RoleMap, 'channels'>, channel?: string): Guardrail | undefined {
  const rail = channel === undefined ? undefined : map.channels?.[channel];
  return rail && channel ? { channel, actions: rail.actions } : undefined;
}

/**
 * May these grants run `action` on `droplet` (any Droplet when absent) from `channel`? Each
 * scope the action needs must come from a role that covers the Droplet and applies in the channel,
 * and the channel's guardrail, if it has one, must list the action.
 */
export function decide(map: Pick<RoleMap, 'channels'>, grants: readonly Grant[], action: ActionType, where: { droplet?: Selectable; channel?: string } = {}): RightsDecision {
  const { droplet, channel } = where;
  const scopes: ScopeCheck[] = requiredScopes(action).map((scope) => {
    const having = grants.filter((g) => g.scopes.has(scope));
    const by = having.find((g) => appliesIn(g, channel) && covers(g, droplet));
    const elsewhere = by ? [] : having.map((grant) => ({ grant, why: appliesIn(grant, channel) ? ('droplet' as const) : ('channel' as const) }));
    return { scope, ...(by ? { by } : {}), elsewhere };
  });
  const rail = guardrailOf(map, channel);
  const guardrail = rail ? { ...rail, allows: rail.actions.includes(action) } : undefined;
  const allowed = scopes.every((s) => s.by) && (guardrail?.allows ?? true);
  const decision: RightsDecision = { allowed, action, scopes, ...(droplet ? { droplet } : {}), ...(channel ? { channel } : {}), ...(guardrail ? { guardrail } : {}) };
  return allowed ? decision : { ...decision, reason: reasonLine(decision) };
}

/**
 * The decision for a request that may send several actions (a procedure, its fallback and
 * recovery included): every one must be allowed. Answers the first refusal, else the first decision.
 */
export function decideAll(map: Pick<RoleMap, 'channels'>, grants: readonly Grant[], actions: readonly ActionType[], where: { droplet?: Selectable; channel?: string } = {}): RightsDecision {
  const decisions = actions.map((a) => decide(map, grants, a, where));
  return decisions.find((d) => !d.allowed) ?? decisions[0]!;
}

/**
 * May these grants read about this Droplet (any Droplet when absent) from this channel: its
 * history, or someone's rights on it? That takes `droplet:update` on it, from here. Guardrails
 * limit actions, not reading.
 */
export function mayRead(grants: readonly Grant[], where: { droplet?: Selectable; channel?: string }): boolean {
  return grants.some((g) => g.scopes.has('droplet:update') && covers(g, where.droplet) && appliesIn(g, where.channel));
}

/** Every action these grants may run on some Droplet from this channel: what help and the modal offer. */
export function allowedHere(map: Pick<RoleMap, 'channels'>, grants: readonly Grant[], channel?: string): ActionType[] {
  return ACTION_TYPES.filter((a) => decide(map, grants, a, channel === undefined ? {} : { channel }).allowed);
}

const list = (items: readonly string[]) => (items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);
const scopeList = (scopes: readonly Scope[]) => `${list(scopes.map((s) => code(s)))} scope${scopes.length > 1 ? 's' : ''}`;

function dropletLabel(d: Selectable): string {
  return `*${escapeText(d.name)}* (${d.id})`;
}

/** The refusal, in one line: the guardrail first (it binds whoever asks), then the missing scopes. */
function reasonLine(d: RightsDecision): string {
  const name = code(displayName(d.action));
  if (d.guardrail && !d.guardrail.allows) {
    const allows = d.guardrail.actions.length ? `allows only ${list(d.guardrail.actions.map((a) => code(displayName(a))))}` : 'allows no Droplet actions';
    return `You may not run ${name} here: <#${d.guardrail.channel}> ${allows}, whoever asks.`;
  }
  const missing = d.scopes.filter((s) => !s.by);
  const on = d.droplet ? ` on ${dropletLabel(d.droplet)}` : '';
  const scopes = missing.map((s) => s.scope);
  const elsewhere = missing.flatMap((s) => s.elsewhere);
  if (elsewhere.length === 0) return `You may not run ${name}${on}: it needs the ${scopeList(scopes)}, which none of your roles grant.`;
  const byChannel = elsewhere.filter((e) => e.why === 'channel');
  const byDroplet = elsewhere.filter((e) => e.why === 'droplet');
  const where: string[] = [];
  if (byDroplet.length) where.push(`only on ${list([...new Set(byDroplet.map((e) => `${escapeText(describeGrantDroplets(e.grant))} (role ${code(e.grant.role)})`))])}`);
  if (byChannel.length) where.push(`only in ${list([...new Set(byChannel.map((e) => `${(e.grant.channels ?? []).map((c) => `<#${c}>`).join(', ')} (role ${code(e.grant.role)})`))])}`);
  const here = d.droplet ? ' on this Droplet' : '';
  const them = scopes.length > 1 ? 'them' : 'it';
  return `You may not run ${name}${on}: it needs the ${scopeList(scopes)}${here}${d.channel && byChannel.length ? ' from this channel' : ''}, and your roles grant ${them} ${where.join(', and ')}.`;
}

/** How a grant is held, for an explanation: directly, or through which user groups. */
function viaText(g: Grant): string {
  const via = g.via ?? [];
  if (via.length === 0 || via.every((v) => v === 'direct')) return 'held directly';
  return `through ${list(via.map((v) => (v === 'direct' ? 'a direct listing' : `<!subteam^${v}>`)))}`;
}

/**
 * `/droplet can`: the answer, the rules that decided it, any channel guardrail, whether approval
 * would be needed, and what would change the answer. Lines of mrkdwn.
 */
export function explain(d: RightsDecision, who: string, extra: { approval?: string; map: Pick<RoleMap, 'roles'> }): string[] {
  const on = d.droplet ? ` on ${dropletLabel(d.droplet)}` : '';
  const here = d.channel ? ` in <#${d.channel}>` : '';
  const lines = [`${d.allowed ? ':white_check_mark: *Yes*' : ':no_entry: *No*'}: <@${who}> ${d.allowed ? 'may' : 'may not'} run ${code(displayName(d.action))}${on}${here}.`];
  for (const s of d.scopes) {
    if (s.by) {
      lines.push(`• ${code(s.scope)}: granted by role ${code(s.by.role)} (${viaText(s.by)}) on ${escapeText(describeGrantDroplets(s.by))}${s.by.channels ? `, from ${s.by.channels.map((c) => `<#${c}>`).join(', ')}` : ''}`);
    } else if (s.elsewhere.length === 0) {
      lines.push(`• ${code(s.scope)}: missing; no role of theirs grants it`);
    } else {
      const why = s.elsewhere.map((e) => (e.why === 'droplet' ? `role ${code(e.grant.role)} grants it only on ${escapeText(describeGrantDroplets(e.grant))}` : `role ${code(e.grant.role)} grants it only from ${(e.grant.channels ?? []).map((c) => `<#${c}>`).join(', ')}`));
      lines.push(`• ${code(s.scope)}: missing here; ${why.join('; ')}`);
    }
  }
  if (d.guardrail) {
    const allows = d.guardrail.actions.length ? `allows only ${list(d.guardrail.actions.map((a) => code(displayName(a))))}` : 'allows no Droplet actions';
    lines.push(`• Channel guardrail: <#${d.guardrail.channel}> ${allows}; ${code(displayName(d.action))} ${d.guardrail.allows ? 'is' : 'is not'} among them`);
  } else if (d.channel) {
    lines.push(`• No channel guardrail in <#${d.channel}>`);
  }
  if (extra.approval) lines.push(`• Approval: needed, ${escapeText(extra.approval)}`);
  else if (d.allowed) lines.push('• Approval: not needed');
  const change = whatWouldChange(d, extra.map);
  if (change) lines.push(`• ${change}`);
  return lines;
}

function whatWouldChange(d: RightsDecision, map: Pick<RoleMap, 'roles'>): string | undefined {
  if (d.allowed) return undefined;
  if (d.guardrail && !d.guardrail.allows) return `To change it: ask in a channel whose guardrail allows ${code(displayName(d.action))}, or add it to \`channels.${d.guardrail.channel}.actions\` in the role map`;
  const missing = d.scopes.filter((s) => !s.by).map((s) => s.scope);
  // Roles of the map that would grant every missing scope on this Droplet from this channel.
  const would = Object.entries(map.roles)
    .filter(([, r]) => missing.every((s) => r.scopes.includes(s)))
    .filter(([role, r]) => {
      const g: Grant = { role, scopes: new Set(r.scopes), ...(r.droplets ? { droplets: r.droplets } : {}), ...(r.channels ? { channels: r.channels } : {}) };
      return covers(g, d.droplet) && appliesIn(g, d.channel);
    })
    .map(([role]) => code(role));
  return would.length
    ? `To change it: a role that grants ${list(missing.map((s) => code(s)))} here, such as ${list(would.slice(0, 5))}`
    : `To change it: a role in the role map that grants ${list(missing.map((s) => code(s)))} on this Droplet from this channel (none does today)`;
}

/**
 * The refusal a requester sees: the one-line reason, a note when Slack could not say who is in a
 * user group just now (rights from it could not be counted), and what to do instead.
 */
export function refusalText(reason: string | undefined, unchecked: readonly string[] = []): string {
  const unread = unchecked.length
    ? ` (Slack did not tell me just now who is in ${unchecked.map((g) => `<!subteam^${g}>`).join(', ')}; if your rights come from a user group, try again in a minute.)`
    : '';
  return `${reason ?? 'You may not do that.'}${unread} Nothing was done. \`/droplet help\` lists what you may run here, and \`/droplet can <action> <droplet>\` says why.`;
}
