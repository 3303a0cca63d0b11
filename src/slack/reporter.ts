// What the request's thread, its root message and the notification channel should say at each
// step. Messages go into the Slack outbox, so a slow or failing Slack never holds up an action.
import { displayName } from '../domain/catalogue/index.js';
import type { ActionJob } from '../domain/job.js';
import type { OutboxEntry, OutboxTarget, SlackOutbox } from '../queue/slack-outbox.js';
import type { Outcome, StatusReporter } from '../domain/ports.js';

export type { Outcome, StatusReporter };
import { escapeText } from '../domain/chat-text.js';
import { formatDuration, rootMessage, threadStatus, type Phase } from './renderers/messages.js';
import { postedLine, progressLine, requestName, stepLine, summaryText } from './renderers/procedure-messages.js';

export class OutboxReporter implements StatusReporter {
  constructor(
    private readonly outbox: Pick<SlackOutbox, 'publish'>,
    private readonly notifyChannel?: string,
  ) {}

  async queued(job: ActionJob): Promise<void> {
    await this.publish(job, 'queued', [reply('queued', 'waiting for a worker')]);
  }

  async approved(job: ActionJob, line: string): Promise<void> {
    await this.publish(job, 'approved', [{ kind: 'reply', text: line }, root(job, 'queued', 'waiting for a worker')]);
  }

  async waiting(job: ActionJob, ahead: { requestId: string; action: string; requester: string }): Promise<void> {
    const what = displayName(ahead.action as never);
    await this.publish(job, `waiting:${ahead.requestId}`, [
      reply('queued', `waiting for ${escapeText(what)} (asked by <@${ahead.requester}>) to finish on this Droplet`),
      root(job, 'queued', `waiting for ${escapeText(what)} to finish`),
    ]);
  }

  async inProgress(job: ActionJob, actionId: number, waitedMs: number): Promise<void> {
    await this.publish(job, 'in-progress', [
      reply('in-progress', `DigitalOcean action ${actionId} started after ${formatDuration(waitedMs)} in the queue`),
      root(job, 'in-progress', `action ${actionId}`),
    ]);
  }

  async step(job: ActionJob, index: number): Promise<void> {
    const p = job.procedure;
    const state = p?.steps[index];
    if (!p || !state) return;
    await this.publish(job, `step:${index}:${state.status}`, [{ kind: 'reply', text: stepLine(p, index) }, root(job, 'in-progress', progressLine(p))]);
  }

  async stepPosted(job: ActionJob, index: number, actionId: number): Promise<void> {
    const p = job.procedure;
    if (!p) return;
    await this.publish(job, `step:${index}:posted`, [{ kind: 'reply', text: postedLine(p, index, actionId) }]);
  }

  async finished(job: ActionJob, outcome: Outcome): Promise<void> {
    if (job.procedure) return this.procedureFinished(job, outcome);
    const took = outcome.durationMs === undefined ? '' : ` in ${formatDuration(outcome.durationMs)}`;
    const action = outcome.actionId === undefined ? '' : `action ${outcome.actionId} `;
    const why = outcome.status === 'errored' && outcome.message ? `: ${escapeText(outcome.message)}` : '';
    const detail = `${action}${outcome.status}${took}${why}`;
    const entries: OutboxEntry[] = [reply(outcome.status, `${detail} · <@${job.requester}>`), root(job, outcome.status, detail)];
    if (this.notifyChannel) entries.push({ kind: 'notify', channel: this.notifyChannel, text: notificationLine(job, outcome) });
    await this.publish(job, 'finished', entries);
  }

  /** The summary in the thread and on the root (whose checklist shows every step), one line to NOTIFY_CHANNEL. */
  private async procedureFinished(job: ActionJob, outcome: Outcome): Promise<void> {
    const p = job.procedure!;
    const took = outcome.durationMs === undefined ? '' : ` in ${formatDuration(outcome.durationMs)}`;
    // A failure the procedure itself handled is in its summary; any other (the job gave up) is added.
    const extra = outcome.status === 'errored' && outcome.message && !p.failed ? `: ${escapeText(outcome.message)}` : '';
    const detail = `${outcome.status}${took} · ${summaryText(p)}${extra}`;
    const entries: OutboxEntry[] = [reply(outcome.status, `${detail} · <@${job.requester}>`), root(job, outcome.status, detail)];
    if (this.notifyChannel) entries.push({ kind: 'notify', channel: this.notifyChannel, text: notificationLine(job, { ...outcome, message: `${summaryText(p)}${extra}` }) });
    await this.publish(job, 'finished', entries);
  }

  async refused(job: ActionJob, reason: string): Promise<void> {
    // The reason is mrkdwn the policy built (names escaped there).
    const detail = `checked again before it was sent: ${reason} <@${job.requester}>`;
    await this.publish(job, 'refused', [reply('not run', detail), root(job, 'not run', 'checked again before it was sent')]);
  }

  async note(target: OutboxTarget, step: string, text: string, phase: 'not run' | 'errored'): Promise<void> {
    await this.outbox.publish(target, [{ kind: 'reply', key: `${step}:0`, text: threadStatus(phase, escapeText(text)).text }]);
  }

  /** Each step is published once per request, however often a rerun of the job reaches it. */
  private publish(job: ActionJob, step: string, entries: OutboxEntry[]): Promise<void> {
    const keyed = entries.map((e, i) => ({ ...e, key: `${step}:${i}` }));
    return this.outbox.publish({ requestId: job.requestId, channel: job.channel, rootTs: job.rootTs }, keyed);
  }
}

function reply(phase: Phase, detail: string): OutboxEntry {
  return { kind: 'reply', text: threadStatus(phase, detail).text };
}

function root(job: ActionJob, phase: Phase, detail: string): OutboxEntry {
  const msg = rootMessage(job, phase, detail);
  return { kind: 'root', text: msg.text, blocks: msg.blocks ?? [] };
}

/** One line per finished action: who, what, on which Droplet, result, duration, thread link. */
export function notificationLine(job: ActionJob, outcome: Outcome): string {
  const icon = outcome.status === 'completed' ? ':white_check_mark:' : ':x:';
  const took = outcome.durationMs === undefined ? '' : ` in ${formatDuration(outcome.durationMs)}`;
  const approver = job.approver ? `, approved by <@${job.approver}>` : '';
  const summary = job.procedure && outcome.message ? `: ${outcome.message}` : '';
  return `${icon} *${requestName(job)}* on *${escapeText(job.droplet.name)}* (${job.droplet.id}) ${outcome.status}${took}${summary} · asked by <@${job.requester}>${approver} · {thread}`;
}
