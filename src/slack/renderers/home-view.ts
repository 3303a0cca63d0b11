// The App Home tab, per person: the Droplets their roles reach (paged, filterable by tag or
// name), each with a menu of the actions they may run on it. Someone with no rights gets a short
// explanation instead. Pure: a model in, a view out, never more blocks than Slack allows.
import type { types } from '@slack/bolt';
import { displayName, type ActionType } from '../../domain/catalogue/index.js';
import { escapeText } from '../../domain/chat-text.js';
import { threadLink } from '../../store/audit-log.js';
import { APPROVE_ACTION_ID, DENY_ACTION_ID } from './approval-messages.js';
import { FLEET_APPROVE, FLEET_DENY } from './fleet-messages.js';

export const HOME_FILTER_BLOCK = 'home_filter';
export const HOME_FILTER_INPUT = 'home_filter_input';
export const HOME_PAGE = 'home_page';
export const HOME_DROPLET_MENU = 'home_droplet_menu';
/** The menu's last option: the form with the Droplet filled in and no action chosen. */
export const HOME_OTHER_ACTION = 'other';
/** Droplets per page: with the rest of the tab, well inside Slack's 100 blocks. */
export const HOME_PAGE_SIZE = 20;
/** Slack's limit for any view. */
export const MAX_VIEW_BLOCKS = 100;
/** An overflow menu holds at most 5 options: 4 actions and "Other action…". */
const MENU_ACTIONS = 4;
/** The actions put first in a Droplet's menu, in this order, when the person may run them. */
const FIRST_CHOICES: readonly ActionType[] = ['reboot', 'power_cycle', 'shutdown', 'power_on', 'power_off', 'snapshot'];

export interface HomeDroplet {
  id: number;
  name: string;
  status: string;
  size: string;
  region: string;
  tags: readonly string[];
  /** What this person may run on it. */
  actions: readonly ActionType[];
}

/** A request or fleet waiting for this person's decision. */
export interface HomeApproval {
  kind: 'request' | 'fleet';
  /** The approval's ID, or the fleet's. */
  id: string;
  action: ActionType;
  /** What it runs on, as text (escaped here): a Droplet's name, `12 Droplets tagged web`. */
  target: string;
  /** The Droplet's ID, for a request. */
  dropletId?: number;
  requester: string;
  expiresAt: number;
  channel: string;
  rootTs: string;
}

/** One of the person's own recent requests or fleets. */
export interface HomeRecent {
  kind: 'request' | 'fleet';
  id: string;
  /** When it was asked, ms. */
  at: number;
  action: string;
  /** What it runs on, as text (escaped here). */
  target: string;
  /** The Droplet's ID, for a request. */
  dropletId?: number;
  /** Where it is, in a few words (escaped here). */
  state: string;
  phase: 'waiting' | 'running' | 'done' | 'failed';
  channel?: string;
  ts?: string;
}

/** Recent requests shown at most (1 block each). */
export const HOME_RECENT_SHOWN = 8;

const PHASE_ICON: Record<HomeRecent['phase'], string> = {
  waiting: ':hourglass_flowing_sand:',
  running: ':arrows_counterclockwise:',
  done: ':white_check_mark:',
  failed: ':x:',
};

/** Approvals shown at most (2 blocks each); the rest are counted. */
export const HOME_APPROVALS = 5;

export interface HomeModel {
  /** Requests waiting for this person's decision, oldest first. */
  approvals?: readonly HomeApproval[];
  /** Their own requests and fleets, newest first. */
  recent?: readonly HomeRecent[];
  /** A line at the top: what happened to the person's last click here. Already mrkdwn-safe. */
  notice?: string;
  /** Whether the person may run anything at all; without rights the tab explains how to get them. */
  hasRights: boolean;
  /** This page of their Droplets (already filtered). */
  droplets: readonly HomeDroplet[];
  /** How many of their Droplets match the filter, over all pages. */
  total: number;
  /** 0-based. */
  page: number;
  filter?: string;
  /** When DigitalOcean could not be read: what to say instead of the list. */
  problem?: string;
}

const plain = (text: string): types.PlainTextElement => ({ type: 'plain_text', text });
const mrkdwn = (text: string): types.MrkdwnElement => ({ type: 'mrkdwn', text });

/** What a page button and the tab's metadata carry: the page and the filter. */
export function encodeHomeState(page: number, filter: string | undefined): string {
  return JSON.stringify({ p: page, ...(filter ? { f: filter } : {}) });
}

export function decodeHomeState(text: string | undefined): { page: number; filter?: string } {
  try {
    const o = JSON.parse(text ?? '') as { p?: unknown; f?: unknown };
    const page = typeof o.p === 'number' && Number.isInteger(o.p) && o.p >= 0 ? o.p : 0;
    return { page, ...(typeof o.f === 'string' && o.f.trim() ? { filter: o.f.trim().slice(0, 100) } : {}) };
  } catch {
    return { page: 0 };
  }
}

/** Whether a Droplet matches what was typed: part of its name, or `tag:x` (or a bare tag) it carries. */
export function matchesFilter(d: Pick<HomeDroplet, 'name' | 'tags'>, filter: string | undefined): boolean {
  const f = filter?.trim().toLowerCase();
  if (!f) return true;
  if (f.startsWith('tag:')) return d.tags.some((t) => t.toLowerCase() === f.slice(4));
  return d.name.toLowerCase().includes(f) || d.tags.some((t) => t.toLowerCase() === f);
}

/** The actions a Droplet's menu offers: the common ones first, then "Other action…" for the rest. */
export function menuActions(actions: readonly ActionType[]): { first: ActionType[]; more: boolean } {
  const ordered = [...FIRST_CHOICES.filter((a) => actions.includes(a)), ...actions.filter((a) => !FIRST_CHOICES.includes(a))];
  return { first: ordered.slice(0, MENU_ACTIONS), more: ordered.length > 0 };
}

function dropletBlock(d: HomeDroplet): types.KnownBlock {
  // Bounded whatever DigitalOcean holds: a section's text may not pass 3000 characters.
  const shown = d.tags.slice(0, 10).map((t) => `\`${escapeText(t.slice(0, 60))}\``);
  const tags = shown.length ? ` · ${shown.join(' ')}${d.tags.length > shown.length ? ` +${d.tags.length - shown.length}` : ''}` : '';
  const head = `*${escapeText(d.name.slice(0, 255))}* (${d.id})\n${escapeText(d.status)} · ${escapeText(d.size)} · ${escapeText(d.region)}`;
  const text = head.length + tags.length <= 3000 ? `${head}${tags}` : `${head} · ${d.tags.length} tags`;
  const { first, more } = menuActions(d.actions);
  const options = [
    ...first.map((a) => ({ text: plain(displayName(a)), value: `${a}:${d.id}` })),
    ...(more ? [{ text: plain('Other action…'), value: `${HOME_OTHER_ACTION}:${d.id}` }] : []),
  ];
  return {
    type: 'section',
    block_id: `droplet:${d.id}`,
    text: mrkdwn(text),
    ...(options.length ? { accessory: { type: 'overflow', action_id: HOME_DROPLET_MENU, options } } : {}),
  };
}

function approvalBlocks(approvals: readonly HomeApproval[]): types.KnownBlock[] {
  if (approvals.length === 0) return [];
  const blocks: types.KnownBlock[] = [{ type: 'header', text: plain('Waiting for your approval') }];
  for (const a of approvals.slice(0, HOME_APPROVALS)) {
    const until = new Date(a.expiresAt).toISOString().slice(11, 16);
    const link = a.rootTs ? ` · <${threadLink(a.channel, a.rootTs)}|thread>` : '';
    const fleet = a.kind === 'fleet';
    blocks.push({
      type: 'section',
      block_id: `approval:${a.id}`.slice(0, 255),
      text: mrkdwn(`*${escapeText(displayName(a.action))}*${fleet ? ' fleet' : ''} on *${escapeText(a.target.slice(0, 200))}*${a.dropletId !== undefined ? ` (${a.dropletId})` : ''}, asked by <@${a.requester}>, until ${until} UTC${link}`),
    });
    blocks.push({
      type: 'actions',
      block_id: `approval-buttons:${a.id}`.slice(0, 255),
      elements: [
        { type: 'button', action_id: fleet ? FLEET_APPROVE : APPROVE_ACTION_ID, text: plain('Approve'), style: 'primary', value: a.id },
        { type: 'button', action_id: fleet ? FLEET_DENY : DENY_ACTION_ID, text: plain('Deny'), style: 'danger', value: a.id },
      ],
    });
  }
  if (approvals.length > HOME_APPROVALS) blocks.push({ type: 'context', elements: [mrkdwn(`And ${approvals.length - HOME_APPROVALS} more, in their channels.`)] });
  blocks.push({ type: 'header', text: plain('Your Droplets') });
  return blocks;
}

function recentBlocks(recent: readonly HomeRecent[]): types.KnownBlock[] {
  if (recent.length === 0) return [];
  const blocks: types.KnownBlock[] = [{ type: 'header', text: plain('Your recent requests') }];
  for (const r of recent.slice(0, HOME_RECENT_SHOWN)) {
    const when = new Date(r.at).toISOString().slice(11, 16);
    const link = r.channel && r.ts ? ` · <${threadLink(r.channel, r.ts)}|thread>` : '';
    const what = r.kind === 'fleet' ? escapeText(r.target.slice(0, 200)) : `${escapeText(displayName(r.action as ActionType))}${r.target ? ` on *${escapeText(r.target.slice(0, 200))}*` : ''}${r.dropletId !== undefined ? ` (${r.dropletId})` : ''}`;
    blocks.push({
      type: 'section',
      block_id: `recent:${r.kind}:${r.id}`.slice(0, 255),
      text: mrkdwn(`${PHASE_ICON[r.phase]} ${what} · ${escapeText(r.state.slice(0, 300))} · asked ${when} UTC${link}`),
    });
  }
  return blocks;
}

export function homeView(m: HomeModel): types.HomeView {
  const blocks: types.KnownBlock[] = [{ type: 'header', text: plain('Droplets') }];
  if (!m.hasRights) {
    blocks.push({
      type: 'section',
      text: mrkdwn(
        "You may not run any Droplet action yet, so there is nothing to list here. An admin gives you a role in the bot's role map (`roles.yml`, or the `ROLE_MAP_YAML` setting); this tab then shows the Droplets your roles reach, with the actions you may run on each.",
      ),
    });
    blocks.push(...recentBlocks(m.recent ?? []));
    return { type: 'home', blocks };
  }
  if (m.notice) blocks.push({ type: 'section', text: mrkdwn(m.notice) });
  blocks.push(...approvalBlocks(m.approvals ?? []));
  const pages = Math.max(1, Math.ceil(m.total / HOME_PAGE_SIZE));
  const page = Math.min(m.page, pages - 1);
  blocks.push({
    type: 'input',
    block_id: HOME_FILTER_BLOCK,
    dispatch_action: true,
    optional: true,
    label: plain('Filter by name or tag'),
    element: {
      type: 'plain_text_input',
      action_id: HOME_FILTER_INPUT,
      placeholder: plain('web, or tag:env:prod, then Enter'),
      dispatch_action_config: { trigger_actions_on: ['on_enter_pressed'] },
      ...(m.filter ? { initial_value: m.filter } : {}),
    },
  });
  if (m.problem) {
    blocks.push({ type: 'section', text: mrkdwn(m.problem) });
  } else if (m.total === 0) {
    blocks.push({ type: 'section', text: mrkdwn(m.filter ? `None of your Droplets matches \`${escapeText(m.filter)}\`.` : 'Your roles reach no Droplet on this account.') });
  } else {
    const from = page * HOME_PAGE_SIZE + 1;
    const to = Math.min(m.total, from + m.droplets.length - 1);
    blocks.push({ type: 'context', elements: [mrkdwn(`${from}–${to} of ${m.total}${m.filter ? ` matching \`${escapeText(m.filter)}\`` : ''}. Each menu holds the actions you may run; choosing one opens the same form as \`/droplet\`.`)] });
    for (const d of m.droplets.slice(0, HOME_PAGE_SIZE)) blocks.push(dropletBlock(d));
    const nav: types.Button[] = [];
    if (page > 0) nav.push({ type: 'button', action_id: `${HOME_PAGE}:prev`, text: plain('Previous'), value: encodeHomeState(page - 1, m.filter) });
    if (page < pages - 1) nav.push({ type: 'button', action_id: `${HOME_PAGE}:next`, text: plain('Next'), value: encodeHomeState(page + 1, m.filter) });
    if (nav.length) blocks.push({ type: 'actions', block_id: HOME_PAGE, elements: nav });
  }
  blocks.push(...recentBlocks(m.recent ?? []));
  return { type: 'home', private_metadata: encodeHomeState(page, m.filter), blocks: blocks.slice(0, MAX_VIEW_BLOCKS) };
}
