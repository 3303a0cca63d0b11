// A procedure's progress as it travels in its job: which step it is on and what each step did.
// Every change is a pure function from one state to the next; the worker saves each before it
// acts on it, so a rerun of the job resumes at the step it was on. Pure.
import { z } from 'zod';
import { ACTION_TYPES, type ActionType } from '../catalogue/index.js';
import { PROCEDURES, PROCEDURE_NAMES, type ProcedureName, type StepDecl } from './declarations.js';

export const STEP_STATUSES = ['waiting', 'running', 'done', 'skipped', 'failed'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

const stepStateSchema = z.object({
  id: z.string().min(1),
  status: z.enum(STEP_STATUSES),
  startedAt: z.number().optional(),
  endedAt: z.number().optional(),
  /** The DigitalOcean action this step started, once it ended. */
  actionId: z.number().int().optional(),
  /** When that action was sent: a wait for the Droplet's state is timed from here. */
  sentAt: z.number().optional(),
  /** When the step saw that action end: the wait gets a moment after it, whatever its timeout. */
  actionEndedAt: z.number().optional(),
  /** Why it was skipped or failed, or what it found. Plain text. */
  note: z.string().optional(),
});
export type StepState = z.output<typeof stepStateSchema>;

export const procedureStateSchema = z.object({
  name: z.enum(PROCEDURE_NAMES),
  /** The request's own action (what `action: 'request'` steps send). */
  action: z.enum(ACTION_TYPES),
  timeoutMs: z.number().int().positive(),
  /** `power_on=false` leaves a resized Droplet off. */
  powerOn: z.boolean(),
  /** The size a resize must leave the Droplet with. */
  size: z.string().optional(),
  snapshotName: z.string().optional(),
  /** Index of the step being run; the main steps, then the recovery steps. */
  at: z.number().int().min(0),
  steps: z.array(stepStateSchema),
  /** The step whose failure ended the main steps, and why. */
  failed: z.object({ step: z.string(), message: z.string() }).optional(),
  /** A step of this procedure sent an action to turn the Droplet off: only then does it power it on again. */
  turnedOff: z.boolean().optional(),
  /** Since when DigitalOcean could not be read (its rate limit, a 5xx, the network), while the procedure waits. */
  unreadSince: z.number().optional(),
});
export type ProcedureState = z.output<typeof procedureStateSchema>;

/** Every step of a procedure, main then recovery, in the order the state lists them. */
export function stepDecls(name: ProcedureName): readonly StepDecl[] {
  const p = PROCEDURES[name];
  return [...p.steps, ...p.recovery];
}

export function newProcedure(name: ProcedureName, input: Omit<ProcedureState, 'name' | 'at' | 'steps' | 'failed' | 'turnedOff' | 'unreadSince'>): ProcedureState {
  return { name, ...input, at: 0, steps: stepDecls(name).map((s) => ({ id: s.id, status: 'waiting' as const })) };
}

/** The action a step sends, with the request's own action for `request`. */
export function stepAction(p: Pick<ProcedureState, 'action'>, step: StepDecl): ActionType | undefined {
  return step.action === 'request' ? p.action : step.action;
}

/** Every action the procedure may send, fallback and recovery included: what its rights and approval cover. */
export function procedureActions(p: Pick<ProcedureState, 'name' | 'action'>): ActionType[] {
  const all = stepDecls(p.name).map((s) => stepAction(p, s)).filter((a): a is ActionType => a !== undefined);
  return [...new Set([p.action, ...all])];
}

export function current(p: ProcedureState): { decl: StepDecl; state: StepState } | undefined {
  const decl = stepDecls(p.name)[p.at];
  const state = p.steps[p.at];
  return decl && state ? { decl, state } : undefined;
}

const isMain = (p: Pick<ProcedureState, 'name'>, index: number) => index < PROCEDURES[p.name].steps.length;

/** Whether the step at `index` is a recovery step (run only after a failure). */
export const isRecovery = (p: Pick<ProcedureState, 'name'>, index: number) => !isMain(p, index);

function withStep(p: ProcedureState, change: Partial<StepState>): ProcedureState {
  return { ...p, steps: p.steps.map((s, i) => (i === p.at ? { ...s, ...change } : s)) };
}

/** The index after `at`: the main steps end the procedure when nothing failed, or hand over to recovery. */
function nextIndex(p: ProcedureState): number {
  const next = p.at + 1;
  return !p.failed && !isMain(p, next) ? p.steps.length : next;
}

/** The Droplet as far as a precondition or a wait can tell. */
export interface DropletNow {
  status: string;
  size_slug: string;
}

/** Whether the current step runs at all, or is skipped, and why. */
export function precondition(p: ProcedureState, step: StepDecl, droplet: DropletNow | undefined): { runs: true } | { runs: false; why: string } {
  if (step.wanted === 'power_on' && !p.powerOn) return { runs: false, why: 'power_on=false: left off' };
  // Never power on a Droplet this procedure did not turn off (someone else's power_off ran first).
  if (step.restores && !p.turnedOff) return { runs: false, why: 'it was already off before this procedure: left off' };
  if (step.when && droplet) {
    const on = droplet.status !== 'off';
    if (step.when === 'on' && !on) return { runs: false, why: 'the Droplet is already off' };
    if (step.when === 'off' && on) return { runs: false, why: 'the Droplet is already on' };
  }
  return { runs: true };
}

/** Whether what the step waits for has come about. */
export function waitMet(p: ProcedureState, step: StepDecl, droplet: DropletNow): boolean {
  if (step.waitFor === 'off') return droplet.status === 'off';
  if (step.waitFor === 'on') return droplet.status === 'active';
  if (step.waitFor === 'size') return droplet.size_slug === p.size;
  return true;
}

export function timeoutOf(p: ProcedureState, step: StepDecl): number | undefined {
  return step.timeout === 'option' ? p.timeoutMs : step.timeout;
}

export function started(p: ProcedureState, now: number): ProcedureState {
  return withStep(p, { status: 'running', startedAt: now });
}

/**
 * The step's action ended (or the step gives it up): what is left is its wait, timed from when the
 * action was sent. A step that sent an action to turn the Droplet off marks the procedure as the
 * one that turned it off.
 */
export function actionEnded(p: ProcedureState, actionId: number, sentAt: number | undefined, now: number): ProcedureState {
  const stops = stepDecls(p.name)[p.at]?.waitFor === 'off';
  return { ...withStep(p, { actionId, actionEndedAt: now, ...(sentAt !== undefined ? { sentAt } : {}) }), ...(stops ? { turnedOff: true } : {}) };
}

/** A moment after its action ended, a wait is judged: the Droplet's own status may lag the action's. */
export const SETTLE_MS = 10_000;

/** When the current step's wait runs out, or undefined for a wait without a timeout. */
export function waitDeadline(p: ProcedureState, step: StepDecl): number | undefined {
  const limit = timeoutOf(p, step);
  const s = p.steps[p.at];
  if (limit === undefined || !s) return undefined;
  const from = (s.sentAt ?? s.startedAt ?? 0) + limit;
  return s.actionEndedAt === undefined ? from : Math.max(from, s.actionEndedAt + SETTLE_MS);
}

export function skipped(p: ProcedureState, why: string): ProcedureState {
  return { ...withStep(p, { status: 'skipped', note: why }), at: nextIndex(p) };
}

export function done(p: ProcedureState, now: number, note?: string): ProcedureState {
  return { ...withStep(p, { status: 'done', endedAt: now, ...(note ? { note } : {}) }), at: nextIndex(p) };
}

/**
 * The step failed (or its wait ran out). `next`: the following step takes over (a shutdown that
 * timed out hands over to power_off). `fail`: the remaining main steps are not run, and the
 * recovery steps run, each only where its precondition holds.
 */
export function failedStep(p: ProcedureState, step: StepDecl, now: number, message: string): ProcedureState {
  const marked = withStep(p, { status: 'failed', endedAt: now, note: message });
  if (step.onFailure === 'next' || !isMain(p, p.at)) return { ...marked, at: nextIndex(marked) };
  const main = PROCEDURES[p.name].steps.length;
  return {
    ...marked,
    failed: { step: step.id, message },
    steps: marked.steps.map((s, i) => (i > p.at && i < main ? { ...s, status: 'skipped' as const, note: 'not run after the failure' } : s)),
    at: main,
  };
}

export function finished(p: ProcedureState): boolean {
  return p.at >= p.steps.length;
}

/** A failed recovery, or any failed main step that ended the procedure. */
export function outcomeOf(p: ProcedureState): 'completed' | 'errored' {
  const recoveryFailed = p.steps.some((s, i) => !isMain(p, i) && s.status === 'failed');
  return p.failed || recoveryFailed ? 'errored' : 'completed';
}
