// Each Droplet's part of a fleet in the audit trail: the same entry as a single request's, under
// the request ID of that Droplet's job, so `/droplet history` shows it. Pure.
import type { AuditEntry } from '../audit.js';
import type { FleetPlan, FleetTarget } from './run.js';

/** The request ID of one Droplet's job in a fleet; a retry is a new request. */
export function childRequestId(fleetId: string, dropletId: number, attempt: number): string {
  return `${fleetId}.${dropletId}.${attempt}`;
}

export function fleetAuditEntry(
  fleet: { plan: Pick<FleetPlan, 'id' | 'requester' | 'action' | 'channel'>; rootTs?: string },
  t: Pick<FleetTarget, 'id' | 'name'>,
  attempt: number,
  event: AuditEntry['event'],
  extra: Partial<AuditEntry> = {},
): AuditEntry {
  return {
    event,
    requestId: childRequestId(fleet.plan.id, t.id, attempt),
    user: fleet.plan.requester,
    requester: fleet.plan.requester,
    fleetId: fleet.plan.id,
    action: fleet.plan.action,
    dropletId: t.id,
    dropletName: t.name,
    channel: fleet.plan.channel,
    ...(fleet.rootTs ? { ts: fleet.rootTs } : {}),
    ...extra,
  };
}
