// Which typed commands open the modal instead of an error: `/droplet` alone, `/droplet <action>`,
// and `/droplet <action> <droplet>` with only required parameters missing. Pure.
import { actionEntry, type ActionType, type ParamKey } from '../../../domain/catalogue/index.js';
import type { Command, DropletRef } from '../../../domain/command.js';

export interface Prefill {
  action?: ActionType;
  target?: DropletRef;
  raw?: Partial<Record<ParamKey, string>>;
}

export function modalPrefill(parsed: Command, text: string): Prefill | undefined {
  if (parsed.kind === 'empty') return {};
  if (parsed.kind !== 'invalid' || !parsed.action) return undefined;
  if (!parsed.target) {
    // Only the action was typed; a malformed Droplet name still gets its explanation.
    return text.trim().split(/\s+/).length === 1 ? { action: parsed.action } : undefined;
  }
  const entry = actionEntry(parsed.action);
  const raw = parsed.raw ?? {};
  const problems = parsed.problems ?? [];
  const onlyMissing =
    problems.length > 0 &&
    problems.every((p) => p.key !== undefined && entry.params.some((u) => u.param.key === p.key && u.required) && (raw[p.key] ?? '') === '');
  return onlyMissing ? { action: parsed.action, target: parsed.target, raw } : undefined;
}
