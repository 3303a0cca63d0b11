// The requester's rights, checked again just before a POST: on the Droplet as DigitalOcean has it
// now (when that can matter) and from the request's channel, and, for an approved request, on the
// Droplet the approver saw. Returns why it may not run, or undefined.
import type { AccessResolver } from '../domain/access.js';
import { describeChanges, dropletChanges, dropletState } from '../domain/approval-rules.js';
import type { ActionType } from '../domain/catalogue/index.js';
import { escapeText } from '../domain/chat-text.js';
import type { Selectable } from '../domain/fleet/selector.js';
import { jobActions, type ActionJob } from '../domain/job.js';
import type { RoleMap } from '../domain/policy.js';
import { decide, type RightsDecision } from '../domain/rights.js';
import type { DigitalOceanClient } from '../digitalocean/client.js';
import { DigitalOceanError } from '../digitalocean/errors.js';

export interface RecheckDeps {
  access: Pick<AccessResolver, 'decide' | 'of'>;
  /** The role map as it is now. */
  roles: () => RoleMap;
  digitalocean: Pick<DigitalOceanClient, 'getDroplet'>;
}

/** For the action worker: one job, just before its POST. */
export function recheckRights(deps: RecheckDeps): (job: ActionJob) => Promise<string | undefined> {
  return async (job) => {
    // A job that should have been a snapshot-first procedure but arrives without it (a receiver of
    // an older release re-read it and dropped what it did not know) is not sent: the disk would go
    // without the snapshot the role map asks for.
    if (!job.procedure && deps.roles().safety?.snapshot_before.includes(job.action) && job.options?.snapshotFirst !== false) {
      return job.fleet
        ? `the role map's safety section now asks for a snapshot before every \`${job.action}\`, which a fleet does not take, so it was not sent. Run it on one Droplet at a time.`
        : `this \`${job.action}\` reached the worker without the snapshot the role map's safety section asks for first (a receiver of an older release handled it), so it was not sent. Ask again.`;
    }
    let droplet: Selectable = job.droplet;
    // The Droplet is read again only when it matters: a role limited to some Droplets (its name or
    // tags may have changed), or an approval bound to what it showed. Otherwise no call is spent.
    const scoped = Object.values(deps.roles().roles).some((r) => r.droplets);
    if (scoped || job.shown) {
      try {
        const now = await deps.digitalocean.getDroplet(job.droplet.id);
        droplet = now;
        // Size, image and tags; not status, which the Droplet's own earlier requests change as it waits its turn.
        const changes = job.shown ? dropletChanges(job.shown, dropletState(now)).filter((c) => c.field !== 'status') : [];
        if (changes.length) return `*${escapeText(now.name)}* changed since the request was approved (${describeChanges(changes)}), so the approval no longer covers it. Ask again if it is still wanted.`;
      } catch (err) {
        // A Droplet that is gone gets DigitalOcean's own 404 from the POST.
        if (!(err instanceof DigitalOceanError && err.isNotFound)) throw err;
      }
    }
    return refusalOf(await deps.access.decide(job.requester, jobActions(job), { droplet, channel: job.channel }));
  };
}

/** For a fleet's coordinator: the Droplets it has just listed, with the requester's rights read once. */
export function refusalsOn(deps: Pick<RecheckDeps, 'roles'> & { access: Pick<AccessResolver, 'of'> }) {
  return async (requester: string, action: ActionType, droplets: readonly Selectable[], channel: string): Promise<Map<number, string>> => {
    const access = await deps.access.of(requester);
    const map = deps.roles();
    const refused = new Map<number, string>();
    for (const d of droplets) {
      const reason = refusalOf({ ...decide(map, access.grants, action, { droplet: d, channel }), access });
      if (reason) refused.set(d.id, reason);
    }
    return refused;
  };
}

/**
 * Why a decision refuses, or undefined. A "no" while Slack could not say who is in some user
 * group is not final (those groups' roles were not counted): it throws, and the job tries again.
 */
function refusalOf(decision: RightsDecision & { access: { unchecked: string[] } }): string | undefined {
  if (decision.allowed) return undefined;
  if (decision.access.unchecked.length) throw new Error(`could not read the members of user group(s) ${decision.access.unchecked.join(', ')} from Slack; rights are checked again shortly`);
  return decision.reason;
}
