// Shared by the /droplet command and the modal: the request ID of one interaction, and what to
// tell a user when their request could not be handled.
import { createHash, randomUUID } from 'node:crypto';
import { escapeText } from '../../domain/chat-text.js';

export const REDIS_DOWN =
  'Your request could not be queued: the job store (Redis) is unavailable. Nothing was done; try again in a minute.';

/** Slack redelivers a command with the same trigger_id; the request ID follows from it. */
export function requestIdFor(triggerId: string | undefined): string {
  return triggerId ? createHash('sha256').update(triggerId).digest('hex').slice(0, 24) : randomUUID();
}

/** What went wrong, in words an operator can act on; never a stack trace or a secret. */
export function failureText(err: unknown): string {
  const e = err as { name?: string; code?: string; data?: { error?: string }; message?: string };
  if (e.data?.error === 'not_in_channel' || e.data?.error === 'channel_not_found') {
    return 'I cannot post in this channel. Invite me with `/invite @droplet-bot` and try again. Nothing was done.';
  }
  if (e.name === 'DigitalOceanError' || e.name === 'DigitalOceanNetworkError') {
    return `DigitalOcean did not answer as expected (${escapeText(e.message ?? '')}). Nothing was queued; try again in a minute.`;
  }
  if (/redis|connection|ECONNREFUSED|Stream isn't writeable|enableOfflineQueue/i.test(e.message ?? '')) return REDIS_DOWN;
  return 'Something went wrong and your request was not queued. Nothing was done; try again, and tell the bot\'s operators if it keeps happening.';
}
