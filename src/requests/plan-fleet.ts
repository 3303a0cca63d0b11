// A fleet command -> its plan: the Droplets the selector means right now, checked one by one
// against the asker's rights, frozen and saved for the Run button. Nothing runs here.
import { randomBytes } from 'node:crypto';
import type { ActionBody, ActionType } from '../domain/catalogue/index.js';
import { decide, refusalText } from '../domain/rights.js';
import type { AccessResolver } from '../domain/access.js';
import { describeSelector, selects, type FleetSelector } from '../domain/fleet/selector.js';
import type { Rollout } from '../domain/fleet/rollout.js';
import type { FleetPlan, FleetTarget } from '../domain/fleet/run.js';
import { code, escapeText } from '../domain/chat-text.js';
import type { DigitalOceanClient } from '../digitalocean/client.js';
import { DigitalOceanError } from '../digitalocean/errors.js';
import type { Droplet } from '../digitalocean/types.js';
import type { FleetStore } from '../store/fleets.js';
import { fleetApprovalReason, type ApprovalSettings } from '../domain/approval-rules.js';

/** The most Droplets one fleet may hold. */
export const MAX_FLEET = 1000;

export interface PlanFleetDeps {
  access: Pick<AccessResolver, 'decide' | 'roleMap'>;
  digitalocean: Pick<DigitalOceanClient, 'listDroplets' | 'getDroplet' | 'findDropletsByName'>;
  fleets: Pick<FleetStore, 'create'>;
  /** The role map's approvals section: a fleet it covers asks for approval at Run. */
  approvals?: ApprovalSettings;
  maxTargets?: number;
}

export interface FleetRequest {
  userId: string;
  channelId: string;
  action: ActionType;
  body: ActionBody;
  selector: FleetSelector;
  rollout: Rollout;
}

export type PlanResult =
  /** Refused, or nothing matched: nothing was saved and nothing runs. */
  | { kind: 'refused'; message: string }
  /**
   * The plan; with `denied`, it names the Droplets the asker may not touch and cannot run. With
   * `approval`, Run asks a second person first, for this reason.
   */
  | { kind: 'planned'; plan: FleetPlan; denied: FleetTarget[]; approval?: string };

export async function planFleet(deps: PlanFleetDeps, req: FleetRequest): Promise<PlanResult> {
  const first = await deps.access.decide(req.userId, req.action, { channel: req.channelId });
  if (!first.allowed) return { kind: 'refused', message: refusalText(first.reason, first.access.unchecked) };
  const map = deps.access.roleMap;
  // A fleet runs single actions; the snapshot the safety section asks for is taken one Droplet at a time.
  if (map.safety?.snapshot_before.includes(req.action)) {
    return {
      kind: 'refused',
      message: `The role map's safety section asks for a snapshot before every \`${req.action}\`, which a fleet does not take: run it on one Droplet at a time, e.g. \`/droplet ${req.action} <droplet> …\`. Nothing was done.`,
    };
  }

  const found = await findDroplets(deps, req.selector);
  if ('message' in found) return { kind: 'refused', message: found.message };
  const droplets = found.droplets;
  const shown = code(describeSelector(req.selector));
  if (droplets.length === 0) {
    const hint = req.selector.kind === 'tag' ? 'Check the tag in the DigitalOcean control panel; tags are case-sensitive.' : 'Patterns match whole names, case-sensitively: `web-*` matches web-1 but not my-web-1.';
    return { kind: 'refused', message: `No Droplet matches ${shown}. ${hint} Nothing was done.` };
  }
  const max = deps.maxTargets ?? MAX_FLEET;
  if (droplets.length > max) {
    return { kind: 'refused', message: `${shown} matches ${droplets.length} Droplets, more than the ${max} one fleet may hold. Narrow it (a more specific tag or pattern). Nothing was done.` };
  }
  const targets: FleetTarget[] = droplets.map((d) => ({ id: d.id, name: d.name, region: d.region.slug, status: d.status, tags: d.tags ?? [] }));
  // Each Droplet as DigitalOcean has it now (name and tags), from the channel the command came from.
  const denied = targets.filter((t, i) => !decide(map, first.access.grants, req.action, { droplet: droplets[i]!, channel: req.channelId }).allowed);
  const plan: FleetPlan = {
    id: `fl${randomBytes(6).toString('hex')}`,
    action: req.action,
    body: req.body,
    selector: req.selector,
    rollout: req.rollout,
    requester: req.userId,
    channel: req.channelId,
    createdAt: Date.now(),
    targets,
  };
  // A plan with a Droplet the asker may not touch is shown, never saved: it cannot run.
  if (denied.length === 0) await deps.fleets.create(plan);
  const approval = fleetApprovalReason(deps.approvals, plan.action, targets.length);
  return { kind: 'planned', plan, denied, ...(approval ? { approval } : {}) };
}

async function findDroplets(deps: PlanFleetDeps, selector: FleetSelector): Promise<{ droplets: Droplet[] } | { message: string }> {
  if (selector.kind === 'tag') return { droplets: await deps.digitalocean.listDroplets({ tag: selector.tag }) };
  if (selector.kind === 'glob') return { droplets: (await deps.digitalocean.listDroplets()).filter((d) => selects(selector, d)) };
  const droplets: Droplet[] = [];
  const missing: string[] = [];
  const ambiguous: string[] = [];
  for (const item of selector.items) {
    if (item.kind === 'id') {
      try {
        droplets.push(await deps.digitalocean.getDroplet(item.id));
      } catch (err) {
        if (err instanceof DigitalOceanError && err.isNotFound) missing.push(String(item.id));
        else throw err;
      }
      continue;
    }
    const named = await deps.digitalocean.findDropletsByName(item.name);
    if (named.length === 0) missing.push(item.name);
    else if (named.length > 1) ambiguous.push(`${item.name} (${named.map((d) => d.id).join(', ')})`);
    else droplets.push(named[0]!);
  }
  // A typo must not quietly shrink the fleet: the whole list is refused.
  if (missing.length) return { message: `No Droplet has the name or ID ${missing.map((m) => code(m)).join(', ')}. Fix the list and run the command again; nothing was done.` };
  if (ambiguous.length) return { message: `Several Droplets share the name ${ambiguous.map((a) => escapeText(a)).join('; ')}. Use their IDs in the list; nothing was done.` };
  const unique = new Map(droplets.map((d) => [d.id, d]));
  return { droplets: [...unique.values()] };
}

