// view.state.values -> the same raw key=value strings a typed command gives, so modal input is
// checked by validateParams (and a fleet's by parseRollout) exactly like typed input; and its
// problems -> inline field errors.
import { PARAM_KEYS, normalizeActionName, type ActionType, type ParamKey, type ParamProblem } from '../../../domain/catalogue/index.js';
import { looksLikeSelector, parseSelector, type FleetSelector } from '../../../domain/fleet/selector.js';
import { ROLLOUT_KEYS, type RolloutKey } from '../../../domain/fleet/rollout.js';
import { ACTION_BLOCK, ACTION_SELECT, DROPLET_BLOCK, DROPLET_SELECT, FLEET_BLOCK_SUFFIX, PARAM_ACTION_PREFIX, ROLLOUT_PREFIX } from '../../renderers/modal/ids.js';

interface ElementState {
  type?: string;
  value?: string | null;
  selected_option?: { value?: string } | null;
  selected_options?: Array<{ value?: string }> | null;
}

export type StateValues = Record<string, Record<string, ElementState>>;

/** What the Droplet picker holds: one Droplet's ID, a fleet selector, or why it is neither. */
export interface PickedTarget {
  dropletId?: number;
  selector?: FleetSelector;
  problem?: string;
}

export interface ModalValues extends PickedTarget {
  action?: ActionType;
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
  const out: ModalValues = { raw: {}, rollout: {}, blockOf: {} };
  const params: Array<{ key: ParamKey; blockId: string; value: string | undefined }> = [];
  for (const [blockId, elements] of Object.entries(values ?? {})) {
    for (const [actionId, el] of Object.entries(elements ?? {})) {
      const v = valueOf(el);
      if (blockId === ACTION_BLOCK && actionId === ACTION_SELECT) {
        out.action = v ? normalizeActionName(v) : undefined;
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
  return out;
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
