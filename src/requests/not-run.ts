// Why a request could not be finished, in words an operator can act on; never a stack trace or a secret.
import { displayName } from '../domain/catalogue/index.js';
import { describeRef } from '../domain/command.js';
import { escapeText } from '../domain/chat-text.js';
import type { RecordedRequest } from '../store/intake.js';

/** `reboot web-1`, as the requester would have typed it; safe to put in a message. */
export function requestLabel(req: Pick<RecordedRequest, 'action' | 'target'>): string {
  return `\`${displayName(req.action)} ${escapeText(describeRef(req.target)).replace(/`/g, "'")}\``;
}

/** What kind of failure stopped a request: the one sorting every message about failures uses. */
export type FailureKind = { kind: 'not_in_channel' } | { kind: 'digitalocean'; message: string } | { kind: 'job_store' } | { kind: 'other' };

export function failureKind(err: unknown): FailureKind {
  const e = err as { name?: string; data?: { error?: string }; message?: string };
  if (e.data?.error === 'not_in_channel' || e.data?.error === 'channel_not_found') return { kind: 'not_in_channel' };
  if (e.name === 'DigitalOceanError' || e.name === 'DigitalOceanNetworkError') return { kind: 'digitalocean', message: e.message ?? '' };
  if (/redis|connection|ECONNREFUSED|Stream isn't writeable|enableOfflineQueue/i.test(e.message ?? '')) return { kind: 'job_store' };
  return { kind: 'other' };
}

export function notRunReason(err: unknown): string {
  const f = failureKind(err);
  switch (f.kind) {
    case 'not_in_channel':
      return 'I cannot post in this channel. Invite me with `/invite @droplet-bot`';
    case 'digitalocean':
      return `DigitalOcean did not answer as expected (${escapeText(f.message)})`;
    case 'job_store':
      return 'the job store (Redis) is unavailable';
    case 'other':
      return "something went wrong on the bot's side (tell its operators if it keeps happening)";
  }
}
