// The action lifecycle: an action is created `in-progress` (its droplet `locked`), stays so for a
// realistic, type-dependent duration scaled by `timeScale`, then ends `completed` (applying its
// effect) or `errored` (when errorNextAction() matched it). Completion is driven by unref'd
// timers, and also settled lazily before each request so results never depend on timer jitter.
import { applyEffect } from './effects.js';
import { findDroplet, isoSeconds } from './lookup.js';
import type { Action, Droplet, DropletActionType, SimulatorState } from './types.js';
import type { ActionParams } from './validate-action.js';

/** Roughly how long each action takes on DigitalOcean, in ms, before `timeScale`. */
export const DEFAULT_DURATIONS_MS: Record<DropletActionType, number> = {
  reboot: 30_000,
  power_off: 10_000,
  power_on: 15_000,
  shutdown: 20_000,
  power_cycle: 20_000,
  resize: 120_000,
  rebuild: 120_000,
  restore: 300_000,
  snapshot: 180_000,
  enable_backups: 8_000,
  disable_backups: 8_000,
  change_backup_policy: 5_000,
  password_reset: 10_000,
  rename: 5_000,
  change_kernel: 8_000,
  enable_ipv6: 8_000,
};

export interface ErrorMatch {
  dropletId?: number;
  type?: string;
}

interface Pending {
  action: Action;
  type: DropletActionType;
  params: ActionParams;
  dueAt: number;
  willError: boolean;
  /** Completes but changes nothing: a shutdown that reports completed while the Droplet stays on (api-v2#79). */
  noEffect: boolean;
  timer: NodeJS.Timeout;
}

export interface EngineOptions {
  timeScale: number;
  /** Per-type overrides in ms, used as-is (not scaled). */
  durations: Partial<Record<string, number>>;
}

export class ActionEngine {
  private readonly pending = new Map<number, Pending>();
  private readonly errorRules: ErrorMatch[] = [];
  private readonly noEffectRules: ErrorMatch[] = [];

  constructor(
    private readonly state: SimulatorState,
    private readonly opts: EngineOptions,
  ) {}

  durationOf(type: DropletActionType): number {
    const override = this.opts.durations[type];
    if (override !== undefined) return Math.max(0, override);
    return Math.max(0, Math.round(DEFAULT_DURATIONS_MS[type] * this.opts.timeScale));
  }

  /** Whether the droplet has an action in progress (or was locked by hand in a test). */
  isBusy(droplet: Droplet): boolean {
    if (droplet.locked) return true;
    for (const p of this.pending.values()) if (p.action.resource_id === droplet.id) return true;
    return false;
  }

  /** Create an in-progress action on `droplet`; the caller has validated it. */
  start(droplet: Droplet, type: DropletActionType, params: ActionParams, now = Date.now()): Action {
    const action: Action = {
      id: this.state.nextIds.action++,
      status: 'in-progress',
      type,
      started_at: isoSeconds(now),
      completed_at: null,
      resource_id: droplet.id,
      resource_type: 'droplet',
      region: structuredClone(droplet.region),
      region_slug: droplet.region.slug,
    };
    this.state.actions.push(action);
    droplet.locked = true;

    const duration = this.durationOf(type);
    const timer = setTimeout(() => this.finish(action.id), duration);
    timer.unref(); // a running simulator must never keep a test process alive
    this.pending.set(action.id, { action, type, params, dueAt: now + duration, willError: take(this.errorRules, droplet.id, type), noEffect: take(this.noEffectRules, droplet.id, type), timer });
    return action;
  }

  /** Complete every action whose time has come; called before handling each request. */
  settleDue(now = Date.now()): void {
    const due = [...this.pending.values()].filter((p) => p.dueAt <= now).sort((a, b) => a.action.id - b.action.id);
    for (const p of due) this.finish(p.action.id);
  }

  errorNext(match: ErrorMatch): void {
    this.errorRules.push(match);
  }

  /** The next action matching completes, as DigitalOcean reports it, without changing the Droplet. */
  noEffectNext(match: ErrorMatch): void {
    this.noEffectRules.push(match);
  }

  /** Stop all timers; actions still in progress stay in progress. */
  close(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  private finish(actionId: number): void {
    const p = this.pending.get(actionId);
    if (!p) return;
    this.pending.delete(actionId);
    clearTimeout(p.timer);

    // Timestamps come from the schedule, not from when we noticed, so lazily settled
    // actions report the same completed_at a timer would have.
    p.action.completed_at = isoSeconds(p.dueAt);
    // A test may have removed the droplet meanwhile; then there is nothing to change.
    const droplet = p.action.resource_id === null ? undefined : findDroplet(this.state, p.action.resource_id);
    if (p.willError) {
      p.action.status = 'errored';
    } else {
      p.action.status = 'completed';
      if (droplet && !p.noEffect) applyEffect(this.state, droplet, p.type, p.params, p.dueAt);
    }
    if (droplet) droplet.locked = false;
  }
}

/** Takes (removes and reports) the first rule matching this action, if any. */
function take(rules: ErrorMatch[], dropletId: number, type: string): boolean {
  const i = rules.findIndex((r) => (r.dropletId === undefined || r.dropletId === dropletId) && (r.type === undefined || r.type === type));
  if (i < 0) return false;
  rules.splice(i, 1);
  return true;
}
