// How a fleet runs: how many Droplets at a time, and how many errors stop it. Pure.

export type BatchRule = { kind: 'count'; count: number } | { kind: 'percent'; percent: number };

export interface Rollout {
  /** Absent: every Droplet at once. */
  batch?: BatchRule;
  /** The run pauses once more than this many Droplets have errored; 0 stops at the first error. */
  maxFailures: number;
}

export const ROLLOUT_KEYS = ['batch', 'max_failures'] as const;
export type RolloutKey = (typeof ROLLOUT_KEYS)[number];

const MAX_BATCH = 1000;

/** Reads `batch=` and `max_failures=`; each problem says what to type instead. */
export function parseRollout(raw: Partial<Record<RolloutKey, string>>): { ok: true; rollout: Rollout } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  let batch: BatchRule | undefined;
  if (raw.batch !== undefined) {
    const m = /^(\d{1,4})(%?)$/.exec(raw.batch.trim());
    const n = m ? Number(m[1]) : NaN;
    if (!m || n < 1 || (m[2] ? n > 100 : n > MAX_BATCH)) {
      problems.push(`batch must be a number of Droplets from 1 to ${MAX_BATCH} (batch=2) or a percentage from 1% to 100% (batch=25%), not \`${raw.batch}\``);
    } else {
      batch = m[2] ? { kind: 'percent', percent: n } : { kind: 'count', count: n };
    }
  }
  let maxFailures = 0;
  if (raw.max_failures !== undefined) {
    const v = raw.max_failures.trim();
    if (!/^\d{1,5}$/.test(v)) problems.push(`max_failures must be a whole number of Droplets, 0 or more (max_failures=1 lets one error pass), not \`${raw.max_failures}\``);
    else if (raw.batch === undefined) problems.push('max_failures needs batch=: without it every Droplet starts at once, so nothing is left for the stop rule to hold back. Add batch=N (or batch=N%), or leave max_failures out');
    else maxFailures = Number(v);
  }
  return problems.length ? { ok: false, problems } : { ok: true, rollout: { ...(batch ? { batch } : {}), maxFailures } };
}

/** How many Droplets run at a time in a fleet of `size`: a percentage rounds up, to at least one. */
export function batchSize(rollout: Rollout, size: number): number {
  if (!rollout.batch) return Math.max(1, size);
  const n = rollout.batch.kind === 'count' ? rollout.batch.count : Math.ceil((size * rollout.batch.percent) / 100);
  return Math.max(1, Math.min(size || 1, n));
}

/** `batches of 2`, `batches of 25% (3 Droplets)`, `all at once`. */
export function describeBatch(rollout: Rollout, size: number): string {
  if (!rollout.batch) return 'all at once';
  const n = batchSize(rollout, size);
  return rollout.batch.kind === 'count' ? `${n} at a time` : `${rollout.batch.percent}% at a time (${n} Droplet${n === 1 ? '' : 's'})`;
}

/** `stops at the first error`, `stops when more than 2 have errored`. */
export function describeStopRule(rollout: Rollout): string {
  return rollout.maxFailures === 0 ? 'pauses at the first error' : `pauses once more than ${rollout.maxFailures} have errored`;
}
