// The App Home tab: published for a person when they open it (app_home_opened), and again when
// they filter or page. Choosing an action in a Droplet's menu opens the same form as /droplet,
// filled in. views.publish is bounded: one call at a time per person, and clicks that come in
// meanwhile are folded into one more publish of the newest state.
import type { App, BlockAction, ButtonAction, OverflowAction, PlainTextInputAction } from '@slack/bolt';
import { ACTION_TYPES, type ActionType } from '../../domain/catalogue/index.js';
import type { Droplet } from '../../digitalocean/types.js';
import type { Logger } from '../../log.js';
import type { HomeViewers } from '../../store/home-viewers.js';
import { HOME_DROPLET_MENU, HOME_FILTER_INPUT, HOME_OTHER_ACTION, HOME_PAGE, decodeHomeState } from '../renderers/home-view.js';
import { DROPLET_LIST_TTL_MS, type HomeSources, type HomeState } from '../home-model.js';
import { publishHome } from '../home-publish.js';
import { openActionModal, type ModalDeps } from './modal/open.js';
import { cachedList } from '../cached-list.js';

export interface HomeDeps extends Omit<HomeSources, 'droplets'> {
  catalog: { droplets(): Promise<Droplet[]> };
  /** Where each person left their tab, so a worker can publish it again when something of theirs ends. */
  viewers?: Pick<HomeViewers, 'remember' | 'placeOf' | 'forgetDigest'>;
  modal: ModalDeps;
  logger: Logger;
}

/** Whether a click came from someone's Home tab (which has no thread to answer in). */
export function fromHomeTab(body: { view?: unknown }): boolean {
  return (body.view as { type?: string } | undefined)?.type === 'home';
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
        await publishHome(client, { ...deps, droplets }, deps.viewers, userId, current, true);
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
