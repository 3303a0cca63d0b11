// A fleet run, as data: the plan frozen when it was shown, each Droplet's part, and what the
// coordinator does next. Pure: the coordinator (worker/run-fleet.ts) reads and writes the store
// and asks these functions what to do.
import { z } from 'zod';
import { ACTION_TYPES, actionBodySchema, displayName } from '../catalogue/index.js';
import { escapeText } from '../chat-text.js';
import { batchSize, type Rollout } from './rollout.js';

const selectorSchema = z.union([
  z.object({ kind: z.literal('tag'), tag: z.string().min(1) }),
  z.object({ kind: z.literal('glob'), pattern: z.string().min(1) }),
  z.object({
    kind: z.literal('list'),
    items: z.array(z.union([z.object({ kind: z.literal('id'), id: z.number().int().positive() }), z.object({ kind: z.literal('name'), name: z.string().min(1) })])),
  }),
]);

export const fleetTargetSchema = z.object({
  id: z.number().int().positive(),
  name: z.string(),
  region: z.string(),
  /** The Droplet's status when the plan was made. */
  status: z.string(),
  /** Its tags when the plan was made: roles scoped by tag are checked against them. */
  tags: z.array(z.string()).optional(),
});
export type FleetTarget = z.output<typeof fleetTargetSchema>;

export const fleetPlanSchema = z.object({
  id: z.string().min(1),
  action: z.enum(ACTION_TYPES),
  body: actionBodySchema,
  selector: selectorSchema,
  rollout: z.object({
    batch: z.union([z.object({ kind: z.literal('count'), count: z.number().int().positive() }), z.object({ kind: z.literal('percent'), percent: z.number().int().positive() })]).optional(),
    maxFailures: z.number().int().min(0),
  }),
  requester: z.string().min(1),
  channel: z.string().min(1),
  createdAt: z.number(),
  /** Frozen: Droplets that join the tag later are never added. */
  targets: z.array(fleetTargetSchema).min(1),
});
export type FleetPlan = z.output<typeof fleetPlanSchema>;

export const TARGET_PHASES = ['waiting', 'queued', 'in-progress', 'completed', 'errored', 'dropped', 'skipped'] as const;
export type TargetPhase = (typeof TARGET_PHASES)[number];

export const targetStateSchema = z.object({
  phase: z.enum(TARGET_PHASES),
  /** Bumped by Retry failed: a late result of an earlier attempt never overwrites a newer one. */
  attempt: z.number().int().min(1),
  batch: z.number().int().min(1).optional(),
  actionId: z.number().int().optional(),
  /** DigitalOcean's words on an errored Droplet, or why it was dropped. */
  message: z.string().optional(),
  /** The message is mrkdwn the bot built (names already escaped), not text to escape. */
  mrkdwn: z.boolean().optional(),
  startedAt: z.number().optional(),
  endedAt: z.number().optional(),
  /** Started by the bulk tag POST: followed by the coordinator, not by a job of its own. */
  bulk: z.boolean().optional(),
});
export type TargetState = z.output<typeof targetStateSchema>;

export const FLEET_STATUSES = ['planned', 'cancelled', 'awaiting', 'denied', 'expired', 'accepted', 'running', 'paused', 'aborting', 'finished', 'aborted'] as const;
export type FleetStatus = (typeof FLEET_STATUSES)[number];

/** The statuses in which a coordinator must be driving the fleet (store/fleets.ts keeps the same list in Lua). */
export const LIVE_STATUSES: readonly FleetStatus[] = ['accepted', 'running', 'paused', 'aborting'];
export const isLive = (status: FleetStatus | undefined): boolean => status !== undefined && LIVE_STATUSES.includes(status);

export interface Progress {
  total: number;
  completed: number;
  errored: number;
  waiting: number;
  active: number;
  dropped: number;
  skipped: number;
}

export function progressOf(states: Iterable<TargetState>): Progress {
  const p: Progress = { total: 0, completed: 0, errored: 0, waiting: 0, active: 0, dropped: 0, skipped: 0 };
  for (const s of states) {
    if (s.phase === 'dropped') {
      p.dropped++;
      continue;
    }
    p.total++;
    if (s.phase === 'completed') p.completed++;
    else if (s.phase === 'errored') p.errored++;
    else if (s.phase === 'waiting') p.waiting++;
    else if (s.phase === 'skipped') p.skipped++;
    else p.active++;
  }
  return p;
}

/** `reboot on 12 Droplets`. */
export function fleetLabel(plan: Pick<FleetPlan, 'action' | 'targets'>): string {
  const n = plan.targets.length;
  return `${displayName(plan.action)} on ${n} Droplet${n === 1 ? '' : 's'}`;
}

/** `web-1 (3164444), web-2 (3164445) and 8 more`: at most ten named, escaped for Slack. */
export function targetNames(targets: readonly Pick<FleetTarget, 'id' | 'name'>[]): string {
  return targets.slice(0, 10).map((t) => `${escapeText(t.name)} (${t.id})`).join(', ') + (targets.length > 10 ? ` and ${targets.length - 10} more` : '');
}

/** `7/12 completed · 1 errored · 2 running · 2 waiting`. */
export function describeProgress(p: Progress): string {
  const parts = [`${p.completed}/${p.total} completed`];
  if (p.errored) parts.push(`${p.errored} errored`);
  if (p.active) parts.push(`${p.active} running`);
  if (p.waiting) parts.push(`${p.waiting} waiting`);
  if (p.skipped) parts.push(`${p.skipped} skipped`);
  return parts.join(' · ');
}

export type NextStep =
  /** Start these Droplets now, as batch `batch`. */
  | { kind: 'start'; batch: number; ids: number[] }
  /** More than max_failures have errored: nothing new starts until someone resumes. */
  | { kind: 'pause'; errored: number }
  /** Droplets are still running: look again later. */
  | { kind: 'wait' }
  /** Paused (or being aborted) and nothing runs: wait for a button. */
  | { kind: 'idle' }
  /** Every Droplet has ended. */
  | { kind: 'finish'; aborted: boolean };

/**
 * What a fleet does next. The next batch starts only when the last one has ended; the stop
 * rule is checked first, so a batch whose errors pass max_failures starts nothing more.
 */
export function nextStep(
  plan: Pick<FleetPlan, 'rollout' | 'targets'>,
  status: FleetStatus,
  states: ReadonlyMap<number, TargetState>,
  lastBatch: number,
  /** Errors someone chose to go on past (Resume after a pause): they no longer count. */
  forgiven = 0,
): NextStep {
  const p = progressOf(states.values());
  if (status === 'aborting') return p.active ? { kind: 'wait' } : { kind: 'finish', aborted: true };
  if (status === 'paused') return p.active ? { kind: 'wait' } : p.waiting === 0 ? { kind: 'finish', aborted: false } : { kind: 'idle' };
  // The stop rule holds back later batches; without a batch rule everything starts at once, so it holds nothing.
  if (plan.rollout.batch && p.errored - forgiven > plan.rollout.maxFailures && p.waiting > 0) return { kind: 'pause', errored: p.errored };
  if (p.waiting === 0) return p.active ? { kind: 'wait' } : { kind: 'finish', aborted: false };
  // With a batch rule the next batch waits for the last one; without one everything starts at once.
  if (p.active && plan.rollout.batch) return { kind: 'wait' };
  const size = batchSize(plan.rollout as Rollout, p.total);
  const ids = plan.targets.filter((t) => states.get(t.id)?.phase === 'waiting').slice(0, size).map((t) => t.id);
  return { kind: 'start', batch: lastBatch + 1, ids };
}
