// Block Kit for everything the bot says. Every piece of text that came from a user or from
// DigitalOcean passes through escapeText/code here.
import type { types } from '@slack/bolt';
import { actionEntry, displayName, type ActionBody, type ActionType } from '../../domain/catalogue/index.js';
import { commandUsage, describeRef } from '../../domain/command.js';
import type { Resolved } from '../../digitalocean/resolve-droplet.js';
import type { ActionJob } from '../../domain/job.js';
import { threadLink, type StoredAuditEntry } from '../../store/audit-log.js';
import { code, escapeText } from '../../domain/chat-text.js';

import type { Phase } from '../../requests/ports.js';
import { formatDuration } from './format.js';
import { checklist, planText, requestName } from './procedure-messages.js';

export type { Phase };

export interface Message {
  text: string;
  blocks?: types.KnownBlock[];
}

const ICON: Record<Phase, string> = {
  queued: ':hourglass_flowing_sand:',
  'in-progress': ':arrows_counterclockwise:',
  completed: ':white_check_mark:',
  errored: ':x:',
  'not run': ':no_entry_sign:',
};

export { formatDuration };

/** `size=s-2vcpu-4gb disk=true`, exactly the parameters that go to DigitalOcean. */
export function describeParams(body: ActionBody): string {
  const parts: string[] = [];
  const { type: _type, backup_policy, ...rest } = body;
  for (const [k, v] of Object.entries(rest)) parts.push(`${k}=${typeof v === 'string' && /\s/.test(v) ? `"${v}"` : String(v)}`);
  if (backup_policy) for (const [k, v] of Object.entries(backup_policy)) parts.push(`${k}=${String(v)}`);
  return parts.join(' ');
}

function dropletLabel(job: Pick<ActionJob, 'droplet'>): string {
  return `*${escapeText(job.droplet.name)}* (${job.droplet.id})`;
}

/** The channel message that anchors a request's thread; its last line shows the current state. */
export function rootMessage(job: ActionJob, phase: Phase, detail?: string): Message {
  const state = `${ICON[phase]} ${phase}${detail ? ` · ${detail}` : ''}`;
  const blocks: types.KnownBlock[] = [...requestBlocks(job), { type: 'context', elements: [{ type: 'mrkdwn', text: state }] }];
  if (job.approver) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `approved by <@${job.approver}>` }] });
  return { text: `${requestName(job)} on ${escapeText(job.droplet.name)}: ${phase}`, blocks };
}

/** Who asked for what, with the parameters sent; for a procedure, its plan and the checklist of its steps. */
export function requestBlocks(job: ActionJob): types.KnownBlock[] {
  const params = describeParams(job.body);
  const what = `<@${job.requester}> asked for *${requestName(job)}* on ${dropletLabel(job)}`;
  const blocks: types.KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: what + (params ? `\n${code(params)}` : '') } }];
  if (job.procedure) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: planText(job.droplet.name, job.procedure) }] });
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: checklist(job.procedure) } });
  }
  return blocks;
}

/** One line in the thread per transition. */
export function threadStatus(phase: Phase, detail: string): Message {
  return { text: `${ICON[phase]} *${phase}* · ${detail}` };
}

export function helpMessage(allowed: ActionType[], userId: string): Message {
  if (allowed.length === 0) {
    return {
      text:
        `You may not run any Droplet action yet, at least not in this channel. Ask an admin to give your user ID (${userId}) a role in the role map.\n` +
        'Commands look like `/droplet reboot web-1`; `/droplet can reboot web-1` says what decides it.',
    };
  }
  const stop = allowed.includes('shutdown') && allowed.includes('power_off');
  const lines = allowed.flatMap((a) => [
    ...(a === 'shutdown' && stop ? [`• \`${escapeText(commandUsage('stop'))}\` · Stop safely: shut down, wait until the Droplet reports itself off, power off only if it does not`] : []),
    `• \`${escapeText(commandUsage(a))}\` · ${actionEntry(a).summary}`,
  ]);
  return {
    text: [
      '*Droplet actions you may run in this channel*',
      ...lines,
      '',
      '`<droplet>` is a name or a numeric ID; many at once: `tag:<tag>`, `web-*` or `web-1,web-2`. Write values with spaces in double quotes: `name="nightly 1"`. Hyphens or underscores both work: `power-off`, `power_off`.',
      'A `resize` of a running Droplet shuts it down, resizes it and powers it on again (`power_on=false` leaves it off); `snapshot_first=true` on `rebuild` or `restore` takes a snapshot before the disk is overwritten.',
      'Your roles may cover only some Droplets: `/droplet can <action> <droplet>` says whether you may, and why. `/droplet history <droplet>` shows what was done to one.',
    ].join('\n'),
  };
}

/** `verb` is what the user typed after /droplet, e.g. power-off or history, to show the retry. */
export function unresolvedMessage(result: Exclude<Resolved, { kind: 'found' }>, verb: string): Message {
  const name = code(describeRef(result.ref));
  if (result.kind === 'not_found') {
    const hint = result.ref.kind === 'id' ? 'Check the ID, or use the Droplet\'s name.' : 'Names are exact and case-sensitive; you can also use the numeric ID.';
    return { text: `No Droplet ${result.ref.kind === 'id' ? 'has the ID' : 'is named'} ${name}. ${hint} Nothing was done.` };
  }
  const lines = result.candidates.map((d) => `• \`${d.id}\` in ${code(d.region.slug)} · ${escapeText(d.status)}, ${code(d.size_slug)}`);
  return {
    text: [
      `${result.candidates.length} Droplets are named ${name}. Nothing was done: run the command again with the ID of the one you mean, e.g. \`/droplet ${verb} ${result.candidates[0]!.id}\`.`,
      ...lines,
    ].join('\n'),
  };
}

/** The last entries of a Droplet's audit trail, newest first. */
export function historyMessage(dropletName: string, dropletId: number, entries: StoredAuditEntry[]): Message {
  if (entries.length === 0) return { text: `No requests for *${escapeText(dropletName)}* (${dropletId}) are on record yet.` };
  const lines = entries.map((e) => {
    const when = new Date(e.at).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
    const extra = [e.actionId === undefined ? '' : `action ${e.actionId}`, e.message ? escapeText(e.message) : ''].filter(Boolean).join(', ');
    const link = e.channel && e.ts ? ` · <${threadLink(e.channel, e.ts)}|thread>` : '';
    return `• ${when} · <@${e.user}> · ${escapeText(e.action.replace(/_/g, '-'))} · *${escapeText(e.event)}*${extra ? ` (${extra})` : ''}${link}`;
  });
  return { text: [`*Last ${entries.length} audit entries for ${escapeText(dropletName)}* (${dropletId})`, ...lines].join('\n') };
}
