// Block Kit for fleets: the preview with Run / Cancel, the root message with its progress and
// the buttons that fit the fleet's state, the lines in its thread, and the notification. Names
// and messages from users or DigitalOcean pass through escapeText.
import type { types } from '@slack/bolt';
import { displayName } from '../../domain/catalogue/index.js';
import { describeSelector } from '../../domain/fleet/selector.js';
import { describeBatch, describeStopRule } from '../../domain/fleet/rollout.js';
import { describeProgress, progressOf, type FleetPlan, type FleetStatus, type FleetTarget, type TargetState } from '../../domain/fleet/run.js';
import { code, escapeText } from '../../domain/chat-text.js';
import type { FleetApproval } from '../../store/fleets.js';
import { describeParams, formatDuration, type Message } from './messages.js';

export const FLEET_RUN = 'fleet_run';
export const FLEET_CANCEL = 'fleet_cancel';
export const FLEET_STOP = 'fleet_stop';
export const FLEET_RESUME = 'fleet_resume';
export const FLEET_RETRY = 'fleet_retry';
export const FLEET_ABORT = 'fleet_abort';
export const FLEET_APPROVE = 'fleet_approve';
export const FLEET_DENY = 'fleet_deny';

/** Slack shows at most 3,000 characters in a section; long lists are cut with a count. */
const SECTION_MAX = 2900;
const LISTED_MAX = 8;

export function targetLine(t: FleetTarget): string {
  return `• *${escapeText(t.name)}* (${t.id}) · ${code(t.region)} · ${escapeText(t.status)}`;
}

/** Lines split into sections that fit, at most LISTED_MAX of them, the rest counted. */
export function listSections(lines: string[]): types.KnownBlock[] {
  const blocks: types.KnownBlock[] = [];
  let current = '';
  let shown = 0;
  for (const line of lines) {
    if (current.length + line.length + 1 > SECTION_MAX) {
      if (blocks.length + 1 >= LISTED_MAX) break;
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: current } });
      current = '';
    }
    current += (current ? '\n' : '') + line;
    shown++;
  }
  if (current) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: current } });
  if (shown < lines.length) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `… and ${lines.length - shown} more` }] });
  return blocks;
}

export function what(plan: FleetPlan): string {
  const params = describeParams(plan.body);
  return `*${displayName(plan.action)}*${params ? ` ${code(params)}` : ''}`;
}

/** The batch rule and, with batches, the stop rule (without them nothing is left to hold back). */
export function rules(plan: FleetPlan, size: number): string {
  return plan.rollout.batch ? `${describeBatch(plan.rollout, size)} · ${describeStopRule(plan.rollout)}` : `${describeBatch(plan.rollout, size)}, so no stop rule`;
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The plan the requester sees first: every Droplet, what happens, the rules, Run and Cancel. */
export function fleetPreviewMessage(plan: FleetPlan, opts: { denied: FleetTarget[]; expiresInMin: number; approval?: string }): Message {
  const n = plan.targets.length;
  const head = `${what(plan)} on ${plural(n, 'Droplet')} matching ${code(describeSelector(plan.selector))}\n${rules(plan, n)}`;
  const blocks: types.KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: head } }, ...listSections(plan.targets.map(targetLine))];
  if (opts.denied.length) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:no_entry_sign: You may not run ${code(displayName(plan.action))} on ${plural(opts.denied.length, 'of these Droplet')}: ${opts.denied.slice(0, 20).map((t) => `*${escapeText(t.name)}* (${t.id})`).join(', ')}${opts.denied.length > 20 ? ` and ${opts.denied.length - 20} more` : ''}. Nothing was done: narrow the selector to the Droplets your roles cover.`,
      },
    });
    return { text: `The plan includes Droplets you may not touch; nothing was done.`, blocks };
  }
  blocks.push({
    type: 'actions',
    block_id: 'fleet_plan',
    elements: [
      { type: 'button', action_id: FLEET_RUN, text: { type: 'plain_text', text: opts.approval ? `Ask for approval to run on ${plural(n, 'Droplet')}` : `Run on ${plural(n, 'Droplet')}` }, style: 'primary', value: plan.id },
      { type: 'button', action_id: FLEET_CANCEL, text: { type: 'plain_text', text: 'Cancel' }, value: plan.id },
    ],
  });
  const until = opts.approval
    ? `:raised_hand: ${capitalize(opts.approval)}: the button asks for it, and nothing runs until someone approves. The approver sees this same list.`
    : 'Nothing runs until you click Run.';
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${until} This plan lapses in ${opts.expiresInMin} min; the list is frozen now.` }] });
  return { text: `Plan: ${displayName(plan.action)} on ${plural(n, 'Droplet')}. ${opts.approval ? 'Ask for approval' : 'Run'} or Cancel.`, blocks };
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

const STATUS_ICON: Record<FleetStatus, string> = {
  planned: ':memo:',
  cancelled: ':no_entry_sign:',
  awaiting: ':raised_hand:',
  denied: ':no_entry:',
  expired: ':hourglass:',
  accepted: ':hourglass_flowing_sand:',
  running: ':arrows_counterclockwise:',
  paused: ':double_vertical_bar:',
  aborting: ':octagonal_sign:',
  finished: ':white_check_mark:',
  aborted: ':octagonal_sign:',
};

/** How a status reads on the root message. */
export const STATUS_WORD: Record<FleetStatus, string> = {
  planned: 'planned',
  cancelled: 'cancelled',
  awaiting: 'awaiting approval',
  denied: 'denied',
  expired: 'expired',
  accepted: 'accepted',
  running: 'running',
  paused: 'paused',
  aborting: 'aborting',
  finished: 'finished',
  aborted: 'aborted',
};

export interface FleetRootInput {
  plan: FleetPlan;
  status: FleetStatus;
  states: ReadonlyMap<number, TargetState>;
  reason?: string;
  approval?: FleetApproval;
}

/** Who approved, denied or let it expire, for the root message. */
function approvalNote(f: FleetRootInput): string {
  const a = f.approval;
  if (!a) return '';
  if (f.status === 'awaiting') return ` · ${escapeText(a.why)}`;
  if (f.status === 'expired') return ' · nobody approved in time; nothing was done';
  if (f.status === 'denied') return a.decidedBy === f.plan.requester ? ` · withdrawn by <@${a.decidedBy}>; nothing was done` : ` · denied by <@${a.decidedBy}>; nothing was done`;
  return a.decidedBy ? ` · approved by <@${a.decidedBy}>` : '';
}

/** The channel message of a fleet: who asked, what, how many, the selector, live progress, buttons. */
export function fleetRootMessage(f: FleetRootInput): Message {
  const { plan } = f;
  const p = progressOf(f.states.values());
  const finalErrored = f.status === 'finished' && p.errored > 0;
  const icon = finalErrored ? ':warning:' : STATUS_ICON[f.status];
  const undecided = f.status === 'awaiting' || f.status === 'denied' || f.status === 'expired';
  const progress = undecided ? `${plural(p.total, 'Droplet')}, none started` : `${describeProgress(p)}${p.dropped ? ` · ${p.dropped} dropped` : ''}`;
  const state = `${icon} ${STATUS_WORD[f.status]} · ${progress}${f.reason && (f.status === 'paused' || f.status === 'aborting') ? ` · ${escapeText(f.reason)}` : ''}${approvalNote(f)}`;
  const blocks: types.KnownBlock[] = [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `<@${plan.requester}> asked for ${what(plan)} on *${plural(plan.targets.length, 'Droplet')}* matching ${code(describeSelector(plan.selector))}\n${rules(plan, p.total)}` },
    },
    { type: 'context', elements: [{ type: 'mrkdwn', text: state }] },
  ];
  const buttons: types.Button[] = [];
  const button = (action_id: string, text: string, style?: 'primary' | 'danger'): types.Button => ({ type: 'button', action_id, text: { type: 'plain_text', text }, value: plan.id, ...(style ? { style } : {}) });
  if (f.status === 'running') buttons.push(button(FLEET_STOP, 'Stop', 'danger'));
  if (f.status === 'paused') {
    if (p.waiting) buttons.push(button(FLEET_RESUME, 'Resume', 'primary'));
    if (p.errored) buttons.push(button(FLEET_RETRY, `Retry ${p.errored} failed`));
    buttons.push(button(FLEET_ABORT, 'Abort', 'danger'));
  }
  if (buttons.length) blocks.push({ type: 'actions', block_id: 'fleet_controls', elements: buttons });
  return { text: `${displayName(plan.action)} on ${plural(plan.targets.length, 'Droplet')} (${describeSelector(plan.selector)}): ${STATUS_WORD[f.status]}`, blocks };
}

export function fleetStartedLine(plan: FleetPlan, note: { dropped: FleetTarget[]; joined: Array<{ id: number; name: string }>; bulk: boolean }): string {
  const lines = [`:arrow_forward: *started* · ${plural(plan.targets.length - note.dropped.length, 'Droplet')}, ${rules(plan, plan.targets.length - note.dropped.length)}${note.bulk ? ' · one POST for the whole tag' : ''}`];
  const names = (list: Array<{ id: number; name: string }>) => list.slice(0, 30).map((d) => `${escapeText(d.name)} (${d.id})`).join(', ') + (list.length > 30 ? ` and ${list.length - 30} more` : '');
  if (note.dropped.length) lines.push(`Dropped, because they left the selection after the plan was made: ${names(note.dropped)}`);
  if (note.joined.length) lines.push(`Not added, because they joined after the plan was made: ${names(note.joined)}`);
  return lines.join('\n');
}

export function fleetBatchLine(batch: number, of: number, targets: FleetTarget[]): string {
  return `:arrow_right: *batch ${batch} of ${of}* · ${targets.slice(0, 30).map((t) => escapeText(t.name)).join(', ')}${targets.length > 30 ? ` and ${targets.length - 30} more` : ''}`;
}

export function fleetBulkLine(started: number, missed: FleetTarget[], found: boolean): string {
  const how = found ? 'found after an unanswered POST (it was not sent again)' : 'started by one POST for the whole tag';
  const names = missed.slice(0, 30).map((t) => escapeText(t.name)).join(', ');
  const rest = !missed.length ? '' : found ? `; ${plural(missed.length, 'Droplet')} with no action found are marked errored, since one may still have started: check them, then use Retry failed: ${names}` : `; ${plural(missed.length, 'Droplet')} it did not cover run on their own: ${names}`;
  return `:zap: ${plural(started, 'action')} ${how}${rest}`;
}

/** Why no tag-wide POST went out: DigitalOcean refused it, or the tag changed before it was sent. */
export function fleetBulkRefusedLine(message: string, tagChanged = false): string {
  if (tagChanged) return `:information_source: Not sent as one request for the tag: ${escapeText(message)}. Nothing was started by it, and each Droplet of the list runs on its own.`;
  return `:information_source: DigitalOcean refused the tag-wide request (${escapeText(message)}); nothing was started by it, and each Droplet runs on its own.`;
}

/** A Droplet's message: DigitalOcean's words escaped, the bot's own mrkdwn as it is. */
function messageOf(state: TargetState, max = 2000): string {
  if (!state.message) return 'no reason given';
  return state.mrkdwn ? state.message.slice(0, max) : escapeText(state.message).slice(0, max);
}

export function fleetFailedLine(t: FleetTarget, state: TargetState): string {
  const action = state.actionId === undefined ? '' : ` · action ${state.actionId}`;
  return `:x: *${escapeText(t.name)}* (${t.id}) errored${action}: ${messageOf(state)}`;
}

export function fleetPausedLine(why: string): string {
  return `:double_vertical_bar: *paused* · ${escapeText(why)}. Nothing new starts; actions already running finish. Resume, Retry failed or Abort on the message above.`;
}

export function fleetControlLine(control: 'stop' | 'resume' | 'retry' | 'abort', by: string, count?: number): string {
  switch (control) {
    case 'stop':
      return `:double_vertical_bar: *stopped* by <@${by}> · nothing new starts; actions already running finish`;
    case 'resume':
      return `:arrow_forward: *resumed* by <@${by}>`;
    case 'retry':
      return `:repeat: *retrying ${plural(count ?? 0, 'failed Droplet')}* · asked by <@${by}>`;
    case 'abort':
      return `:octagonal_sign: *aborted* by <@${by}> · Droplets whose action was not yet sent are skipped; actions already running finish`;
  }
}

/** The final summary: counts, the whole run's time, and each Droplet's result with its duration. */
export function fleetSummary(plan: FleetPlan, states: ReadonlyMap<number, TargetState>, aborted: boolean): string {
  const p = progressOf(states.values());
  const started = Math.min(...[...states.values()].map((s) => s.startedAt ?? Infinity));
  const ended = Math.max(...[...states.values()].map((s) => s.endedAt ?? 0));
  const took = Number.isFinite(started) && ended > started ? ` in ${formatDuration(ended - started)}` : '';
  const head = `${aborted ? ':octagonal_sign: *aborted*' : p.errored ? ':warning: *finished with errors*' : ':white_check_mark: *finished*'}${took} · ${describeProgress(p)}${p.dropped ? ` · ${p.dropped} dropped` : ''}`;
  const rows = plan.targets.slice(0, 40).map((t) => {
    const s = states.get(t.id)!;
    const d = s.startedAt && s.endedAt ? ` in ${formatDuration(s.endedAt - s.startedAt)}` : '';
    return `• ${escapeText(t.name)} · ${s.phase}${d}${s.phase === 'errored' && s.message ? `: ${messageOf(s, 200)}` : ''}`;
  });
  if (plan.targets.length > 40) rows.push(`… and ${plan.targets.length - 40} more (see /droplet history for each)`);
  return [head, ...rows].join('\n');
}

/** One line for the whole fleet in NOTIFY_CHANNEL. */
export function fleetNotificationLine(plan: FleetPlan, states: ReadonlyMap<number, TargetState>, aborted: boolean): string {
  const p = progressOf(states.values());
  const icon = aborted ? ':octagonal_sign:' : p.errored ? ':warning:' : ':white_check_mark:';
  return `${icon} *${displayName(plan.action)}* on *${plural(p.total, 'Droplet')}* (${escapeText(describeSelector(plan.selector))}) ${aborted ? 'aborted' : 'finished'}: ${describeProgress(p)} · asked by <@${plan.requester}> · {thread}`;
}
