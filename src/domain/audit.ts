// What the audit trail records about a request: who, what, on which Droplet, and where its thread is.

export type AuditEvent =
  | 'requested'
  | 'refused'
  | 'withdrawn'
  | 'approved'
  | 'denied'
  | 'expired'
  | 'posted'
  | 'post_failed'
  | 'completed'
  | 'errored'
  | 'unreadable';

export interface AuditEntry {
  event: AuditEvent;
  requestId: string;
  user: string;
  action: string;
  /** Absent when the request was refused before its Droplet was looked up. */
  dropletId?: number;
  dropletName?: string;
  actionId?: number;
  status?: string;
  message?: string;
  /** channel/ts of the request's root message, to link back to the thread. */
  channel?: string;
  ts?: string;
  /** Who asked, when `user` is someone else (the approver of an approval, the decider of a fleet). */
  requester?: string;
  /** The fleet this Droplet's part belongs to. */
  fleetId?: string;
  /** Set on a procedure's step entries: the step's ID (the procedure's own end has none). */
  step?: string;
}

export interface StoredAuditEntry extends AuditEntry {
  at: number;
}

/** Appends an entry to the audit trail; failures are the sink's to report. */
export type AuditSink = (entry: AuditEntry) => Promise<void>;
