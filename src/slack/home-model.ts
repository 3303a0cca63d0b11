// What a person's Home tab shows, read live: their Droplets and the actions they may run on each,
// the requests and fleets waiting for their approval, and their own recent requests and fleets.
// Used by the receivers (when the tab is opened or clicked) and by the workers (when something of
// the person's ends), so both publish the same tab.
import { allowedHere, decide } from '../domain/rights.js';
import { mayDecide, type ApprovalSettings } from '../domain/approval-rules.js';
import type { AccessResolver } from '../domain/access.js';
import type { RecentCard } from '../domain/recent.js';
import { describeProgress, fleetLabel, progressOf } from '../domain/fleet/run.js';
import type { StoredApproval } from '../store/approvals.js';
import type { StoredFleet } from '../store/fleets.js';
import type { StoredRecent } from '../store/recent-requests.js';
import type { Droplet } from '../digitalocean/types.js';
import { HOME_PAGE_SIZE, HOME_RECENT_SHOWN, matchesFilter, type HomeApproval, type HomeDroplet, type HomeModel, type HomeRecent } from './renderers/home-view.js';

/** Requests waiting for a decision: their IDs (fleets' too), and each request's record. */
export interface ApprovalReader {
  pendingIds(max: number): Promise<string[]>;
  get(id: string): Promise<StoredApproval | undefined>;
}

export interface HomeSources {
  access: Pick<AccessResolver, 'of' | 'roleMap'>;
  droplets: () => Promise<Droplet[]>;
  approvals?: ApprovalReader;
  fleets?: { read(id: string): Promise<StoredFleet | undefined> };
  recent?: { list(user: string, max: number): Promise<StoredRecent[]> };
}

export type HomeState = { page: number; filter?: string; notice?: string };

/** How many waiting requests are read to find the ones this person may decide. */
const APPROVALS_READ = 50;
/** The Droplet list is read at most this often per process, however many people open the tab. */
export const DROPLET_LIST_TTL_MS = 10_000;

type Access = Awaited<ReturnType<AccessResolver['of']>>;

/** The requests and fleets this person may approve now (not their own), soonest deadline first. */
async function waitingFor(src: HomeSources, settings: ApprovalSettings | undefined, userId: string, access: Access): Promise<HomeApproval[]> {
  if (!src.approvals || !settings) return [];
  const may = (requester: string, action: HomeApproval['action']) =>
    requester !== userId && mayDecide(settings, access, { user: userId, requester, action, decision: 'approve' }).ok;
  const out: HomeApproval[] = [];
  for (const id of await src.approvals.pendingIds(APPROVALS_READ)) {
    const stored = await src.approvals.get(id);
    if (stored) {
      const { job } = stored.approval;
      if (stored.state === 'pending' && may(job.requester, job.action)) {
        out.push({ kind: 'request', id, action: job.action, target: job.droplet.name, dropletId: job.droplet.id, requester: job.requester, expiresAt: stored.approval.expiresAt, channel: job.channel, rootTs: job.rootTs });
      }
      continue;
    }
    // Not a request: the pending set holds fleets too.
    const fleet = await src.fleets?.read(id).catch(() => undefined);
    if (!fleet || fleet.status !== 'awaiting' || !fleet.approval || !may(fleet.plan.requester, fleet.plan.action)) continue;
    const where = fleet.approval.message ?? (fleet.rootTs ? { channel: fleet.plan.channel, ts: fleet.rootTs } : undefined);
    out.push({ kind: 'fleet', id, action: fleet.plan.action, target: fleetTarget(fleet), requester: fleet.plan.requester, expiresAt: fleet.approval.expiresAt, channel: where?.channel ?? fleet.plan.channel, rootTs: where?.ts ?? '' });
  }
  return out;
}

/** How a fleet chose its Droplets: `tagged web`, `named web-*`, `listed`. */
function selectorPhrase(f: StoredFleet): string {
  const s = f.plan.selector;
  return s.kind === 'tag' ? `tagged ${s.tag}` : s.kind === 'glob' ? `named ${s.pattern}` : 'listed';
}

/** `12 Droplets tagged web`, `3 Droplets named web-*`, `2 Droplets listed`. */
function fleetTarget(f: StoredFleet): string {
  const n = f.plan.targets.length;
  return `${n} Droplet${n === 1 ? '' : 's'} ${selectorPhrase(f)}`;
}

/** Where a request is, in a few words, from the newest the audit trail says of it. */
export function requestState(c: RecentCard): Pick<HomeRecent, 'state' | 'phase'> {
  switch (c.event) {
    case 'requested':
      return c.awaitingApproval ? { state: 'waiting for approval', phase: 'waiting' } : { state: 'queued', phase: 'waiting' };
    case 'approved':
      return { state: 'approved, queued', phase: 'waiting' };
    case 'posted':
    case 'post_failed':
    case 'refused':
      if (c.step !== undefined) return { state: `running, at step "${c.step}"`, phase: 'running' };
      if (c.event === 'posted') return { state: c.actionId ? `in progress (action ${c.actionId})` : 'in progress', phase: 'running' };
      return { state: c.event === 'refused' ? `refused${c.message ? `: ${c.message}` : ''}` : `errored${c.message ? `: ${c.message}` : ''}`, phase: 'failed' };
    case 'completed':
      return c.step !== undefined ? { state: `running, step "${c.step}" done`, phase: 'running' } : { state: 'completed', phase: 'done' };
    case 'errored':
      if (c.step !== undefined) return { state: `running, step "${c.step}" failed`, phase: 'running' };
      return { state: `errored${c.message ? `: ${c.message}` : ''}`, phase: 'failed' };
    case 'denied':
      return { state: 'denied', phase: 'failed' };
    case 'expired':
      return { state: 'expired: nobody decided in time', phase: 'failed' };
    case 'withdrawn':
      return { state: `not run${c.message ? `: ${c.message}` : ''}`, phase: 'failed' };
    case 'unreadable':
      return { state: 'could not be read by this version of the bot', phase: 'failed' };
  }
}

/** A fleet's live state from its record. */
function fleetState(f: StoredFleet | undefined): Pick<HomeRecent, 'state' | 'phase'> {
  if (!f) return { state: 'no longer on record', phase: 'done' };
  const counts = progressOf(f.states.values());
  const progress = describeProgress(counts);
  switch (f.status) {
    case 'awaiting':
      return { state: 'waiting for approval', phase: 'waiting' };
    case 'planned':
    case 'accepted':
      return { state: f.status === 'planned' ? 'planned' : 'approved, starting', phase: 'waiting' };
    case 'running':
    case 'aborting':
      return { state: `${f.status === 'running' ? 'running' : 'aborting'}: ${progress}`, phase: 'running' };
    case 'paused':
      return { state: `paused: ${progress}`, phase: 'failed' };
    case 'finished':
      return { state: `finished: ${progress}`, phase: counts.errored ? 'failed' : 'done' };
    case 'aborted':
      return { state: `aborted: ${progress}`, phase: 'failed' };
    case 'cancelled':
    case 'denied':
    case 'expired':
      return { state: f.status, phase: 'failed' };
  }
}

async function recentFor(src: HomeSources, userId: string): Promise<HomeRecent[]> {
  if (!src.recent) return [];
  const cards = await src.recent.list(userId, HOME_RECENT_SHOWN);
  const out: HomeRecent[] = [];
  for (const c of cards) {
    const where = { ...(c.channel ? { channel: c.channel } : {}), ...(c.ts ? { ts: c.ts } : {}) };
    if (c.kind === 'fleet') {
      const f = await src.fleets?.read(c.id).catch(() => undefined);
      out.push({ kind: 'fleet', id: c.id, at: c.at, action: c.action, target: f ? `${fleetLabel(f.plan)}, ${selectorPhrase(f)}` : `a fleet (${c.id})`, ...fleetState(f), ...where, ...(f?.rootTs ? { ts: f.rootTs } : {}) });
    } else {
      out.push({ kind: 'request', id: c.id, at: c.at, action: c.action, target: c.dropletName ?? '', ...(c.dropletId !== undefined ? { dropletId: c.dropletId } : {}), ...requestState(c), ...where });
    }
  }
  return out;
}

/** Everything the tab shows this person, read live. */
export async function homeModel(src: HomeSources, userId: string, state: HomeState): Promise<HomeModel> {
  const access = await src.access.of(userId);
  const map = src.access.roleMap;
  // Any channel: the form asks where to post, and checks that channel's guardrail then.
  const allowed = allowedHere(map, access.grants, undefined);
  // Someone whose rights were taken away still sees how their requests ended.
  const recent = await recentFor(src, userId);
  if (allowed.length === 0) return { hasRights: false, droplets: [], total: 0, page: 0, recent };
  const extra = {
    ...(state.notice ? { notice: state.notice } : {}),
    approvals: await waitingFor(src, map.approvals, userId, access),
    recent,
  };
  let all: Droplet[];
  try {
    all = await src.droplets();
  } catch {
    return { ...extra, hasRights: true, droplets: [], total: 0, page: 0, ...(state.filter ? { filter: state.filter } : {}), problem: 'Could not read your Droplets from DigitalOcean just now. Open this tab again in a minute.' };
  }
  const mine: HomeDroplet[] = all
    .map((d) => ({
      id: d.id,
      name: d.name,
      status: d.status,
      size: d.size_slug,
      region: d.region?.slug ?? '',
      tags: d.tags ?? [],
      actions: allowed.filter((a) => decide(map, access.grants, a, { droplet: d }).allowed),
    }))
    .filter((d) => d.actions.length > 0 && matchesFilter(d, state.filter))
    .sort((a, b) => a.name.localeCompare(b.name) || a.id - b.id);
  const pages = Math.max(1, Math.ceil(mine.length / HOME_PAGE_SIZE));
  const page = Math.min(state.page, pages - 1);
  return { ...extra, hasRights: true, droplets: mine.slice(page * HOME_PAGE_SIZE, (page + 1) * HOME_PAGE_SIZE), total: mine.length, page, ...(state.filter ? { filter: state.filter } : {}) };
}
