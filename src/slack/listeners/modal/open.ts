// Opening and refreshing the /droplet modal. A trigger_id lives 3 seconds, so views.open shows a
// loading view at once; the choices are then read from DigitalOcean and views.update fills it in.
import type { webApi } from '@slack/bolt';
import { displayName, type ActionType, type ParamKey } from '../../../domain/catalogue/index.js';
import { describeRef, type DropletRef } from '../../../domain/command.js';
import type { DigitalOceanCatalog, DropletDetail } from '../../../digitalocean/catalog.js';
import type { DigitalOceanClient } from '../../../digitalocean/client.js';
import { DigitalOceanError } from '../../../digitalocean/errors.js';
import { resolveDroplet } from '../../../digitalocean/resolve-droplet.js';
import type { Logger } from '../../../log.js';
import type { AccessResolver } from '../../../domain/access.js';
import { code } from '../../../domain/chat-text.js';
import type { FleetSelector } from '../../../domain/fleet/selector.js';
import type { RolloutInitial } from '../../renderers/modal/fleet-inputs.js';
import { actionModal, loadingView, problemView, type ModalModel } from '../../renderers/modal/action-modal.js';
import { loadChoices, type CatalogReader } from './choices.js';
import type { Prefill } from './prefill.js';
import type { OptionInitial } from '../../renderers/modal/procedure-inputs.js';

export interface ModalDeps {
  access: Pick<AccessResolver, 'of' | 'decide' | 'allowedHere' | 'roleMap'>;
  digitalocean: Pick<DigitalOceanClient, 'getDroplet' | 'findDropletsByName'>;
  catalog: CatalogReader & Pick<DigitalOceanCatalog, 'droplet' | 'droplets'>;
  /** Actions that wait for a second person, as the role map says now. */
  approvalActions: () => readonly ActionType[];
  logger: Logger;
}

export interface ModelInput {
  userId: string;
  /** Where the request goes; absent when the form was opened outside a channel (it then asks). */
  channel?: string;
  /** The channel picked in the form so far. */
  chosenChannel?: string;
  /** Opened on a message: the request goes in that message's thread. */
  threadTs?: string;
  action?: ActionType;
  dropletId?: number;
  /** Several Droplets instead of one: nothing is read for them until the plan is made. */
  selector?: FleetSelector;
  initial?: Partial<Record<ParamKey, string>>;
  rollout?: RolloutInitial;
  notice?: string;
  /** The action is shutdown as part of a graceful stop. */
  stop?: boolean;
  /** Procedure keys to fill in. */
  options?: OptionInitial;
}

/** Everything the modal shows for this user, action and Droplet (or fleet), read live. */
export async function modalModel(deps: ModalDeps, input: ModelInput): Promise<ModalModel> {
  // Only what this person may run from this channel: their roles here, within its guardrail.
  const allowed = await deps.access.allowedHere(input.userId, input.channel);
  let { action, notice } = input;
  // A graceful stop may end in power_off: it is offered only to whoever may send both.
  const stop = input.stop === true && action === 'shutdown';
  if (action && (!allowed.includes(action) || (stop && !allowed.includes('power_off')))) {
    const refused = await deps.access.decide(input.userId, stop ? ['shutdown', 'power_off'] : action, { channel: input.channel });
    notice = `${refused.reason ?? `You may not run \`${displayName(action)}\` here.`} Pick another action.`;
    action = undefined;
  }
  let droplet: DropletDetail | undefined;
  // Someone with no rights spends none of the shared DigitalOcean budget.
  if (input.dropletId !== undefined && allowed.length > 0) {
    try {
      droplet = await deps.catalog.droplet(input.dropletId);
    } catch (err) {
      if (!(err instanceof DigitalOceanError && err.isNotFound)) throw err;
      notice = `Droplet ${input.dropletId} no longer exists. Pick another one.`;
    }
  }
  // A fleet gets only the choices that do not depend on one Droplet (the rebuild images).
  const choices = action ? await loadChoices(deps.catalog, action, droplet) : undefined;
  const fleet = !droplet && input.dropletId === undefined ? input.selector : undefined;
  return {
    ...(input.channel ? { channel: input.channel } : {}),
    ...(input.chosenChannel ? { chosenChannel: input.chosenChannel } : {}),
    ...(input.threadTs ? { threadTs: input.threadTs } : {}),
    allowed,
    ...(action ? { action } : {}),
    ...(droplet ? { droplet } : {}),
    ...(fleet ? { fleet } : {}),
    ...(choices ? { choices } : {}),
    ...(input.initial ? { initial: input.initial } : {}),
    ...(input.rollout ? { rollout: input.rollout } : {}),
    ...(notice ? { notice } : {}),
    ...(stop && action ? { stop: true } : {}),
    ...(input.options ? { options: input.options } : {}),
    ...(deps.access.roleMap.safety ? { safety: deps.access.roleMap.safety } : {}),
    approvalActions: deps.approvalActions(),
  };
}

/** A typed Droplet name or ID -> its ID, or a note saying why it is not filled in. */
async function typedDroplet(deps: ModalDeps, ref: DropletRef): Promise<{ dropletId?: number; notice?: string }> {
  const resolved = await resolveDroplet(deps.digitalocean, ref);
  if (resolved.kind === 'found') return { dropletId: resolved.droplet.id };
  if (resolved.kind === 'not_found') return { notice: `No Droplet ${ref.kind === 'id' ? 'has the ID' : 'is named'} ${code(describeRef(ref))}. Pick one below.` };
  return { notice: `${resolved.candidates.length} Droplets are named ${code(describeRef(ref))}. Pick the one you mean below; each shows its region and ID.` };
}

export interface OpenInput {
  triggerId: string;
  userId: string;
  /** Absent when opened outside a channel (a global shortcut, the Home tab): the form asks. */
  channel?: string;
  /** Opened on a message (a message shortcut): the request goes in that message's thread. */
  threadTs?: string;
  prefill: Prefill;
  /**
   * Finds the Droplet to fill in (the one a message names), after the loading view is up and only
   * for someone who may act; a notice says why none is filled in.
   */
  locate?: () => Promise<{ dropletId?: number; notice?: string }>;
}

/** views.open with the loading view first, then views.update with the filled one. */
export async function openActionModal(deps: ModalDeps, client: webApi.WebClient, input: OpenInput): Promise<void> {
  const opened = await client.views.open({ trigger_id: input.triggerId, view: loadingView(input.channel, input.threadTs) });
  const viewId = opened.view?.id;
  if (!viewId) throw new Error('views.open returned no view');
  let view;
  try {
    // Rights first: a typed Droplet is looked up only for someone who may act on one.
    const mayAct = input.prefill.target || input.locate ? (await deps.access.allowedHere(input.userId, input.channel)).length > 0 : false;
    const typed = !mayAct ? {} : input.prefill.target ? await typedDroplet(deps, input.prefill.target) : input.locate ? await input.locate() : {};
    const model = await modalModel(deps, {
      userId: input.userId,
      ...(input.channel ? { channel: input.channel } : {}),
      ...(input.threadTs ? { threadTs: input.threadTs } : {}),
      ...(input.prefill.action ? { action: input.prefill.action } : {}),
      ...(typed.dropletId !== undefined ? { dropletId: typed.dropletId } : {}),
      ...(input.prefill.selector ? { selector: input.prefill.selector } : {}),
      ...(typed.notice ? { notice: typed.notice } : {}),
      ...(input.prefill.raw ? { initial: input.prefill.raw } : {}),
      ...(input.prefill.rollout ? { rollout: input.prefill.rollout } : {}),
      ...(input.prefill.stop ? { stop: true } : {}),
    });
    view = actionModal(model);
  } catch (err) {
    deps.logger.warn({ err: (err as Error).message, user: input.userId }, 'could not fill the modal');
    view = problemView(input.channel, 'Could not read your Droplets from DigitalOcean just now. Close this and try again in a minute, or type the command: `/droplet help` shows how.', input.threadTs);
  }
  await client.views.update({ view_id: viewId, ...(opened.view?.hash ? { hash: opened.view.hash } : {}), view });
}
