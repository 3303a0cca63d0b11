// The /droplet modal: pick an action, pick a Droplet or a fleet selector (type-ahead), then the
// inputs that action needs, and for a fleet its batch and max_failures. Pure: a model in, a view
// out; listeners fetch the model's data and call views.update.
import type { types } from '@slack/bolt';
import { actionEntry, displayName, type ActionType } from '../../../domain/catalogue/index.js';
import type { DropletDetail } from '../../../digitalocean/catalog.js';
import { escapeText } from '../../../domain/chat-text.js';
import type { FleetSelector } from '../../../domain/fleet/selector.js';
import { ACTION_BLOCK, ACTION_SELECT, CHANNEL_BLOCK, CHANNEL_SELECT, DROPLET_BLOCK, DROPLET_SELECT, MODAL_CALLBACK_ID, STOP_VALUE, encodeMetadata } from './ids.js';
import { option, paramInputs, type Choices, type Initial } from './param-inputs.js';
import { dropletOption, PICKER_HINT, selectorOption } from './droplet-picker.js';
import { rolloutInputs, type RolloutInitial } from './fleet-inputs.js';
import { optionInputs, planNote, type OptionInitial, type Verb } from './procedure-inputs.js';
import { readOptions, type RequestOptions } from '../../../domain/procedures/options.js';
import { planRequest, type Safety } from '../../../domain/procedures/plan.js';
import { jobActions } from '../../../domain/job.js';

export interface ModalModel {
  /** Where the request goes; absent when the form was opened outside a channel (then it asks). */
  channel?: string;
  /** The channel picked in the form so far, when it asks for one. */
  chosenChannel?: string;
  /** Opened on a message: the request goes in that message's thread. */
  threadTs?: string;
  /** Actions this user may run; only these are offered. */
  allowed: ActionType[];
  action?: ActionType;
  droplet?: DropletDetail;
  /** Several Droplets at once instead of `droplet`: a tag, a name pattern or a list. */
  fleet?: FleetSelector;
  choices?: Choices;
  /** Values typed on the command line, to fill in. */
  initial?: Initial;
  /** A fleet's batch and max_failures, to fill in. */
  rollout?: RolloutInitial;
  /** Actions that wait for a second person (the role map's approvals). */
  approvalActions?: readonly ActionType[];
  /** A line at the top, e.g. why the typed Droplet is not filled in. Already mrkdwn-safe. */
  notice?: string;
  /** `action` is shutdown as part of a graceful stop (the procedure), not on its own. */
  stop?: boolean;
  /** Procedure keys (timeout, power_on, snapshot_first) to fill in. */
  options?: OptionInitial;
  /** The role map's safety section: which actions take a snapshot first by default. */
  safety?: Safety;
}

const TITLE = 'Droplet action';
const plain = (text: string): types.PlainTextElement => ({ type: 'plain_text', text });

/** What views.open shows at once, inside the 3 seconds a trigger_id lives; filled in by views.update. */
export function loadingView(channel: string | undefined, threadTs?: string): types.ModalView {
  return {
    type: 'modal',
    callback_id: MODAL_CALLBACK_ID,
    private_metadata: encodeMetadata({ channel, threadTs }),
    title: plain(TITLE),
    close: plain('Cancel'),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: ':hourglass_flowing_sand: Reading your Droplets from DigitalOcean…' } }],
  };
}

/** When the modal cannot be filled: what went wrong and what to do instead. */
export function problemView(channel: string | undefined, text: string, threadTs?: string): types.ModalView {
  return {
    type: 'modal',
    callback_id: MODAL_CALLBACK_ID,
    private_metadata: encodeMetadata({ channel, threadTs }),
    title: plain(TITLE),
    close: plain('Close'),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  };
}

/** Opened outside a channel: where to post the request (the current conversation, when Slack knows it). */
function channelInput(chosen: string | undefined): types.KnownBlock {
  return {
    type: 'input',
    block_id: CHANNEL_BLOCK,
    label: plain('Post the request in'),
    hint: plain('Its thread tells everyone what happened. The role map may allow some actions only in some channels.'),
    element: {
      type: 'conversations_select',
      action_id: CHANNEL_SELECT,
      placeholder: plain('Choose a channel'),
      default_to_current_conversation: true,
      filter: { include: ['public', 'private'], exclude_bot_users: true, exclude_external_shared_channels: true },
      ...(chosen ? { initial_conversation: chosen } : {}),
    },
  };
}

function actionOption(a: ActionType): types.PlainTextOption {
  return option(displayName(a), a, actionEntry(a).summary);
}

const STOP_SUMMARY = 'Shut down gracefully; power off if it is still on after a timeout';

/** The actions offered, with a graceful stop next to shutdown for whoever may send both it and power_off. */
function verbOptions(allowed: readonly ActionType[]): types.PlainTextOption[] {
  const stop = allowed.includes('shutdown') && allowed.includes('power_off');
  return allowed.flatMap((a) => (a === 'shutdown' && stop ? [option('stop', STOP_VALUE, STOP_SUMMARY), actionOption(a)] : [actionOption(a)]));
}

export function actionModal(m: ModalModel): types.ModalView {
  const base = { type: 'modal' as const, callback_id: MODAL_CALLBACK_ID, private_metadata: encodeMetadata({ channel: m.channel, threadTs: m.threadTs }), title: plain(TITLE), notify_on_close: true };
  if (m.allowed.length === 0) {
    return { ...base, close: plain('Close'), blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'You may not run any Droplet action yet. Ask an admin to give you a role in the role map.' } }] };
  }
  const blocks: types.KnownBlock[] = [];
  if (m.notice) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: m.notice } });
  if (!m.channel) blocks.push(channelInput(m.chosenChannel));
  const actionOptions = verbOptions(m.allowed);
  const verb = verbOf(m);
  const chosen = verb ? actionOptions.find((o) => o.value === verb) : undefined;
  blocks.push({
    type: 'input',
    block_id: ACTION_BLOCK,
    dispatch_action: true,
    label: plain('Action'),
    element: {
      type: 'static_select',
      action_id: ACTION_SELECT,
      placeholder: plain('Choose an action'),
      options: actionOptions,
      ...(chosen ? { initial_option: chosen } : {}),
    },
  });
  const needsApproval = m.action !== undefined && sendable(m).some((a) => (m.approvalActions ?? []).includes(a));
  if (m.action) {
    const summary = verb === 'stop' ? STOP_SUMMARY : actionEntry(m.action).summary;
    const approval = needsApproval ? ' · needs approval by a second person before it runs' : '';
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${escapeText(summary)}${approval}` }] });
  }
  const picked = m.droplet ? dropletOption(m.droplet) : m.fleet ? selectorOption(m.fleet) : undefined;
  blocks.push({
    type: 'input',
    block_id: DROPLET_BLOCK,
    dispatch_action: true,
    label: plain('Droplet'),
    hint: plain(PICKER_HINT),
    element: {
      type: 'external_select',
      action_id: DROPLET_SELECT,
      placeholder: plain('Choose a Droplet, or type tag:… for several'),
      min_query_length: 0,
      ...(picked ? { initial_option: picked } : {}),
    },
  });
  if (m.droplet) {
    const d = m.droplet;
    const image = d.image?.slug || [d.image?.distribution, d.image?.name].filter(Boolean).join(' ');
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${escapeText(d.status)} · ${escapeText(d.size_slug)} · ${escapeText(image || 'unknown image')} · ${escapeText(d.region.slug)}` }] });
  }
  const fleet = !m.droplet && m.fleet !== undefined;
  if (fleet) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Several Droplets: submitting shows you the plan with every Droplet it matches now. Nothing runs until you click Run on it.' }] });
  if (m.action) blocks.push(...paramInputs(m.action, m.droplet, m.choices ?? {}, m.initial ?? {}, fleet));
  if (verb && m.action && !fleet) {
    blocks.push(...optionInputs(verb, m.options ?? {}, m.safety));
    const plan = planNote(m.action, requestOptions(verb, m.options ?? {}), m.droplet, m.safety);
    if (plan) blocks.push(plan);
  }
  if (fleet) blocks.push(...rolloutInputs(m.rollout ?? {}));
  return { ...base, submit: plain(fleet ? 'Show the plan' : needsApproval ? 'Ask for approval' : 'Run'), close: plain('Cancel'), blocks };
}

/** The options as typed so far, read leniently: a value not yet valid counts as not given. */
function requestOptions(verb: Verb, raw: OptionInitial): RequestOptions {
  const read = readOptions(verb, raw);
  if (read.ok) return read.options;
  return verb === 'stop' ? { stop: true } : {};
}

/** What the form asks for: `stop` is a shutdown with the stop option. */
function verbOf(m: ModalModel): Verb | undefined {
  return m.stop && m.action === 'shutdown' ? 'stop' : m.action;
}

/** Every action the request may send on the Droplet picked: what approval looks at. */
function sendable(m: ModalModel): ActionType[] {
  const verb = verbOf(m);
  if (!m.action || !verb) return [];
  const planned = m.droplet ? planRequest({ body: { type: m.action } as never, options: requestOptions(verb, m.options ?? {}), droplet: m.droplet, ...(m.safety ? { safety: m.safety } : {}), now: Date.now() }) : undefined;
  return jobActions({ action: m.action, ...(planned?.kind === 'procedure' ? { procedure: planned.procedure } : {}) });
}
