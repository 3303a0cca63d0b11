// Which procedure, if any, a request becomes once its Droplet is known: a stop of a Droplet that
// is off sends nothing, a resize of a running Droplet stops and starts it around the resize, and
// a rebuild or restore takes a snapshot first when asked or when the role map's safety section
// says so. Pure.
import type { ActionBody, ActionType } from '../catalogue/index.js';
import type { RequestOptions } from './options.js';
import { STOP_TIMEOUT } from './options.js';
import { newProcedure, type ProcedureState } from './state.js';

export interface Safety {
  /** Actions that take a snapshot first unless the request says snapshot_first=false. */
  snapshot_before: readonly ActionType[];
}

export type Planned =
  | { kind: 'single' }
  | { kind: 'procedure'; procedure: ProcedureState }
  /** Nothing to send: the Droplet already is what was asked. */
  | { kind: 'nothing'; why: 'already_off' };

/** `before rebuild 2026-12-04 07:40 UTC`. */
export function snapshotNameFor(action: ActionType, now: number): string {
  return `before ${action} ${new Date(now).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function planRequest(input: { body: ActionBody; options?: RequestOptions; droplet: { status: string }; safety?: Safety; now: number }): Planned {
  const { body, options = {}, droplet } = input;
  const action = body.type;
  const base = { action, timeoutMs: options.timeoutMs ?? STOP_TIMEOUT.defaultMs, powerOn: options.powerOn ?? true };
  if (options.stop) {
    if (droplet.status === 'off') return { kind: 'nothing', why: 'already_off' };
    return { kind: 'procedure', procedure: newProcedure('stop', base) };
  }
  if (action === 'resize' && droplet.status !== 'off') {
    return { kind: 'procedure', procedure: newProcedure('resize', { ...base, ...(body.size ? { size: body.size } : {}) }) };
  }
  if (snapshotFirst(action, options, input.safety)) {
    return { kind: 'procedure', procedure: newProcedure('snapshot_first', { ...base, snapshotName: snapshotNameFor(action, input.now) }) };
  }
  return { kind: 'single' };
}

function snapshotFirst(action: ActionType, options: RequestOptions, safety: Safety | undefined): boolean {
  if (action !== 'rebuild' && action !== 'restore') return false;
  return options.snapshotFirst ?? (safety?.snapshot_before.includes(action) ?? false);
}

/**
 * Why this request waits for a second person although its action alone would not: it turns off
 * the snapshot the role map's safety section asks for. Undefined when it does not.
 */
export function skipsSafety(action: ActionType, options: RequestOptions | undefined, safety: Safety | undefined): string | undefined {
  if (options?.snapshotFirst !== false || !safety?.snapshot_before.includes(action)) return undefined;
  return `snapshot_first=false turns off the snapshot the role map's safety section asks for before a ${action}`;
}
