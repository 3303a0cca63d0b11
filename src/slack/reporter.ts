// Tells the request's thread what happened, and keeps the root message's last line current.
// A Slack failure here never fails the DigitalOcean work: it is logged and the job goes on.
import type { webApi } from '@slack/bolt';
import type { Logger } from '../log.js';
import type { ActionJob } from '../queue/action-job.js';
import { escapeText } from './escape.js';
import { formatDuration, rootMessage, threadStatus, type Phase } from './messages.js';

export interface StatusReporter {
  queued(job: ActionJob): Promise<void>;
  inProgress(job: ActionJob, actionId: number, waitedMs: number): Promise<void>;
  finished(job: ActionJob, outcome: { status: 'completed' | 'errored'; actionId?: number; durationMs?: number; message?: string }): Promise<void>;
}

export class SlackReporter implements StatusReporter {
  constructor(
    private readonly client: webApi.WebClient,
    private readonly logger: Logger,
  ) {}

  async queued(job: ActionJob): Promise<void> {
    await this.reply(job, 'queued', 'waiting for a worker');
  }

  async inProgress(job: ActionJob, actionId: number, waitedMs: number): Promise<void> {
    const detail = `DigitalOcean action ${actionId} started after ${formatDuration(waitedMs)} in the queue`;
    await Promise.all([this.reply(job, 'in-progress', detail), this.updateRoot(job, 'in-progress', `action ${actionId}`)]);
  }

  async finished(job: ActionJob, outcome: Parameters<StatusReporter['finished']>[1]): Promise<void> {
    const took = outcome.durationMs === undefined ? '' : ` in ${formatDuration(outcome.durationMs)}`;
    const action = outcome.actionId === undefined ? '' : `action ${outcome.actionId} `;
    const detail =
      outcome.status === 'completed'
        ? `${action}completed${took}`
        : `${action}errored${took}${outcome.message ? `: ${escapeText(outcome.message)}` : ''}`;
    await this.reply(job, outcome.status, `${detail} · <@${job.requester}>`);
    await this.updateRoot(job, outcome.status, detail);
  }

  private async reply(job: ActionJob, phase: Phase, detail: string): Promise<void> {
    const msg = threadStatus(phase, detail);
    try {
      await this.client.chat.postMessage({ channel: job.channel, thread_ts: job.rootTs, text: msg.text, unfurl_links: false });
    } catch (err) {
      this.logger.warn({ requestId: job.requestId, phase, err: errText(err) }, 'could not post status to the thread');
    }
  }

  private async updateRoot(job: ActionJob, phase: Phase, detail: string): Promise<void> {
    const msg = rootMessage(job, phase, detail);
    try {
      await this.client.chat.update({ channel: job.channel, ts: job.rootTs, text: msg.text, blocks: msg.blocks });
    } catch (err) {
      this.logger.warn({ requestId: job.requestId, phase, err: errText(err) }, 'could not update the root message');
    }
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
