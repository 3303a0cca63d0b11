// view.state.values -> the same raw key=value strings a typed command gives, so modal input is
// checked by validateParams (and a fleet's by parseRollout) exactly like typed input; and its
// problems -> inline field errors.
import { PARAM_KEYS, normalizeActionName, type ActionType, type ParamKey, type ParamProblem } from '../../../domain/catalogue/index.js';
import { looksLikeSelector, parseSelector, type FleetSelector } from '../../../domain/fleet/selector.js';
import { ROLLOUT_KEYS, type RolloutKey } from '../../../domain/fleet/rollout.js';
import { ACTION_BLOCK, ACTION_SELECT, CHANNEL_BLOCK, CHANNEL_SELECT, isChannelId, DROPLET_BLOCK, DROPLET_SELECT, FLEET_BLOCK_SUFFIX, OPTION_ACTION_PREFIX, PARAM_ACTION_PREFIX, ROLLOUT_PREFIX, STOP_VALUE } from '../../renderers/modal/ids.js';
import { isOptionKey, type OptionKey } from '../../../domain/procedures/options.js';

interface ElementState {
  type?: string;
  value?: string | null;
  selected_option?: { value?: string } | null;
  selected_options?: Array<{ value?: string }> | null;
  selected_conversation?: string | null;
}

export type StateValues = Record<string, Record<string, ElementState>>;

/** What the Droplet picker holds: one Droplet's ID, a fleet selector, or why it is neither. */
export interface PickedTarget {
  dropletId?: number;
  selector?: FleetSelector;
  problem?: string;
}

export interface ModalValues extends PickedTarget {
  /** The channel picked in the form (only when it asks for one). */
  channel?: string;
  action?: ActionType;
  /** `action` (shutdown) as part of a graceful stop. */
  stop?: boolean;
  /** Procedure keys as typed or ticked, read like `key=value` on the command line. */
  options: Partial<Record<OptionKey, string>>;
  /** The block each procedure key came from. */
  optionBlockOf: Partial<Record<OptionKey, string>>;
  raw: Partial<Record<ParamKey, string>>;
  /** A fleet's batch and max_failures, as typed. */
  rollout: Partial<Record<RolloutKey, string>>;
  /** The block each parameter came from, to put its error next to it. */
  blockOf: Partial<Record<ParamKey, string>>;
}

function valueOf(el: ElementState): string | undefined {
  if (el.type === 'checkboxes') return el.selected_options?.some((o) => o.value === 'true') ? 'true' : undefined;
  const v = el.selected_option?.value ?? el.value ?? undefined;
  return v === undefined || v === null || v.trim() === '' ? undefined : v;
}

/** The picker's value: digits are a Droplet's ID; `tag:…`, patterns and lists are a fleet. */
export function readTarget(value: string | undefined): PickedTarget {
  if (value === undefined) return {};
  if (/^\d+$/.test(value)) {
    const id = Number(value);
    return id > 0 && Number.isSafeInteger(id) ? { dropletId: id } : {};
  }
  if (!looksLikeSelector(value)) return {};
  const parsed = parseSelector(value);
  return parsed.ok ? { selector: parsed.selector } : { problem: `${parsed.message}.` };
}

export function readValues(values: StateValues | undefined): ModalValues {
  const out: ModalValues = { raw: {}, rollout: {}, blockOf: {}, options: {}, optionBlockOf: {} };
  const options: Array<{ key: OptionKey; blockId: string; value: string | undefined }> = [];
  const params: Array<{ key: ParamKey; blockId: string; value: string | undefined }> = [];
  for (const [blockId, elements] of Object.entries(values ?? {})) {
    for (const [actionId, el] of Object.entries(elements ?? {})) {
      const v = valueOf(el);
      if (blockId === CHANNEL_BLOCK && actionId === CHANNEL_SELECT) {
        const c = el.selected_conversation ?? undefined;
        if (isChannelId(c)) out.channel = c;
      } else if (blockId === ACTION_BLOCK && actionId === ACTION_SELECT) {
        Object.assign(out, readVerb(v));
      } else if (actionId.startsWith(OPTION_ACTION_PREFIX)) {
        const key = actionId.slice(OPTION_ACTION_PREFIX.length);
        if (isOptionKey(key)) options.push({ key, blockId, value: v });
      } else if (blockId === DROPLET_BLOCK && actionId === DROPLET_SELECT) {
        Object.assign(out, readTarget(v));
      } else if (blockId === actionId && actionId.startsWith(ROLLOUT_PREFIX)) {
        const key = actionId.slice(ROLLOUT_PREFIX.length);
        if ((ROLLOUT_KEYS as readonly string[]).includes(key) && v !== undefined) out.rollout[key as RolloutKey] = v;
      } else if (actionId.startsWith(PARAM_ACTION_PREFIX)) {
        const key = actionId.slice(PARAM_ACTION_PREFIX.length);
        if ((PARAM_KEYS as readonly string[]).includes(key)) params.push({ key: key as ParamKey, blockId, value: v });
      }
    }
  }
  // Block IDs read param:<key>:<action>[:<droplet ID, or fleet>]. Inputs of another action or
  // Droplet (Slack keeps state across updates) are not part of this request.
  const dependsOn = out.selector ? FLEET_BLOCK_SUFFIX : String(out.dropletId);
  for (const p of params) {
    const [, , action, droplet] = p.blockId.split(':');
    if (action !== out.action || (droplet !== undefined && droplet !== dependsOn)) continue;
    out.blockOf[p.key] = p.blockId;
    if (p.value !== undefined) out.raw[p.key] = p.value;
  }
  // Procedure keys read option:<key>:<verb>; a checkbox left unticked says `false` (snapshot_first)
  // or nothing (power_on: ticked means "leave it off", that is power_on=false).
  const verb = out.stop ? 'stop' : out.action;
  for (const o of options) {
    if (o.blockId.split(':')[2] !== verb) continue;
    out.optionBlockOf[o.key] = o.blockId;
    if (o.key === 'power_on') {
      if (o.value === 'true') out.options.power_on = 'false';
    } else if (o.key === 'snapshot_first') {
      out.options.snapshot_first = o.value === 'true' ? 'true' : 'false';
    } else if (o.value !== undefined) {
      out.options[o.key] = o.value;
    }
  }
  return out;
}

/** The action select's value: an action, or a graceful stop (shutdown, then power_off if needed). */
export function readVerb(value: string | undefined): { action?: ActionType; stop?: boolean } {
  if (value === STOP_VALUE) return { action: 'shutdown', stop: true };
  const action = value ? normalizeActionName(value) : undefined;
  return action ? { action } : {};
}

/** Problems -> {block_id: message}; a problem without a field of its own goes next to `fallback`. */
export function fieldErrors(problems: ParamProblem[], blockOf: ModalValues['blockOf'], fallback = DROPLET_BLOCK): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const p of problems) {
    const block = (p.key && blockOf[p.key]) || fallback;
    errors[block] = errors[block] ? `${errors[block]} ${p.message}` : p.message;
  }
  return errors;
}
