// The form for several Droplets at once: the rollout inputs (batch, max_failures), what a fleet
// types instead of a per-Droplet live list (sizes of a region, kernels), and the action a fleet
// cannot take (restore: a backup belongs to one Droplet). Pure.
import type { types } from '@slack/bolt';
import { actionEntry, displayName, type ActionType, type ChoiceSource } from '../../../domain/catalogue/index.js';
import type { RolloutKey } from '../../../domain/fleet/rollout.js';
import { ROLLOUT_PREFIX } from './ids.js';

export type RolloutInitial = Partial<Record<RolloutKey, string>>;

const plain = (text: string): types.PlainTextElement => ({ type: 'plain_text', text });

/** The block_id (and action_id) of a rollout input. */
export const rolloutBlockId = (key: RolloutKey) => `${ROLLOUT_PREFIX}${key}`;

const ROLLOUT: Record<RolloutKey, { label: string; hint: string }> = {
  batch: {
    label: 'Batch',
    hint: 'How many Droplets at a time: a number such as 2, or a percentage such as 25%. The next batch starts when the last one has ended. Leave it empty to start them all at once.',
  },
  max_failures: {
    label: 'Max failures',
    hint: 'A whole number. The run pauses once more than this many Droplets have errored. Leave it empty for 0: it pauses at the first error.',
  },
};

/** `batch` and `max_failures`, both optional, filled in with what was typed. */
export function rolloutInputs(initial: RolloutInitial): types.InputBlock[] {
  return (Object.keys(ROLLOUT) as RolloutKey[]).map((key) => ({
    type: 'input',
    block_id: rolloutBlockId(key),
    optional: true,
    label: plain(ROLLOUT[key].label),
    hint: plain(ROLLOUT[key].hint),
    element: {
      type: 'plain_text_input',
      action_id: rolloutBlockId(key),
      max_length: 10,
      ...(initial[key] ? { initial_value: initial[key] } : {}),
    },
  }));
}

/** What to type for a fleet where one Droplet gets a live list of its own. */
export const FLEET_CHOICE_HINTS: Partial<Record<ChoiceSource, string>> = {
  sizes: 'A size slug such as s-2vcpu-4gb. Sizes differ by region: each Droplet\'s region must offer it, and each Droplet must be powered off. Pick one Droplet to see the sizes of its region with prices.',
  kernels: 'A kernel ID (a number). Kernels differ by Droplet: pick one Droplet to see its kernels by name.',
};

/** Why `action` cannot run on several Droplets from the form, or undefined when it can. */
export function notForFleets(action: ActionType): string | undefined {
  const ownBackup = actionEntry(action).params.some(({ param }) => param.input.kind === 'choice' && param.input.source === 'backups');
  return ownBackup ? `\`${displayName(action)}\` needs a backup of each Droplet's own, so it cannot run on several Droplets at once. Pick one Droplet.` : undefined;
}
