// Procedures: safe multi-step runs on one Droplet, each declared once as data. A step has a
// precondition (when it runs at all), an action (or none: a check), what it waits for once the
// action ended, how long that wait may last, and what a failure means. The worker's engine
// (worker/run-procedure.ts) runs any declaration; adding a procedure is adding an entry. Pure.
import type { ActionType } from '../catalogue/index.js';

/** What a step waits for after its action: the action's end, or the Droplet itself reporting a state. */
export type WaitFor = 'action' | 'off' | 'on' | 'size';

export interface StepDecl {
  id: string;
  /** One line in the checklist. */
  label: string;
  /** The DigitalOcean action it sends (`request`: the one asked for); none for a step that only checks the Droplet. */
  action?: ActionType | 'request';
  /** The body: `{ type }` alone, the request's own body, or a snapshot named for the procedure. */
  body?: 'request' | 'snapshot';
  /** The step runs only when the Droplet is on (or off) as it starts; otherwise it is skipped. */
  when?: 'on' | 'off';
  /** Skipped when the request said `power_on=false`. */
  wanted?: 'power_on';
  /** Powers the Droplet back on: runs only when a step of this procedure set out to turn it off. */
  restores?: true;
  waitFor: WaitFor;
  /** How long a wait for the Droplet's state may last: the request's `timeout`, or fixed ms. */
  timeout?: 'option' | number;
  /** On failure or timeout: go on with the next step, or fail the procedure (running its recovery). */
  onFailure: 'next' | 'fail';
}

export interface ProcedureDecl {
  /** The headline, e.g. "graceful stop". */
  title: string;
  steps: readonly StepDecl[];
  /** Run after any failure, each only when its precondition holds. */
  recovery: readonly StepDecl[];
}

const STATE_WAIT_MS = 5 * 60_000;

/** DigitalOcean's advice: a shutdown with a reasonable timeout, then power_off to be sure. */
const gracefulStop: readonly StepDecl[] = [
  { id: 'shutdown', label: 'Shut down gracefully', action: 'shutdown', when: 'on', waitFor: 'off', timeout: 'option', onFailure: 'next' },
  { id: 'power_off', label: 'Power off (still on after the shutdown)', action: 'power_off', when: 'on', waitFor: 'off', timeout: STATE_WAIT_MS, onFailure: 'fail' },
];

export const PROCEDURES = {
  stop: { title: 'graceful stop', steps: gracefulStop, recovery: [] },
  resize: {
    title: 'resize of a running Droplet',
    steps: [
      ...gracefulStop,
      { id: 'resize', label: 'Resize', action: 'resize', body: 'request', waitFor: 'action', onFailure: 'fail' },
      { id: 'power_on', label: 'Power on', action: 'power_on', when: 'off', wanted: 'power_on', restores: true, waitFor: 'on', timeout: STATE_WAIT_MS, onFailure: 'fail' },
      { id: 'check_size', label: 'Check the new size', waitFor: 'size', timeout: 60_000, onFailure: 'fail' },
    ],
    recovery: [{ id: 'power_on_again', label: 'Power on again after the failure', action: 'power_on', when: 'off', wanted: 'power_on', restores: true, waitFor: 'on', timeout: STATE_WAIT_MS, onFailure: 'fail' }],
  },
  snapshot_first: {
    title: 'snapshot first',
    steps: [
      { id: 'snapshot', label: 'Take a snapshot', action: 'snapshot', body: 'snapshot', waitFor: 'action', onFailure: 'fail' },
      { id: 'main', label: 'Run the action', action: 'request', body: 'request', waitFor: 'action', onFailure: 'fail' },
    ],
    recovery: [],
  },
} as const satisfies Record<string, ProcedureDecl>;

export type ProcedureName = keyof typeof PROCEDURES;
export const PROCEDURE_NAMES = Object.keys(PROCEDURES) as [ProcedureName, ...ProcedureName[]];
