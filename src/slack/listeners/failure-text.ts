// Shared by the /droplet command and the modal: the request ID of one interaction, and what to
// tell a user when their request could not be handled.
import { createHash, randomUUID } from 'node:crypto';
import { escapeText } from '../../domain/chat-text.js';
import { failureKind } from '../../requests/not-run.js';

export const REDIS_DOWN =
  'Your request could not be queued: the job store (Redis) is unavailable. Nothing was done; try again in a minute.';

/** Slack redelivers a command with the same trigger_id; the request ID follows from it. */
export function requestIdFor(triggerId: string | undefined): string {
  return triggerId ? createHash('sha256').update(triggerId).digest('hex').slice(0, 24) : randomUUID();
}

/** What went wrong, in words an operator can act on; never a stack trace or a secret. */
export function failureText(err: unknown): string {
  const f = failureKind(err);
  switch (f.kind) {
    case 'not_in_channel':
      return 'I cannot post in this channel. Invite me with `/invite @droplet-bot` and try again. Nothing was done.';
    case 'digitalocean':
      return `DigitalOcean did not answer as expected (${escapeText(f.message)}). Nothing was queued; try again in a minute.`;
    case 'job_store':
      return REDIS_DOWN;
    case 'other':
      return 'Something went wrong and your request was not queued. Nothing was done; try again, and tell the bot\'s operators if it keeps happening.';
  }
}
