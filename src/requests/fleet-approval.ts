// A fleet that needs a second person: Run asks for approval instead of running. The request shows
// the frozen list the requester saw. Approve, Deny and the deadline are one decision in the
// fleet's Redis record (on Redis's clock), so exactly one of them wins; Approve marks the fleet
// accepted in that same step, so a worker's sweep starts it even if this process stops right
// after. Denied and expired fleets run nothing.
import { decide } from '../domain/rights.js';
import type { AccessResolver } from '../domain/access.js';
import { describeWindow, mayDecide, type ApprovalSettings } from '../domain/approval-rules.js';
import { fleetAuditEntry } from '../domain/fleet/audit.js';
import type { AuditEntry, AuditSink } from '../domain/audit.js';
import type { Logger } from '../log.js';
import type { FleetDecision, FleetStore, StoredFleet } from '../store/fleets.js';
import type { FleetView } from '../worker/run-fleet.js';
import { fleetLabel, targetNames, type FleetTarget } from '../domain/fleet/run.js';
import type { DigitalOceanClient } from '../digitalocean/client.js';
import type { Droplet } from '../digitalocean/types.js';
import { ExpiryTooEarly, NO_APPROVERS } from './approval-decisions.js';
import { notRunReason } from './not-run.js';

/** What the approval of a fleet says in chat, as an interface this use case owns. */
export interface FleetApprovalChat {
  /** Posts the fleet's root message in its channel; its ts. */
  announce(fleet: StoredFleet): Promise<string>;
  /** Posts the request with Approve / Deny, in the fleet's thread or the approvals channel. */
  approvalRequest(fleet: FleetView, settings: ApprovalSettings): Promise<{ channel: string; ts: string }>;
  /** The step's line in the fleet's thread, with the root message as it is now. */
  approvalLine(fleet: FleetView, event: 'waiting' | FleetDecision): Promise<void>;
  /** The request message once decided: no buttons, who decided. */
  approvalDecided(fleet: FleetView): Promise<void>;
}

export interface FleetApprovalDeps {
  /** The role map's approvals section as it is now. */
  settings: ApprovalSettings | undefined;
  fleets: Pick<FleetStore, 'read' | 'transition' | 'setRoot' | 'set' | 'decide' | 'time'>;
  access: Pick<AccessResolver, 'of' | 'roleMap'>;
  /** Reads the fleet's Droplets (their tags now) when someone decides. */
  digitalocean: Pick<DigitalOceanClient, 'listDroplets'>;
  chat: FleetApprovalChat;
  /** Closes the request when its deadline passes, whether or not anyone clicks. */
  expiry: { scheduleFleet(fleetId: string, delayMs: number, deadline: number): Promise<void> };
  coordinator: { start(fleetId: string): Promise<void> };
  audit: AuditSink;
  logger: Logger;
}

export type ApprovalResult = { kind: 'done'; message: string } | { kind: 'refused'; message: string };

/**
 * Run on a fleet that needs approval: planned -> awaiting (checked, once per click), then the
 * root message and the request with the frozen list. If the request cannot be posted, the fleet
 * is closed in the same atomic step as a decision before the requester hears it did not run.
 */
export async function askFleetApproval(deps: FleetApprovalDeps & { settings: ApprovalSettings }, fleet: StoredFleet, why: string, nonce: string): Promise<ApprovalResult> {
  const { settings } = deps;
  const id = fleet.plan.id;
  const now = await deps.fleets.time();
  // The deadline first: one for a request never opened does nothing; an open request without one would wait for ever.
  await deps.expiry.scheduleFleet(id, settings.expires_after, now + settings.expires_after);
  const moved = await deps.fleets.transition(id, ['planned'], 'awaiting', nonce, {
    approvalWhy: why,
    approvalRequestedAt: String(now),
    approvalExpiresAt: String(now + settings.expires_after),
  });
  if (moved === 'missing') return { kind: 'refused', message: 'This plan has lapsed (plans are kept for 15 minutes). Nothing was done; run the command again for a fresh plan.' };
  if (moved === 'refused') return { kind: 'refused', message: `This fleet is ${fleet.status === 'planned' ? 'no longer planned' : `already ${fleet.status}`}, so that button no longer applies. Nothing was done.` };
  let where: { channel: string; ts: string };
  try {
    let view = (await deps.fleets.read(id))!;
    if (!view.rootTs) {
      await deps.fleets.setRoot(id, await deps.chat.announce(view));
      view = (await deps.fleets.read(id))!;
    }
    where = await deps.chat.approvalRequest(view as FleetView, settings);
    await deps.fleets.set(id, { approvalMessage: JSON.stringify(where) });
    // A request in its own channel leaves a line in the fleet's thread saying where it is.
    if (where.channel !== fleet.plan.channel) await deps.chat.approvalLine((await deps.fleets.read(id)) as FleetView, 'waiting');
  } catch (err) {
    return closeUnposted(deps, fleet, err);
  }
  const asked = { plan: fleet.plan, rootTs: (await deps.fleets.read(id))?.rootTs ?? '' };
  for (const t of fleet.plan.targets) await deps.audit(fleetAuditEntry(asked, t, 1, 'requested', { message: `fleet, awaiting approval: ${why}` }));
  deps.logger.info({ fleetId: id, targets: fleet.plan.targets.length }, 'fleet approval requested');
  const roles = settings.approvers.map((r) => `\`${r}\``).join(' or ');
  const place = settings.channel ? ` in <#${settings.channel}>` : ' in the thread of the message the bot posted in this channel';
  return {
    kind: 'done',
    message: `Asked for approval of ${fleetLabel(fleet.plan)}${place}. Nothing runs until someone with the ${roles} role approves, within ${describeWindow(settings.expires_after)}.`,
  };
}

async function closeUnposted(deps: FleetApprovalDeps, fleet: StoredFleet, err: unknown): Promise<ApprovalResult> {
  const id = fleet.plan.id;
  deps.logger.error({ fleetId: id, err: (err as Error).message }, 'could not post the fleet approval request');
  let closed;
  try {
    closed = await deps.fleets.decide(id, 'expired', '', `unposted:${id}`);
  } catch {
    return { kind: 'refused', message: 'I could not post the approval request, nor withdraw it (the job store is unavailable). If it shows up with buttons, it can be approved until it expires; otherwise nothing runs.' };
  }
  // Someone decided while the rest was being posted: the buttons were there, and their decision stands.
  if (closed.kind === 'lost' && closed.status === 'denied') return { kind: 'refused', message: `<@${closed.by}> denied ${fleetLabel(fleet.plan)} already. Nothing was done.` };
  if (closed.kind === 'lost' && closed.status !== 'expired') return { kind: 'done', message: `Approved already: ${fleetLabel(fleet.plan)} runs. Its progress is in the fleet's message.` };
  const view = await deps.fleets.read(id);
  if (view?.rootTs) await deps.chat.approvalLine(view as FleetView, 'expired').catch(() => {});
  return { kind: 'refused', message: `The approval request could not be posted (${notRunReason(err)}). Nothing was done; try again, or check that the bot may post in the approvals channel.` };
}

export interface Decision {
  fleetId: string;
  user: string;
  /** Where the click came from: the decider's roles must apply there. */
  channel?: string;
  decision: 'approve' | 'deny';
  nonce: string;
}

/** Approve or Deny on a fleet's request: who clicked is checked against the role map as it is now. */
export async function decideFleetApproval(deps: FleetApprovalDeps, click: Decision): Promise<ApprovalResult> {
  const fleet = await deps.fleets.read(click.fleetId);
  if (!fleet) return { kind: 'refused', message: 'This fleet is no longer on record. Nothing was done; ask the requester to run the command again.' };
  if (fleet.status !== 'awaiting') {
    // A decision whose follow-up a crash cut short is finished here, by whoever clicks next.
    await closeOutIfNeeded(deps, fleet);
    return { kind: 'refused', message: alreadyDecided(fleet) };
  }
  // With the approvals section gone nobody can approve, but the requester may still withdraw.
  const withdrawing = click.user === fleet.plan.requester && click.decision === 'deny';
  if (!deps.settings && !withdrawing) return { kind: 'refused', message: 'Approvals are no longer set up in the role map, so nobody can approve this. Nothing was done; the requester can withdraw it with Deny.' };
  const settings = deps.settings ?? NO_APPROVERS;
  const access = await deps.access.of(click.user);
  // Roles first: someone who may not decide at all costs no DigitalOcean call.
  const verdict = mayDecide(settings, access, { user: click.user, requester: fleet.plan.requester, action: fleet.plan.action, decision: click.decision });
  if (!verdict.ok) return { kind: 'refused', message: verdict.reason };
  // The decider's rights on every Droplet of the frozen list (with its tags as they are now),
  // from the channel where they click.
  let fresh = new Map<number, Droplet>();
  try {
    // The requester withdrawing needs no rights on the Droplets, so nothing is read for them.
    const { selector } = fleet.plan;
    if (!withdrawing) fresh = new Map((await deps.digitalocean.listDroplets(selector.kind === 'tag' ? { tag: selector.tag } : {})).map((d) => [d.id, d]));
  } catch (err) {
    deps.logger.warn({ fleetId: fleet.plan.id, err: (err as Error).message }, 'could not read the fleet\'s Droplets to check the decider\'s rights');
    return { kind: 'refused', message: 'DigitalOcean could not be asked about these Droplets just now, so your rights on them cannot be checked. Nothing was done; try again in a minute.' };
  }
  const channel = click.channel ?? fleet.plan.channel;
  const now = (t: FleetTarget) => fresh.get(t.id) ?? t;
  const uncovered = fleet.plan.targets.filter((t) => !decide(deps.access.roleMap, access.grants, fleet.plan.action, { droplet: now(t), channel }).allowed);
  const first = uncovered[0] ? decide(deps.access.roleMap, access.grants, fleet.plan.action, { droplet: now(uncovered[0]), channel }) : undefined;
  if (click.user !== fleet.plan.requester && first) {
    return { kind: 'refused', message: `To ${click.decision} this fleet your roles must cover every Droplet in it from here; they do not cover ${targetNames(uncovered)} (${first.reason}) Nothing was done.` };
  }
  const result = await deps.fleets.decide(fleet.plan.id, click.decision === 'approve' ? 'accepted' : 'denied', click.user, click.nonce);
  if (result.kind === 'missing' || result.kind === 'early') return { kind: 'refused', message: 'This fleet is no longer on record. Nothing was done.' };
  const view = (await deps.fleets.read(fleet.plan.id)) as FleetView;
  await closeOutIfNeeded(deps, view);
  if (result.kind === 'lost') return { kind: 'refused', message: alreadyDecided(view) };
  if (result.status === 'expired') return { kind: 'refused', message: `This request expired before you clicked. Nothing was done; ask <@${fleet.plan.requester}> to run the command again if it is still needed.` };
  return { kind: 'done', message: result.status === 'accepted' ? `Approved: ${fleetLabel(fleet.plan)} runs now. Its progress is in the fleet's message.` : `Denied: ${fleetLabel(fleet.plan)} will not run.` };
}

/**
 * Run by the expiry job when the deadline passes. Expires the fleet if it still waits; either way
 * it finishes the follow-up of a decision that a crash cut short. Throws to be retried.
 */
export async function expireFleetApproval(deps: CloseOutDeps, fleetId: string): Promise<boolean> {
  // No look before the decision: a retried job must find its own win (same nonce) and finish it.
  const result = await deps.fleets.decide(fleetId, 'expired', '', `expire:${fleetId}`, { onlyWhenDue: true });
  if (result.kind === 'early') throw new ExpiryTooEarly(result.inMs);
  if (result.kind === 'missing') return false;
  const fleet = await deps.fleets.read(fleetId);
  if (fleet) await closeOutIfNeeded(deps, fleet);
  return result.kind === 'won';
}

type CloseOutDeps = Pick<FleetApprovalDeps, 'fleets' | 'chat' | 'coordinator' | 'audit' | 'logger'>;

/** The decision a fleet's record holds, once it has one: accepted (or anything after), denied or expired. */
function decisionOf(f: StoredFleet): FleetDecision | undefined {
  if (!f.approval || f.status === 'awaiting' || f.status === 'planned' || f.status === 'cancelled') return undefined;
  return f.status === 'denied' || f.status === 'expired' ? f.status : 'accepted';
}

/**
 * After the decision: its line in the thread (with the root message for a denied or expired
 * fleet), the coordinator started (approved), the request message without buttons, one audit
 * entry per Droplet, then a mark that all this was done. Until the mark is there, the next click
 * or the expiry job does it again; each part is safe to repeat (keyed outbox entries, a fixed
 * coordinator job ID).
 */
async function closeOutIfNeeded(deps: CloseOutDeps, fleet: StoredFleet): Promise<void> {
  const status = decisionOf(fleet);
  if (!status || fleet.approval?.closedOut) return;
  let view = fleet;
  if (!view.rootTs) {
    // The receiver stopped before it posted anything: the requester still hears of it.
    await deps.fleets.setRoot(view.plan.id, await deps.chat.announce(view));
    view = (await deps.fleets.read(view.plan.id)) ?? view;
  }
  await deps.chat.approvalLine(view as FleetView, status);
  // If this process stops before it is added, a worker's sweep starts the accepted fleet.
  if (status === 'accepted') await deps.coordinator.start(view.plan.id);
  await quietly(deps, 'update the approval request', () => deps.chat.approvalDecided(view as FleetView));
  const event: AuditEntry['event'] = status === 'accepted' ? 'approved' : status;
  const by = view.approval?.decidedBy || view.plan.requester;
  for (const t of view.plan.targets) await deps.audit({ ...fleetAuditEntry(view, t, 1, event), user: by, ...(status === 'expired' ? { message: 'nobody decided in time' } : {}) });
  await deps.fleets.set(view.plan.id, { approvalClosed: '1' });
  deps.logger.info({ fleetId: view.plan.id, status, by }, 'fleet approval decided');
}

function alreadyDecided(f: StoredFleet): string {
  const by = f.approval?.decidedBy ?? '';
  if (f.status === 'denied') return by === f.plan.requester ? `<@${by}> withdrew this request. Nothing was done.` : `<@${by}> already denied this request. Nothing was done.`;
  if (f.status === 'expired') return `This request expired before anyone decided. Nothing was done; ask <@${f.plan.requester}> to run the command again if it is still needed.`;
  if (f.status === 'planned' || f.status === 'cancelled') return 'This fleet was never sent for approval. Nothing was done.';
  return by ? `<@${by}> already approved this fleet; it runs once. Nothing more was done.` : 'This fleet is already running. Nothing more was done.';
}

async function quietly(deps: Pick<FleetApprovalDeps, 'logger'>, doing: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    deps.logger.warn({ err: (err as Error).message }, `could not ${doing}`);
  }
}
