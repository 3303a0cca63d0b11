// Why a request could not be finished, in words an operator can act on; never a stack trace or a secret.
import { displayName } from '../domain/catalogue/index.js';
import { describeRef } from '../domain/command.js';
import { escapeText } from '../domain/chat-text.js';
import type { RecordedRequest } from '../store/intake.js';

/** `reboot web-1`, as the requester would have typed it; safe to put in a message. */
export function requestLabel(req: Pick<RecordedRequest, 'action' | 'target'>): string {
  return `\`${displayName(req.action)} ${escapeText(describeRef(req.target)).replace(/`/g, "'")}\``;
}

export function notRunReason(err: unknown): string {
  const e = err as { name?: string; data?: { error?: string }; message?: string };
  if (e.data?.error === 'not_in_channel' || e.data?.error === 'channel_not_found') {
    return 'I cannot post in this channel. Invite me with `/invite @droplet-bot`';
  }
  if (e.name === 'DigitalOceanError' || e.name === 'DigitalOceanNetworkError') return `DigitalOcean did not answer as expected (${escapeText(e.message ?? '')})`;
  if (/redis|connection|ECONNREFUSED|Stream isn't writeable|enableOfflineQueue/i.test(e.message ?? '')) return 'the job store (Redis) is unavailable';
  return "something went wrong on the bot's side (tell its operators if it keeps happening)";
}
