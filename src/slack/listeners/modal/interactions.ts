// The /droplet modal's listeners: action or Droplet changed (views.update), the Droplet
// type-ahead (block_suggestion, served from DigitalOcean, with fleet selectors), submission
// (checked with the same validateParams as typed commands; problems go next to their fields and
// nothing is queued; a fleet is planned and its plan shown) and closing.
import type { App, BlockAction, StaticSelectAction, ExternalSelectAction } from '@slack/bolt';
import { allowedHere, decide, refusalText } from '../../../domain/rights.js';
import type { Selectable } from '../../../domain/fleet/selector.js';
import { actionBody, validateParams } from '../../../domain/catalogue/index.js';
import type { Droplet } from '../../../digitalocean/types.js';
import { resultText, submitAction, type ActionRequest, type SubmitDeps } from '../../../requests/submit-action.js';
import type { Intake } from '../../../store/intake.js';
import type { AfterAck } from '../../after-ack.js';
import { actionModal } from '../../renderers/modal/action-modal.js';
import { pickerOptions } from '../../renderers/modal/droplet-picker.js';
import { ACTION_BLOCK, ACTION_SELECT, CHANNEL_BLOCK, DROPLET_BLOCK, DROPLET_SELECT, MODAL_CALLBACK_ID, decodeMetadata } from '../../renderers/modal/ids.js';
import type { PlanFleetDeps } from '../../../requests/plan-fleet.js';
import { fieldErrors, readTarget, readValues, readVerb, type ModalValues, type StateValues } from './read-values.js';
import { OPTION_KEYS, readOptions, type RequestOptions } from '../../../domain/procedures/options.js';
import { checkFleetInputs, showFleetPlan } from './submit-fleet.js';
import { failureText, requestIdFor } from '../failure-text.js';
import { modalModel, type ModalDeps } from './open.js';
import { recordInTime } from '../record-request.js';
import { chatOps } from '../../chat-ops.js';
import { cachedList } from '../../cached-list.js';

export interface ModalListenerDeps extends ModalDeps {
  submit: SubmitDeps;
  /** Fleets picked in the form are planned as typed fleet commands are. */
  plan: PlanFleetDeps;
  intake: Pick<Intake, 'receive' | 'withdraw'>;
  afterAck: AfterAck;
}

/** The type-ahead asks on every keystroke; the Droplet list is read at most this often per process. */
const DROPLET_LIST_TTL_MS = 10_000;

export function registerModalListeners(app: App, deps: ModalListenerDeps): void {
  const refresh = async ({ ack, body, client }: { ack: () => Promise<void>; body: BlockAction; client: App['client'] }) => {
    await ack();
    const view = body.view;
    const meta = decodeMetadata(view?.private_metadata);
    if (!view || !meta) return;
    const values = readValues(view.state?.values as StateValues);
    // The changed element's own value is the freshest, whatever the state map says.
    const changed = body.actions[0] as StaticSelectAction | ExternalSelectAction | undefined;
    const picked = changed?.selected_option?.value;
    const verb = changed?.action_id === ACTION_SELECT ? readVerb(picked) : values;
    const action = verb.action;
    const target = changed?.action_id === DROPLET_SELECT ? readTarget(picked) : values;
    try {
      const model = await modalModel(deps, {
        userId: body.user.id,
        ...(meta.channel ? { channel: meta.channel } : {}),
        ...(meta.threadTs ? { threadTs: meta.threadTs } : {}),
        ...(values.channel ? { chosenChannel: values.channel } : {}),
        ...(action ? { action } : {}),
        ...(target.dropletId !== undefined ? { dropletId: target.dropletId } : {}),
        ...(target.selector ? { selector: target.selector } : {}),
        initial: action === values.action ? values.raw : {},
        rollout: values.rollout,
        ...(verb.stop ? { stop: true } : {}),
        options: action === values.action && verb.stop === values.stop ? values.options : {},
      });
      await client.views.update({ view_id: view.id, hash: view.hash, view: actionModal(model) });
    } catch (err) {
      // hash_conflict: a newer change already updated the view, which is what the user sees.
      deps.logger.warn({ err: (err as Error).message, user: body.user.id }, 'could not update the modal');
    }
  };
  app.action<BlockAction>({ type: 'block_actions', action_id: ACTION_SELECT }, refresh);
  app.action<BlockAction>({ type: 'block_actions', action_id: DROPLET_SELECT }, refresh);

  const droplets = cachedList(() => deps.catalog.droplets(), DROPLET_LIST_TTL_MS);
  app.options<'block_suggestion'>({ type: 'block_suggestion', action_id: DROPLET_SELECT }, async ({ ack, body }) => {
    try {
      const view = (body as { view?: { private_metadata?: string; state?: { values?: unknown } } }).view;
      // The form's channel, or the one picked in it (with none yet, rights alone decide).
      const channel = decodeMetadata(view?.private_metadata)?.channel ?? readValues((view?.state?.values ?? {}) as StateValues).channel;
      const access = await deps.access.of(body.user.id);
      const map = deps.access.roleMap;
      const here = allowedHere(map, access.grants, channel);
      // Someone with no rights here spends none of the shared DigitalOcean budget.
      if (here.length === 0) {
        await ack({ options: [] });
        return;
      }
      // Only the Droplets the chosen action (or, with none chosen yet, some allowed action) may touch from here.
      const chosen = readValues((view?.state?.values ?? {}) as StateValues).action;
      const actions = chosen && here.includes(chosen) ? [chosen] : here;
      const mayTouch = (d: Droplet | Selectable) => actions.some((a) => decide(map, access.grants, a, { droplet: d, ...(channel ? { channel } : {}) }).allowed);
      await ack({ options: pickerOptions(body.value, await droplets(), mayTouch) });
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message }, 'could not list Droplets for the picker');
      await ack({ options: [] });
    }
  });

  app.view({ type: 'view_submission', callback_id: MODAL_CALLBACK_ID }, async ({ ack, body, view, client }) => {
    const user = body.user.id;
    const meta = decodeMetadata(view.private_metadata);
    const values = readValues(view.state.values as StateValues);
    const errors: Record<string, string> = {};
    if (!meta) errors[ACTION_BLOCK] = 'This form is out of date. Close it and type /droplet again.';
    // Opened outside a channel (a shortcut, the Home tab): the channel picked in the form.
    const channel = meta?.channel ?? values.channel;
    if (meta && !channel) errors[CHANNEL_BLOCK] = 'Choose the channel to post the request in.';
    if (!values.action) errors[ACTION_BLOCK] ??= 'Choose an action.';
    if (values.dropletId === undefined && !values.selector) errors[DROPLET_BLOCK] = values.problem ?? 'Choose a Droplet.';
    let params;
    let requestOptions: RequestOptions | undefined;
    if (values.action) {
      const checked = validateParams(values.action, values.raw);
      if (checked.ok) params = checked.params;
      else for (const [block, message] of Object.entries(fieldErrors(checked.problems, values.blockOf))) errors[block] = errors[block] ? `${errors[block]} ${message}` : message;
      const options = readOptions(values.stop ? 'stop' : values.action, values.options);
      if (options.ok) requestOptions = options.options;
      else for (const message of options.problems) errors[optionBlock(values, message)] = message;
      // The action from this channel here; on the Droplet itself (its tags now) the request checks again.
      const decision = await deps.access.decide(user, values.stop ? ['shutdown', 'power_off'] : values.action, channel ? { channel } : {});
      // A channel's guardrail refuses it there: said next to the channel picked, when the form asked for one.
      if (!decision.allowed) errors[!meta?.channel && decision.guardrail && !decision.guardrail.allows ? CHANNEL_BLOCK : ACTION_BLOCK] = refusalText(decision.reason, decision.access.unchecked);
    }
    const fleet = values.selector ? checkFleetInputs(values.action, values) : undefined;
    for (const [block, message] of Object.entries(fleet?.errors ?? {})) errors[block] = errors[block] ? `${errors[block]} ${message}` : message;
    const target =
      values.selector && fleet?.rollout ? { kind: 'fleet' as const, selector: values.selector, rollout: fleet.rollout }
      : values.dropletId !== undefined && !values.selector ? { kind: 'droplet' as const, id: values.dropletId }
      : undefined;
    if (Object.keys(errors).length || !meta || !channel || !values.action || !params || !target) {
      await ack({ response_action: 'errors', errors });
      return;
    }
    if (target.kind === 'fleet') {
      await ack();
      const submission = { userId: user, channelId: channel, action: values.action, body: actionBody(values.action, params), selector: target.selector, rollout: target.rollout };
      await deps.afterAck(() => showFleetPlan(deps, client, submission));
      return;
    }
    const request: ActionRequest = {
      // One modal is one request, however often its submission arrives.
      requestId: requestIdFor(`view:${view.id}`),
      userId: user,
      channelId: channel,
      action: values.action,
      target: { kind: 'id', id: target.id },
      body: actionBody(values.action, params),
      ...(requestOptions && Object.keys(requestOptions).length ? { options: requestOptions } : {}),
      // Opened on a message: the request goes in that message's thread.
      ...(meta.threadTs && meta.channel === channel ? { threadTs: meta.threadTs } : {}),
    };
    let fresh;
    try {
      // Durable before the form closes: from here on a worker finishes it if this process dies.
      fresh = await recordInTime(deps.intake, request, deps.submit.holder, deps.logger);
    } catch (err) {
      deps.logger.warn({ user, err: (err as Error).message }, 'could not record a modal submission');
      await ack({ response_action: 'errors', errors: { [ACTION_BLOCK]: 'The job store (Redis) is unavailable, so this could not be recorded. Nothing was done; try again in a minute.' } });
      return;
    }
    await ack();
    if (!fresh) return;
    // The form is closed by now: say it in the channel, or in a direct message when the bot cannot post there.
    const tell = (text: string) => chatOps(client).tell(channel, user, text).catch((err) => deps.logger.warn({ err: (err as Error).message, user }, 'could not tell the user'));
    await deps.afterAck(async () => {
      try {
        const said = resultText(await submitAction(deps.submit, request));
        if (said) await tell(said);
      } catch (err) {
        deps.logger.error({ err: (err as Error).message, user }, 'modal submission failed');
        await tell(failureText(err));
      }
    });
  });

  app.view({ type: 'view_closed', callback_id: MODAL_CALLBACK_ID }, async ({ ack, body }) => {
    await ack();
    deps.logger.debug({ user: body.user.id }, 'modal closed without submitting; nothing was done');
  });
}

/** The block a procedure key's problem belongs next to: the one whose key the message names. */
function optionBlock(values: ModalValues, message: string): string {
  const key = OPTION_KEYS.find((k) => message.startsWith(k) || message.includes(` ${k}=`));
  return (key && values.optionBlockOf[key]) || ACTION_BLOCK;
}
