// Names shared by the modal's builder, its listeners and the tests: callback, block and action
// IDs, and what travels in private_metadata.

export const MODAL_CALLBACK_ID = 'droplet_action_modal';
export const ACTION_BLOCK = 'action_block';
export const ACTION_SELECT = 'action_select';
export const DROPLET_BLOCK = 'droplet_block';
export const DROPLET_SELECT = 'droplet_select';
/** Where the request is posted, asked only when the form was opened outside a channel (a global shortcut, the Home tab). */
export const CHANNEL_BLOCK = 'channel_block';
export const CHANNEL_SELECT = 'channel_select';

/** A fleet's rollout inputs (`batch`, `max_failures`): block_id and action_id are both `rollout:<key>`. */
export const ROLLOUT_PREFIX = 'rollout:';

/** The last part of a per-Droplet input's block_id when the form is for several Droplets. */
export const FLEET_BLOCK_SUFFIX = 'fleet';

/** Parameter inputs have action_id `param:<key>`; their block_id also names what their options depend on. */
export const PARAM_ACTION_PREFIX = 'param:';

/** Procedure keys (timeout=, power_on=, snapshot_first=): action_id `option:<key>`, block_id `option:<key>:<verb>`. */
export const OPTION_ACTION_PREFIX = 'option:';

/** The action select's value for a graceful stop (a procedure, not one of the catalogue's actions). */
export const STOP_VALUE = 'stop';

export interface ModalMetadata {
  /**
   * The channel /droplet was typed in: the request's thread goes there. Absent when the form was
   * opened outside a channel; the person then picks one in the form (CHANNEL_BLOCK).
   */
  channel?: string;
  /** Opened on a message (a message shortcut): the request is posted in that message's thread. */
  threadTs?: string;
}

const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
const TS = /^\d+\.\d+$/;

export function encodeMetadata(m: ModalMetadata): string {
  return JSON.stringify({ c: m.channel ?? null, ...(m.channel && m.threadTs ? { t: m.threadTs } : {}) });
}

/** The form's metadata, or undefined when it is not one of ours (or is corrupt). */
export function decodeMetadata(text: string | undefined): ModalMetadata | undefined {
  try {
    const o = JSON.parse(text ?? '') as { c?: unknown; t?: unknown };
    if (o?.c === null) return {};
    if (typeof o?.c !== 'string' || !CHANNEL_ID.test(o.c)) return undefined;
    return { channel: o.c, ...(typeof o.t === 'string' && TS.test(o.t) ? { threadTs: o.t } : {}) };
  } catch {
    return undefined;
  }
}

export function isChannelId(value: string | undefined): value is string {
  return value !== undefined && CHANNEL_ID.test(value);
}
