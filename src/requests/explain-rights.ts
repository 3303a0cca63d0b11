// `/droplet can`: whether someone may run an action on a Droplet from this channel, and the rules
// that decided it. It reads the Droplet (for its tags) through the same rate budget as
// everything else, and changes nothing.
import type { AccessResolver } from '../domain/access.js';
import { needsApproval } from '../domain/approval-rules.js';
import { displayName, type ActionType } from '../domain/catalogue/index.js';
import type { DropletRef } from '../domain/command.js';
import { explain, mayRead } from '../domain/rights.js';
import { resolveDroplet } from '../digitalocean/resolve-droplet.js';
import type { DigitalOceanClient } from '../digitalocean/client.js';
import type { Renderer } from './ports.js';

export interface ExplainDeps {
  access: Pick<AccessResolver, 'of' | 'decide' | 'roleMap'>;
  digitalocean: Pick<DigitalOceanClient, 'getDroplet' | 'findDropletsByName'>;
  render: Pick<Renderer, 'unresolved'>;
}

export interface RightsQuestion {
  asker: string;
  /** Whom the question is about; the asker when absent. */
  user?: string;
  action: ActionType;
  target: DropletRef;
  channel: string;
}

/** The answer, as lines of mrkdwn for the asker alone. */
export async function explainRights(deps: ExplainDeps, q: RightsQuestion): Promise<string> {
  const who = q.user ?? q.asker;
  const about = "Asking about someone else's rights on a Droplet needs the `droplet:update` scope on it, from this channel";
  const asker = who === q.asker ? undefined : await deps.access.of(q.asker);
  if (asker && !mayRead(asker.grants, { channel: q.channel })) return `${about}, and none of your roles grant it here. \`/droplet can <action> <droplet>\` answers for yourself.`;
  const map = deps.access.roleMap;
  const approval = needsApproval(map.approvals, q.action) ? `\`${displayName(q.action)}\` is listed under approvals.actions` : undefined;
  // Someone no role grants anything needs no Droplet lookup to be told so.
  const anywhere = await deps.access.decide(who, q.action, { channel: q.channel });
  const lines = (d: typeof anywhere) => [...explain(d, who, { map, ...(approval ? { approval } : {}) }), ...unread(d.access.unchecked)];
  if (anywhere.scopes.every((s) => !s.by && s.elsewhere.length === 0)) return lines(anywhere).join('\n');
  const resolved = await resolveDroplet(deps.digitalocean, q.target);
  if (resolved.kind !== 'found') return deps.render.unresolved(resolved, `can ${displayName(q.action)}`);
  if (asker && !mayRead(asker.grants, { channel: q.channel, droplet: resolved.droplet })) return `${about}, and your roles do not grant it on that Droplet. \`/droplet can <action> <droplet>\` answers for yourself.`;
  return lines(await deps.access.decide(who, q.action, { droplet: resolved.droplet, channel: q.channel })).join('\n');
}

function unread(groups: readonly string[]): string[] {
  return groups.length ? [`• Slack did not say just now who is in ${groups.map((g) => `<!subteam^${g}>`).join(', ')}; roles from those groups are not counted in this answer.`] : [];
}
