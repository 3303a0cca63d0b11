// The buttons of a fleet: Run and Cancel on the plan, Stop on a running fleet, Resume, Retry
// failed and Abort on a paused one. Each is one checked status change in the store (a double
// click, or a click on an out-of-date message, changes nothing and says why), then a line in the
// fleet's thread and a nudge to its coordinator.
import { decide } from '../domain/rights.js';
import { displayName } from '../domain/catalogue/index.js';
import { fleetApprovalReason, type ApprovalSettings } from '../domain/approval-rules.js';
import { askFleetApproval, decideFleetApproval, type FleetApprovalDeps } from './fleet-approval.js';
import { fleetLabel, progressOf, targetNames, type FleetStatus } from '../domain/fleet/run.js';
import type { FleetStore, StoredFleet } from '../store/fleets.js';
import type { FleetView } from '../worker/run-fleet.js';

export type FleetControl = 'run' | 'cancel' | 'stop' | 'resume' | 'retry' | 'abort' | 'approve' | 'deny';

export interface FleetControlDeps extends Omit<FleetApprovalDeps, 'settings' | 'coordinator'> {
  fleets: FleetApprovalDeps['fleets'] & Pick<FleetStore, 'setTarget' | 'retryFailed'>;
  /** Adds the coordinator (Run), restarts an ended one (Retry failed) or runs its next step now. */
  coordinator: { start(fleetId: string): Promise<void>; restart(fleetId: string): Promise<void>; wake(fleetId: string): Promise<void> };
  reporter: { control(fleet: FleetView, control: 'stop' | 'resume' | 'retry' | 'abort', by: string, nonce: string, count?: number): Promise<void> };
  approvals?: ApprovalSettings;
}

export interface Click {
  fleetId: string;
  user: string;
  control: FleetControl;
  /** Unique per click (its trigger ID): a resent click finds its own change. */
  nonce: string;
  /** The channel the click came from. */
  channel?: string;
}

export type ControlResult = { kind: 'done'; message: string } | { kind: 'refused'; message: string };

const LAPSED = 'This plan has lapsed (plans are kept for 15 minutes). Nothing was done; run the command again for a fresh plan.';

export async function controlFleet(deps: FleetControlDeps, click: Click): Promise<ControlResult> {
  if (click.control === 'approve' || click.control === 'deny') {
    return decideFleetApproval({ ...deps, settings: deps.approvals }, { fleetId: click.fleetId, user: click.user, decision: click.control, nonce: click.nonce, ...(click.channel ? { channel: click.channel } : {}) });
  }
  const fleet = await deps.fleets.read(click.fleetId);
  if (!fleet) return { kind: 'refused', message: click.control === 'run' || click.control === 'cancel' ? LAPSED : 'This fleet is no longer on record. Nothing was done.' };
  const what = fleetLabel(fleet.plan);

  if (click.control === 'run' || click.control === 'cancel') {
    if (click.user !== fleet.plan.requester) return { kind: 'refused', message: 'Only the person who made this plan can run or cancel it. Nothing was done.' };
    if (click.control === 'cancel') {
      const moved = await deps.fleets.transition(fleet.plan.id, ['planned'], 'cancelled', click.nonce);
      return moved === 'moved' ? { kind: 'done', message: `Cancelled the plan for ${what}. Nothing was done.` } : stale(fleet.status);
    }
    const rights = await mayRun(deps, fleet, click.user);
    if (rights) return { kind: 'refused', message: rights };
    const why = fleetApprovalReason(deps.approvals, fleet.plan.action, fleet.plan.targets.length);
    if (why && deps.approvals) return askFleetApproval({ ...deps, settings: deps.approvals }, fleet, why, click.nonce);
    const moved = await deps.fleets.transition(fleet.plan.id, ['planned'], 'accepted', click.nonce);
    if (moved !== 'moved') return moved === 'missing' ? { kind: 'refused', message: LAPSED } : stale(fleet.status);
    // If this process stops right here, a worker's sweep adds the coordinator of an accepted fleet.
    await deps.coordinator.start(fleet.plan.id);
    return { kind: 'done', message: `Running ${what}. Its progress is in the message the bot posts in this channel.` };
  }

  const rights = await mayRun(deps, fleet, click.user, true);
  if (rights) return { kind: 'refused', message: rights };
  const allowed: Record<Exclude<FleetControl, 'run' | 'cancel' | 'approve' | 'deny'>, FleetStatus[]> = {
    stop: ['running'],
    resume: ['paused'],
    retry: ['paused', 'finished'],
    abort: ['running', 'paused'],
  };
  if (!allowed[click.control].includes(fleet.status)) return stale(fleet.status);
  if (!fleet.rootTs) return stale(fleet.status);
  let count: number | undefined;
  let moved: 'moved' | 'refused' | 'missing';
  switch (click.control) {
    case 'stop':
      moved = await deps.fleets.transition(fleet.plan.id, ['running'], 'paused', click.nonce, { reason: `stopped by <@${click.user}>` });
      break;
    case 'resume':
      // The errors so far were seen and accepted: only new ones count against max_failures.
      moved = await deps.fleets.transition(fleet.plan.id, ['paused'], 'running', click.nonce, { forgiven: String(progressOf(fleet.states.values()).errored), reason: '' });
      break;
    case 'abort':
      moved = await deps.fleets.transition(fleet.plan.id, ['running', 'paused'], 'aborting', click.nonce, { reason: `aborted by <@${click.user}>` });
      break;
    case 'retry': {
      const retried = await deps.fleets.retryFailed(fleet.plan.id, click.nonce);
      count = retried.kind === 'moved' ? retried.count : 0;
      moved = retried.kind;
      break;
    }
  }
  if (moved !== 'moved') return stale(fleet.status);
  const view = (await deps.fleets.read(fleet.plan.id)) as FleetView;
  await deps.reporter.control(view, click.control, click.user, click.nonce, count);
  if (click.control === 'retry' && fleet.status === 'finished') await deps.coordinator.restart(fleet.plan.id);
  else await deps.coordinator.wake(fleet.plan.id);
  const said = { stop: `Stopped ${what}: nothing new starts.`, resume: `Resumed ${what}.`, abort: `Aborting ${what}: Droplets whose action was not yet sent are skipped; actions already running finish.`, retry: `Retrying ${count} failed Droplet${count === 1 ? '' : 's'} of ${what}.` };
  return { kind: 'done', message: said[click.control] };
}

/** Why `user` may not run this fleet, or undefined: the action must be allowed on every Droplet. */
async function mayRun(deps: FleetControlDeps, fleet: StoredFleet, user: string, control = false): Promise<string | undefined> {
  if (control && user === fleet.plan.requester) return undefined;
  const access = await deps.access.of(user);
  const denied = fleet.plan.targets.filter((t) => !decide(deps.access.roleMap, access.grants, fleet.plan.action, { droplet: t, channel: fleet.plan.channel }).allowed);
  if (denied.length === 0) return undefined;
  const names = targetNames(denied);
  return control
    ? `Only the requester, or someone who may run \`${displayName(fleet.plan.action)}\` on every Droplet of the fleet, can do that; your roles do not cover ${names}. Nothing was done.`
    : `You may not run \`${displayName(fleet.plan.action)}\` on ${names}. Nothing was done.`;
}

function stale(status: FleetStatus): ControlResult {
  const now: Record<FleetStatus, string> = {
    planned: 'has not been run yet',
    cancelled: 'was cancelled',
    awaiting: 'is awaiting approval',
    denied: 'was denied',
    expired: 'expired before anyone approved it',
    accepted: 'is starting',
    running: 'is running',
    paused: 'is paused',
    aborting: 'is being aborted',
    finished: 'has finished',
    aborted: 'was aborted',
  };
  return { kind: 'refused', message: `This fleet ${now[status]}, so that button no longer applies. Nothing was done.` };
}
