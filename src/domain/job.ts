// The one kind of job the bot runs: a Droplet action someone asked for. Its data lives in
// Redis between the receiver and a worker, so it is checked on the way out. Pure.
import { z } from 'zod';
import { ACTION_TYPES, actionBodySchema, type ActionType } from './catalogue/index.js';
import type { AuditEntry } from './audit.js';
import { dropletStateSchema } from './approval-rules.js';
import { procedureActions, procedureStateSchema } from './procedures/state.js';
import { requestOptionsSchema } from './procedures/options.js';

export const actionJobSchema = z.object({
  requestId: z.string().min(1),
  action: z.enum(ACTION_TYPES),
  body: actionBodySchema,
  droplet: z.object({ id: z.number().int().positive(), name: z.string() }),
  requester: z.string().min(1),
  approver: z.string().optional(),
  channel: z.string().min(1),
  rootTs: z.string().min(1),
  requestedAt: z.number(),
  /** Set just before the POST: a rerun that finds it without actionId looks for the action first. */
  postStartedAt: z.number().optional(),
  /** Set as soon as DigitalOcean answers the POST; a rerun only follows this action. */
  actionId: z.number().int().optional(),
  actionStartedAt: z.string().optional(),
  /** The request this one last reported waiting for, so the note is posted once per change. */
  waitingFor: z.string().optional(),
  /**
   * The newest action ID the bot had started on this Droplet before this POST: an action found
   * after an unanswered POST must be newer, so an earlier request's action is never taken for ours.
   */
  actionBaseline: z.number().optional(),
  /** A line head whose job could not be found at the last check; removed if still missing at the next. */
  missingHead: z.string().optional(),
  /** When DigitalOcean first answered "pending event" to this request. */
  pendingSince: z.number().optional(),
  /** The Droplet as the approval request showed it: an approved job runs only on that Droplet, unchanged. */
  shown: dropletStateSchema.optional(),
  /** One Droplet's part of a fleet: its result goes to the fleet, whose thread reports it. */
  fleet: z.object({ id: z.string().min(1), attempt: z.number().int().min(1) }).optional(),
  /**
   * A procedure (graceful stop, resize of a running Droplet, snapshot first): its steps and how far
   * it got. The fields above from postStartedAt to pendingSince then belong to the current step's action.
   */
  procedure: procedureStateSchema.optional(),
  /** The keys the request was made with (snapshot_first=false says the safety snapshot was turned off on purpose). */
  options: requestOptionsSchema.optional(),
});

export type ActionJob = z.output<typeof actionJobSchema>;

/** Every action the job may send: its own, or each of its procedure's (fallback and recovery included). */
export function jobActions(job: Pick<ActionJob, 'action' | 'procedure'>): ActionType[] {
  return job.procedure ? procedureActions(job.procedure) : [job.action];
}

/** `skipped`: never sent, because the fleet it belongs to was aborted first. */
export type ActionOutcome = { status: 'completed' | 'errored' | 'skipped'; actionId?: number; message?: string };

/** An audit entry about this request: who asked, what, on which Droplet, and where its thread is. */
export function jobAuditEntry(job: ActionJob, event: AuditEntry['event'], extra: Partial<AuditEntry> = {}): AuditEntry {
  return {
    event,
    requestId: job.requestId,
    user: job.requester,
    requester: job.requester,
    // A fleet's Droplet run as a job of its own belongs to the fleet in the requester's list.
    ...(job.fleet ? { fleetId: job.fleet.id } : {}),
    action: job.action,
    dropletId: job.droplet.id,
    dropletName: job.droplet.name,
    channel: job.channel,
    ts: job.rootTs,
    ...extra,
  };
}
