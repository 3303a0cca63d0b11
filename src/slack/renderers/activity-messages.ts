// The activity feed's lines: one per action someone else started on the account, and one more
// when such an action fails. Everything from DigitalOcean is escaped. Pure.
import type { ListedAction } from '../../domain/activity.js';
import { code, escapeText } from '../../domain/chat-text.js';
import { formatDuration } from './format.js';

function subject(a: ListedAction): string {
  const where = a.region_slug ? ` (${escapeText(a.region_slug)})` : '';
  if (a.resource_id === null) return `${code(a.type)} on the account${where}`;
  const noun = a.resource_type === 'droplet' ? 'Droplet' : escapeText(a.resource_type.replace(/_/g, ' '));
  const id = a.resource_type === 'droplet' ? `<https://cloud.digitalocean.com/droplets/${a.resource_id}|${a.resource_id}>` : String(a.resource_id);
  return `${code(a.type)} on ${noun} ${id}${where}`;
}

function startedAt(a: ListedAction): string {
  const t = Date.parse(a.started_at);
  return Number.isNaN(t) ? '' : ` at ${new Date(t).toISOString().slice(11, 19)} UTC`;
}

function took(a: ListedAction): string {
  const ms = Date.parse(a.completed_at ?? '') - Date.parse(a.started_at);
  return Number.isNaN(ms) ? '' : ` after ${formatDuration(ms)}`;
}

/** The first line for an action: running, or already ended when first seen. */
export function activityStarted(a: ListedAction): string {
  const who = `started${startedAt(a)}, not by droplet-bot (action ${a.id})`;
  if (a.status === 'in-progress') return `:eyes: ${subject(a)} ${who}: in progress.`;
  if (a.status === 'completed') return `:eyes: ${subject(a)} ${who}: completed${took(a)}.`;
  return `:x: ${subject(a)} ${who}: *failed*${took(a)}.`;
}

/** The second line, for an action reported running that then failed. */
export function activityFailed(a: ListedAction): string {
  return `:x: ${subject(a)}, started${startedAt(a)} not by droplet-bot (action ${a.id}): *failed*${took(a)}.`;
}
