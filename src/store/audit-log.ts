// Append-only audit trail in Redis streams: one stream for everything, and one per Droplet so
// `/droplet history` reads its last entries without scanning the rest.
import type { RequestOutcome } from '../ops/metrics.js';
import type { Redis } from 'ioredis';
import type { AuditEntry, AuditEvent, AuditSink, StoredAuditEntry } from '../domain/audit.js';

export type { AuditEntry, AuditEvent, AuditSink, StoredAuditEntry };

const PER_DROPLET_MAX = 500;
const ALL_MAX = 100_000;

/** Where a request's thread lives, as a link anyone in the workspace can open. */
export function threadLink(channel: string, ts: string): string {
  return `https://slack.com/archives/${channel}/p${ts.replace('.', '')}`;
}

export class AuditLog {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private allKey(): string {
    return `${this.prefix}:audit`;
  }
  private dropletKey(id: number): string {
    return `${this.prefix}:audit:droplet:${id}`;
  }

  async append(entry: AuditEntry): Promise<void> {
    const fields = Object.entries({ at: Date.now(), ...entry }).flatMap(([k, v]) => (v === undefined ? [] : [k, String(v)]));
    const tx = this.redis.multi().xadd(this.allKey(), 'MAXLEN', '~', String(ALL_MAX), '*', ...fields);
    if (entry.dropletId !== undefined) tx.xadd(this.dropletKey(entry.dropletId), 'MAXLEN', '~', String(PER_DROPLET_MAX), '*', ...fields);
    const results = await tx.exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error('audit write was aborted');
  }

  /** Newest first. */
  async forDroplet(dropletId: number, count = 10): Promise<StoredAuditEntry[]> {
    const rows = await this.redis.xrevrange(this.dropletKey(dropletId), '+', '-', 'COUNT', count);
    return rows.map(([, flat]) => {
      const o: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) o[flat[i]!] = flat[i + 1]!;
      return {
        at: Number(o.at),
        event: o.event as AuditEvent,
        requestId: o.requestId ?? '',
        user: o.user ?? '',
        action: o.action ?? '',
        dropletId: Number(o.dropletId),
        dropletName: o.dropletName ?? '',
        actionId: o.actionId ? Number(o.actionId) : undefined,
        status: o.status,
        message: o.message,
        channel: o.channel,
        ts: o.ts,
      };
    });
  }
}


/** The audit events that are a request's outcome, as the requests metric names them ('queued' is counted where jobs are added). */
const OUTCOME_OF: Partial<Record<AuditEntry['event'], RequestOutcome>> = {
  refused: 'refused',
  approved: 'approved',
  denied: 'denied',
  expired: 'expired',
  completed: 'completed',
  errored: 'errored',
};

/**
 * An audit writer that logs instead of throwing: a lost audit line must not stop an action.
 * `also` gets each entry after it is written (the Home tab's recent requests), just as quietly.
 */
export function auditSink(
  log: Pick<AuditLog, 'append'> | undefined,
  logger: { error: (o: object, m: string) => void },
  count?: (action: string, outcome: RequestOutcome) => void,
  also?: (entry: AuditEntry) => Promise<void>,
): AuditSink {
  return async (entry) => {
    const outcome = OUTCOME_OF[entry.event];
    try {
      if (outcome) count?.(entry.action, outcome);
    } catch {
      // Only the metric is lost; the entry is still written.
    }
    if (!log) return;
    try {
      await log.append(entry);
    } catch (err) {
      logger.error({ err: (err as Error).message, event: entry.event, requestId: entry.requestId }, 'could not write the audit trail');
    }
    try {
      await also?.(entry);
    } catch (err) {
      logger.error({ err: (err as Error).message, event: entry.event, requestId: entry.requestId }, "could not note the request for its requester's Home tab");
    }
  };
}
