// What the use cases need from the outside world, as interfaces they own: adapters (the Slack
// outbox reporter, say) implement them. Pure: types only.
import type { ActionJob } from './job.js';

/** Where a request's thread is: enough to say something there when its job cannot be read. */
export interface ThreadRef {
  requestId: string;
  channel: string;
  rootTs: string;
}

/** A chat message: its notification text and, optionally, its blocks (built by an adapter). */
export interface Message {
  text: string;
  blocks?: unknown[];
}

/** Posting and updating messages in chat. */
export interface ChatOps {
  /** Posts a message (in a thread when threadTs is given) and returns its ts. */
  post(channel: string, message: Message, threadTs?: string): Promise<string>;
  update(channel: string, ts: string, message: Message): Promise<void>;
  /** A message only `user` sees in `channel`, or in a direct message when it cannot go there. */
  tell(channel: string, user: string, text: string): Promise<void>;
}

export interface Outcome {
  status: 'completed' | 'errored';
  actionId?: number;
  durationMs?: number;
  message?: string;
}

export interface StatusReporter {
  queued(job: ActionJob): Promise<void>;
  /** A second person approved: their line in the thread, and the root back to "queued". */
  approved(job: ActionJob, line: string): Promise<void>;
  /** The Droplet is busy with an earlier request; this one waits its turn. */
  waiting(job: ActionJob, ahead: { requestId: string; action: string; requester: string }): Promise<void>;
  inProgress(job: ActionJob, actionId: number, waitedMs: number): Promise<void>;
  finished(job: ActionJob, outcome: Outcome): Promise<void>;
  /** Not sent: checked again just before its POST, the requester's rights no longer allow it. */
  refused(job: ActionJob, reason: string): Promise<void>;
  /** A procedure's step `index` changed (started, skipped, done, failed): `job.procedure` says how. */
  step?(job: ActionJob, index: number): Promise<void>;
  /** A procedure's step `index` posted its action. */
  stepPosted?(job: ActionJob, index: number, actionId: number): Promise<void>;
  /** Never sent: the fleet it belongs to was aborted before its POST. Only fleet jobs have a gate. */
  skipped?(job: ActionJob, reason: string): Promise<void>;
  /**
   * One line in a thread whose job cannot be read: all that is known is where the thread is.
   * `not run` when nothing can have reached DigitalOcean, `errored` when an action may have.
   */
  note(target: ThreadRef, step: string, text: string, phase: 'not run' | 'errored'): Promise<void>;
}
