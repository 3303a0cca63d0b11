// The App Home tab: published for a person when they open it (app_home_opened), and again when
// they filter or page. Choosing an action in a Droplet's menu opens the same form as /droplet,
// filled in. views.publish is bounded: one call at a time per person, and clicks that come in
// meanwhile are folded into one more publish of the newest state.
import type { App, BlockAction, ButtonAction, OverflowAction, PlainTextInputAction } from '@slack/bolt';
import { ACTION_TYPES, type ActionType } from '../../domain/catalogue/index.js';
import type { AccessResolver } from '../../domain/access.js';
import { allowedHere, decide } from '../../domain/rights.js';
import { mayDecide, type ApprovalSettings } from '../../domain/approval-rules.js';
import type { StoredApproval } from '../../store/approvals.js';
import type { Droplet } from '../../digitalocean/types.js';
import type { Logger } from '../../log.js';
import {
  HOME_DROPLET_MENU,
  HOME_FILTER_INPUT,
  HOME_OTHER_ACTION,
  HOME_PAGE,
  HOME_PAGE_SIZE,
  decodeHomeState,
  homeView,
  matchesFilter,
  type HomeApproval,
  type HomeDroplet,
  type HomeModel,
} from '../renderers/home-view.js';
import { openActionModal, type ModalDeps } from './modal/open.js';
import { cachedList } from './cached-list.js';

/** Requests waiting for a decision: their IDs, and each one's record. */
export interface ApprovalReader {
  pendingIds(max: number): Promise<string[]>;
  get(id: string): Promise<StoredApproval | undefined>;
}

export interface HomeDeps {
  access: Pick<AccessResolver, 'of' | 'roleMap'>;
  catalog: { droplets(): Promise<Droplet[]> };
  approvals?: ApprovalReader;
  modal: ModalDeps;
  logger: Logger;
}

/** The Droplet list is read at most this often per process, however many people open the tab. */
const DROPLET_LIST_TTL_MS = 10_000;

type HomeState = { page: number; filter?: string; notice?: string };

/** How many waiting requests are read to find the ones this person may decide. */
const APPROVALS_READ = 50;

/** The requests this person may approve now (not their own), soonest deadline first. */
async function waitingFor(reader: ApprovalReader | undefined, settings: ApprovalSettings | undefined, userId: string, access: Awaited<ReturnType<AccessResolver['of']>>): Promise<HomeApproval[]> {
  if (!reader || !settings) return [];
  const out: HomeApproval[] = [];
  for (const id of await reader.pendingIds(APPROVALS_READ)) {
    const stored = await reader.get(id);
    if (!stored || stored.state !== 'pending') continue;
    const { job } = stored.approval;
    if (job.requester === userId || !mayDecide(settings, access, { user: userId, requester: job.requester, action: job.action, decision: 'approve' }).ok) continue;
    out.push({
      id,
      action: job.action,
      dropletId: job.droplet.id,
      dropletName: job.droplet.name,
      requester: job.requester,
      expiresAt: stored.approval.expiresAt,
      channel: job.channel,
      rootTs: job.rootTs,
    });
  }
  return out;
}

/** Everything the tab shows this person, read live. */
export async function homeModel(deps: Pick<HomeDeps, 'access' | 'approvals'> & { droplets: () => Promise<Droplet[]> }, userId: string, state: HomeState): Promise<HomeModel> {
  const access = await deps.access.of(userId);
  const map = deps.access.roleMap;
  // Any channel: the form asks where to post, and checks that channel's guardrail then.
  const allowed = allowedHere(map, access.grants, undefined);
  if (allowed.length === 0) return { hasRights: false, droplets: [], total: 0, page: 0 };
  const extra = {
    ...(state.notice ? { notice: state.notice } : {}),
    approvals: await waitingFor(deps.approvals, map.approvals, userId, access),
  };
  let all: Droplet[];
  try {
    all = await deps.droplets();
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

export interface HomeTab {
  /** Publishes the person's tab again (after a decision made from it), with `notice` at the top. */
  republish(client: App['client'], userId: string, notice?: string): Promise<void>;
}

export function registerHome(app: App, deps: HomeDeps): HomeTab {
  const droplets = cachedList(() => deps.catalog.droplets(), DROPLET_LIST_TTL_MS);
  // One publish at a time per person; the newest state asked for meanwhile is published next.
  const running = new Map<string, { next?: HomeState }>();
  const publish = async (client: App['client'], userId: string, state: HomeState): Promise<void> => {
    const slot = running.get(userId);
    if (slot) {
      slot.next = state;
      return;
    }
    const mine: { next?: HomeState } = {};
    running.set(userId, mine);
    try {
      for (let current: HomeState | undefined = state; current; current = mine.next, delete mine.next) {
        const model = await homeModel({ access: deps.access, approvals: deps.approvals, droplets }, userId, current);
        await client.views.publish({ user_id: userId, view: homeView(model) });
      }
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message, user: userId }, 'could not publish the Home tab');
    } finally {
      running.delete(userId);
    }
  };

  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    await publish(client, event.user, decodeHomeState((event.view as { private_metadata?: string } | undefined)?.private_metadata));
  });

  app.action<BlockAction<PlainTextInputAction>>({ type: 'block_actions', action_id: HOME_FILTER_INPUT }, async ({ ack, body, action, client }) => {
    await ack();
    await publish(client, body.user.id, { page: 0, ...(action.value?.trim() ? { filter: action.value.trim().slice(0, 100) } : {}) });
  });

  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: new RegExp(`^${HOME_PAGE}:`) }, async ({ ack, body, action, client }) => {
    await ack();
    await publish(client, body.user.id, decodeHomeState(action.value));
  });

  app.action<BlockAction<OverflowAction>>({ type: 'block_actions', action_id: HOME_DROPLET_MENU }, async ({ ack, body, action, client }) => {
    await ack();
    const [verb, id] = (action.selected_option?.value ?? '').split(':');
    const dropletId = Number(id);
    if (!Number.isSafeInteger(dropletId) || dropletId <= 0) return;
    const chosen = verb !== HOME_OTHER_ACTION && (ACTION_TYPES as readonly string[]).includes(verb ?? '') ? (verb as ActionType) : undefined;
    try {
      // No channel here: the form asks where to post the request.
      await openActionModal(deps.modal, client, { triggerId: body.trigger_id, userId: body.user.id, prefill: { ...(chosen ? { action: chosen } : {}), target: { kind: 'id', id: dropletId } } });
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message, user: body.user.id }, 'could not open the form from the Home tab');
    }
  });
  return { republish: (client, userId, notice) => publish(client, userId, { page: 0, ...(notice ? { notice } : {}) }) };
}
