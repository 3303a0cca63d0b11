// The /droplet modal: pick an action, pick a Droplet or a fleet selector (type-ahead), then the
// inputs that action needs, and for a fleet its batch and max_failures. Pure: a model in, a view
// out; listeners fetch the model's data and call views.update.
import type { types } from '@slack/bolt';
import { actionEntry, displayName, type ActionType } from '../../../domain/catalogue/index.js';
import type { DropletDetail } from '../../../digitalocean/catalog.js';
import { escapeText } from '../../../domain/chat-text.js';
import type { FleetSelector } from '../../../domain/fleet/selector.js';
import { ACTION_BLOCK, ACTION_SELECT, DROPLET_BLOCK, DROPLET_SELECT, MODAL_CALLBACK_ID, encodeMetadata } from './ids.js';
import { option, paramInputs, type Choices, type Initial } from './param-inputs.js';
import { dropletOption, PICKER_HINT, selectorOption } from './droplet-picker.js';
import { rolloutInputs, type RolloutInitial } from './fleet-inputs.js';

export interface ModalModel {
  channel: string;
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
}

const TITLE = 'Droplet action';
const plain = (text: string): types.PlainTextElement => ({ type: 'plain_text', text });

/** What views.open shows at once, inside the 3 seconds a trigger_id lives; filled in by views.update. */
export function loadingView(channel: string): types.ModalView {
  return {
    type: 'modal',
    callback_id: MODAL_CALLBACK_ID,
    private_metadata: encodeMetadata({ channel }),
    title: plain(TITLE),
    close: plain('Cancel'),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: ':hourglass_flowing_sand: Reading your Droplets from DigitalOcean…' } }],
  };
}

/** When the modal cannot be filled: what went wrong and what to do instead. */
export function problemView(channel: string, text: string): types.ModalView {
  return {
    type: 'modal',
    callback_id: MODAL_CALLBACK_ID,
    private_metadata: encodeMetadata({ channel }),
    title: plain(TITLE),
    close: plain('Close'),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  };
}

function actionOption(a: ActionType): types.PlainTextOption {
  return option(displayName(a), a, actionEntry(a).summary);
}

export function actionModal(m: ModalModel): types.ModalView {
  const base = { type: 'modal' as const, callback_id: MODAL_CALLBACK_ID, private_metadata: encodeMetadata({ channel: m.channel }), title: plain(TITLE), notify_on_close: true };
  if (m.allowed.length === 0) {
    return { ...base, close: plain('Close'), blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'You may not run any Droplet action yet. Ask an admin to give you a role in the role map.' } }] };
  }
  const blocks: types.KnownBlock[] = [];
  if (m.notice) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: m.notice } });
  const actionOptions = m.allowed.map(actionOption);
  const chosen = m.action ? actionOptions.find((o) => o.value === m.action) : undefined;
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
  const needsApproval = m.action !== undefined && (m.approvalActions ?? []).includes(m.action);
  if (m.action) {
    const spec = actionEntry(m.action);
    const approval = needsApproval ? ' · needs approval by a second person before it runs' : '';
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${escapeText(spec.summary)}${approval}` }] });
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
  if (fleet) blocks.push(...rolloutInputs(m.rollout ?? {}));
  return { ...base, submit: plain(fleet ? 'Show the plan' : needsApproval ? 'Ask for approval' : 'Run'), close: plain('Cancel'), blocks };
}
