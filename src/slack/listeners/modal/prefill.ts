// Which typed commands open the modal instead of an error: `/droplet` alone, `/droplet <action>`,
// and `/droplet <action> <droplet or fleet selector>` with only required parameters missing. Pure.
import { actionEntry, type ActionType, type ParamKey } from '../../../domain/catalogue/index.js';
import type { Command, DropletRef } from '../../../domain/command.js';
import type { FleetSelector } from '../../../domain/fleet/selector.js';
import type { RolloutKey } from '../../../domain/fleet/rollout.js';
import { selectorOption } from '../../renderers/modal/droplet-picker.js';
import { notForFleets } from '../../renderers/modal/fleet-inputs.js';

export interface Prefill {
  action?: ActionType;
  target?: DropletRef;
  selector?: FleetSelector;
  raw?: Partial<Record<ParamKey, string>>;
  rollout?: Partial<Record<RolloutKey, string>>;
  /** `/droplet stop`: the form opens on a graceful stop. */
  stop?: boolean;
}

export function modalPrefill(parsed: Command, text: string): Prefill | undefined {
  if (parsed.kind === 'empty') return {};
  if (parsed.kind !== 'invalid' || !parsed.action) return undefined;
  if (!parsed.target && !parsed.selector) {
    // Only the action was typed; a malformed Droplet name still gets its explanation.
    return text.trim().split(/\s+/).length === 1 ? { action: parsed.action, ...(parsed.stop ? { stop: true } : {}) } : undefined;
  }
  const entry = actionEntry(parsed.action);
  const raw = parsed.raw ?? {};
  const problems = parsed.problems ?? [];
  const onlyMissing =
    problems.length > 0 &&
    problems.every((p) => p.key !== undefined && entry.params.some((u) => u.param.key === p.key && u.required) && (raw[p.key] ?? '') === '');
  if (!onlyMissing) return undefined;
  if (parsed.target) return { action: parsed.action, target: parsed.target, raw };
  // A selector the form could not hold (a list too long for a picker option), or an action the
  // form does not offer for a fleet, gets the usage message instead: the selector is never dropped.
  if (!parsed.selector || !selectorOption(parsed.selector) || notForFleets(parsed.action)) return undefined;
  return { action: parsed.action, selector: parsed.selector, raw, rollout: parsed.rollout ?? {} };
}
