// A person's recent requests and fleets, as the Home tab lists them: which audit entry is about
// which of them, and how far along it says it is. Pure.
import type { AuditEntry, AuditEvent } from './audit.js';

/** What one request or fleet looks like in the list: the newest that is known of it. */
export interface RecentCard {
  kind: 'request' | 'fleet';
  /** The request ID, or the fleet ID. */
  id: string;
  event: AuditEvent;
  action: string;
  /** A request's Droplet (a fleet's are in its record). */
  dropletId?: number;
  dropletName?: string;
  actionId?: number;
  message?: string;
  /** Where its thread is. */
  channel?: string;
  ts?: string;
  /** Set while a request waits for a second person. */
  awaitingApproval?: boolean;
  /** Set while a procedure runs a step: that step's ID. */
  step?: string;
  /** How far along (see `rankOf`): an entry never replaces a further one. */
  rank: number;
}

/** Events after which nothing more happens to a request. */
const ENDS: ReadonlySet<AuditEvent> = new Set(['completed', 'errored', 'post_failed', 'refused', 'denied', 'expired', 'withdrawn', 'unreadable']);

/**
 * How far along an entry says a request is. A later entry from another process can arrive first
 * (the worker's start before the receiver's approval line), so the list keeps the furthest.
 */
export function rankOf(e: Pick<AuditEntry, 'event' | 'step'>): number {
  // A procedure's step ends while the procedure goes on.
  if (e.step !== undefined) return 3;
  if (ENDS.has(e.event)) return 4;
  if (e.event === 'posted') return 3;
  if (e.event === 'approved') return 2;
  return 1;
}

/** Whose list an entry belongs in, and under which key; none for entries about nobody known. */
export function recentKey(e: AuditEntry): { user: string; ref: string } | undefined {
  const user = e.requester ?? e.user;
  if (!user || user === 'unknown') return undefined;
  return { user, ref: e.fleetId ? `f:${e.fleetId}` : `r:${e.requestId}` };
}

/** The card an entry gives: a fleet's carries only where it is (its progress is read live). */
export function cardOf(e: AuditEntry): RecentCard {
  const where = { ...(e.channel ? { channel: e.channel } : {}), ...(e.ts ? { ts: e.ts } : {}) };
  if (e.fleetId) return { kind: 'fleet', id: e.fleetId, event: e.event, action: e.action, ...where, rank: 0 };
  return {
    kind: 'request',
    id: e.requestId,
    event: e.event,
    action: e.action,
    ...(e.dropletId !== undefined ? { dropletId: e.dropletId } : {}),
    ...(e.dropletName ? { dropletName: e.dropletName } : {}),
    ...(e.actionId !== undefined ? { actionId: e.actionId } : {}),
    ...(e.message ? { message: e.message.slice(0, 300) } : {}),
    ...where,
    ...(e.event === 'requested' && e.message === 'awaiting approval' ? { awaitingApproval: true } : {}),
    ...(e.step !== undefined ? { step: e.step } : {}),
    rank: rankOf(e),
  };
}

/** Whether an entry ends something its requester may be watching on their Home tab. */
export function endsSomething(e: AuditEntry): boolean {
  return ENDS.has(e.event) || (e.fleetId !== undefined && e.event === 'approved');
}

/** Whether an entry changes which requests and fleets wait for someone's approval. */
export function changesApprovals(e: AuditEntry): boolean {
  if (e.event === 'requested') return (e.message ?? '').includes('awaiting approval');
  return e.event === 'approved' || e.event === 'denied' || e.event === 'expired' || e.event === 'withdrawn';
}
