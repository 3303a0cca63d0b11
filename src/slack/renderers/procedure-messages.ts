// What people read about a procedure: the plan before anything runs (request, approval, modal),
// the checklist of steps edited in place on the root message, one thread line per step, and the
// closing summary. Pure; names from users or DigitalOcean go through escapeText/code.
import { displayName, type ActionType } from '../../domain/catalogue/index.js';
import { code, escapeText } from '../../domain/chat-text.js';
import type { ActionJob } from '../../domain/job.js';
import { finished, isRecovery, stepDecls, outcomeOf, type ProcedureState, type StepState } from '../../domain/procedures/state.js';
import type { StepDecl } from '../../domain/procedures/declarations.js';
import { formatDuration } from './format.js';

/** What the request is called: `stop` for a graceful stop, else its action's name. */
export function requestName(job: Pick<ActionJob, 'action' | 'procedure'>): string {
  return job.procedure?.name === 'stop' ? 'stop' : displayName(job.action);
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The plan before anything runs, in one sentence or two of mrkdwn. */
export function planText(name: string, p: Pick<ProcedureState, 'name' | 'action' | 'timeoutMs' | 'powerOn' | 'size' | 'snapshotName'>): string {
  const who = `*${escapeText(name)}*`;
  const stop = `a graceful shutdown first, then \`power_off\` if it still reports itself on after ${formatDuration(p.timeoutMs)}`;
  switch (p.name) {
    case 'stop':
      return `${who} will be shut down gracefully; if it still reports itself on after ${formatDuration(p.timeoutMs)}, it will be powered off (\`power_off\`).`;
    case 'resize':
      return p.powerOn
        ? `${who} is running: it will be shut down, resized${p.size ? ` to ${code(p.size)}` : ''} and powered on again (${stop}). If a step after the stop fails, it is powered on again.`
        : `${who} is running: it will be shut down and resized${p.size ? ` to ${code(p.size)}` : ''}, and left off (\`power_on=false\`; ${stop}).`;
    case 'snapshot_first':
      return `A snapshot of ${who} named ${code(p.snapshotName ?? '')} is taken first; the ${displayName(p.action)} starts only once the snapshot is completed.`;
  }
}

/** Why a stop sent nothing. */
export function nothingToDoText(name: string, why: 'already_off'): string {
  return why === 'already_off' ? `*${escapeText(name)}* is already off, so nothing was sent.` : 'Nothing to do.';
}

function labelOf(p: ProcedureState, step: StepDecl): string {
  return step.action === 'request' ? cap(displayName(p.action as ActionType)) : step.label;
}

const ICON: Record<StepState['status'], string> = {
  waiting: ':white_circle:',
  running: ':arrows_counterclockwise:',
  done: ':white_check_mark:',
  skipped: ':fast_forward:',
  failed: ':x:',
};

function stepDetail(step: StepDecl, s: StepState): string {
  const took = s.startedAt !== undefined && s.endedAt !== undefined ? formatDuration(s.endedAt - s.startedAt) : '';
  const action = s.actionId !== undefined ? `action ${s.actionId}` : '';
  const note = s.note ? escapeText(s.note) : '';
  switch (s.status) {
    case 'waiting':
      return 'waiting';
    case 'running':
      return 'running';
    case 'done':
      return ['done', took, action, note].filter(Boolean).join(' · ');
    case 'skipped':
      return `skipped${note ? `: ${note}` : ''}`;
    case 'failed':
      return [step.onFailure === 'next' ? 'gave way to the next step' : 'failed', took, action, note].filter(Boolean).join(' · ');
  }
}

/** A step is shown unless it is a recovery step that was never reached. */
function visible(p: ProcedureState): Array<{ decl: StepDecl; state: StepState }> {
  const decls = stepDecls(p.name);
  return p.steps.map((state, index) => ({ decl: decls[index]!, state })).filter(({ state }, index) => !isRecovery(p, index) || state.status !== 'waiting');
}

/** The checklist: one line per step, in order. */
export function checklist(p: ProcedureState): string {
  return visible(p)
    .map(({ decl, state }) => `${state.status === 'failed' && decl.onFailure === 'next' ? ':warning:' : ICON[state.status]} ${escapeText(labelOf(p, decl))} · ${stepDetail(decl, state)}`)
    .join('\n');
}

/** The thread's line for one step's change. */
export function stepLine(p: ProcedureState, index: number): string {
  const decl = stepDecls(p.name)[index]!;
  const state = p.steps[index]!;
  const icon = state.status === 'failed' && decl.onFailure === 'next' ? ':warning:' : ICON[state.status];
  return `${icon} *${escapeText(labelOf(p, decl))}* · ${stepDetail(decl, state)}`;
}

const stepOf = (p: ProcedureState, id: string) => p.steps.find((s) => s.id === id);

/** The closing line: what happened, and for a stop whether power_off was needed. Mrkdwn, escaped. */
export function summaryText(p: ProcedureState): string {
  if (!finished(p)) {
    // The job ended before the procedure did (it gave up, or stalled): say where it stopped, never what did not happen.
    const decl = stepDecls(p.name)[p.at];
    return `stopped at "${escapeText(decl ? labelOf(p, decl) : 'an unknown step')}" before the procedure ended: check the Droplet`;
  }
  const ran = (id: string) => stepOf(p, id)?.status === 'done';
  const powerOff = ran('power_off')
    ? `the graceful shutdown did not turn it off within ${formatDuration(p.timeoutMs)}, so power_off was needed`
    : ran('shutdown')
      ? 'it shut down gracefully; power_off was not needed'
      : stepOf(p, 'shutdown')?.status === 'failed'
        ? 'it is off, though the shutdown step did not end cleanly (see its line); power_off was not sent'
        : 'it was already off';
  if (outcomeOf(p) === 'errored') {
    const failed = p.failed ? stepDecls(p.name).find((s) => s.id === p.failed!.step) : undefined;
    const at = failed ? `failed at "${escapeText(labelOf(p, failed))}": ${escapeText(p.failed!.message)}` : 'failed';
    const again = stepOf(p, 'power_on_again');
    const recovery = again?.status === 'done' ? '; it was powered on again' : again?.status === 'failed' ? `; powering it on again failed too (${escapeText(again.note ?? '')}): check the Droplet` : '';
    return `${at}${recovery}`;
  }
  switch (p.name) {
    case 'stop':
      return `off: ${powerOff}`;
    case 'resize': {
      const powerOn = stepOf(p, 'power_on');
      const after = ran('power_on')
        ? 'powered on again'
        : !p.powerOn
          ? 'left off (power_on=false)'
          : powerOn?.note === 'the Droplet is already on'
            ? 'it is on'
            : 'left off, as it was before';
      return `resized to ${escapeText(p.size ?? 'the new size')} and ${after}; ${powerOff}`;
    }
    case 'snapshot_first':
      return `snapshot "${escapeText(p.snapshotName ?? '')}" taken, then ${displayName(p.action)} completed`;
  }
}

/** The thread's line when a step's action was sent. */
export function postedLine(p: ProcedureState, index: number, actionId: number): string {
  const decl = stepDecls(p.name)[index]!;
  return `${ICON.running} *${escapeText(labelOf(p, decl))}* · DigitalOcean action ${actionId} started`;
}

/** `step 2 of 5: Resize` for the root's state line while the procedure runs. */
export function progressLine(p: ProcedureState): string {
  const shown = visible(p);
  const at = Math.min(p.at, p.steps.length - 1);
  const decl = stepDecls(p.name)[at]!;
  const n = shown.findIndex((s) => s.decl.id === decl.id) + 1;
  return n > 0 ? `step ${n} of ${shown.length}: ${escapeText(labelOf(p, decl))}` : 'running';
}
