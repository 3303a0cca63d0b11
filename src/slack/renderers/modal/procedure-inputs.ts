// The modal's inputs for the keys that shape a procedure (timeout=, power_on=, snapshot_first=)
// and the plan a request will follow on the Droplet picked, stated before anything runs. Pure.
import type { types } from '@slack/bolt';
import type { ActionType } from '../../../domain/catalogue/index.js';
import { optionsFor, type OptionKey, type RequestOptions } from '../../../domain/procedures/options.js';
import { planRequest, type Safety } from '../../../domain/procedures/plan.js';
import { nothingToDoText, planText } from '../procedure-messages.js';
import { OPTION_ACTION_PREFIX } from './ids.js';
import type { DropletDetail } from '../../../digitalocean/catalog.js';

export type Verb = ActionType | 'stop';
export type OptionInitial = Partial<Record<OptionKey, string>>;

const plain = (text: string): types.PlainTextElement => ({ type: 'plain_text', text });

/** block_id `option:<key>:<verb>`: an input of another verb (Slack keeps state across updates) is not read. */
export function optionBlockId(key: OptionKey, verb: Verb): string {
  return `${OPTION_ACTION_PREFIX}${key}:${verb}`;
}

function checkbox(key: OptionKey, verb: Verb, label: string, text: string, hint: string, checked: boolean): types.InputBlock {
  const box = { text: plain(text), value: 'true' };
  return {
    type: 'input',
    block_id: optionBlockId(key, verb),
    optional: true,
    label: plain(label),
    hint: plain(hint),
    element: { type: 'checkboxes', action_id: `${OPTION_ACTION_PREFIX}${key}`, options: [box], ...(checked ? { initial_options: [box] } : {}) },
  };
}

/** The inputs for this verb's procedure keys; `safety` decides whether "snapshot first" starts ticked. */
export function optionInputs(verb: Verb, initial: OptionInitial, safety: Safety | undefined): types.KnownBlock[] {
  const blocks: types.KnownBlock[] = [];
  for (const { key } of optionsFor(verb)) {
    if (key === 'timeout') {
      blocks.push({
        type: 'input',
        block_id: optionBlockId(key, verb),
        optional: true,
        label: plain('Graceful shutdown timeout'),
        hint: plain('How long to wait for the Droplet to report itself off before power_off: 10s to 30m. Empty means 2m.'),
        element: { type: 'plain_text_input', action_id: `${OPTION_ACTION_PREFIX}${key}`, placeholder: plain('2m'), max_length: 8, ...(initial.timeout ? { initial_value: initial.timeout } : {}) },
      });
    } else if (key === 'power_on') {
      blocks.push(checkbox(key, verb, 'After the resize', 'Leave it off', 'A running Droplet is shut down for the resize and powered on again, unless this is ticked.', initial.power_on?.toLowerCase() === 'false'));
    } else {
      const byDefault = safety?.snapshot_before.includes(verb as ActionType) ?? false;
      const ticked = initial.snapshot_first === undefined ? byDefault : initial.snapshot_first.toLowerCase() === 'true';
      const hint = byDefault
        ? 'The role map asks for a snapshot first: untick it only when you must, and a second person may have to approve.'
        : 'Takes a snapshot named "before <action> <date>" and waits for it before the disk is overwritten.';
      blocks.push(checkbox(key, verb, 'Safety', 'Take a snapshot first', hint, ticked));
    }
  }
  return blocks;
}

/** What will happen on this Droplet, before anything runs; undefined for a single action. */
export function planNote(action: ActionType, options: RequestOptions, droplet: DropletDetail | undefined, safety: Safety | undefined): types.KnownBlock | undefined {
  if (!droplet) return undefined;
  const planned = planRequest({ body: { type: action } as never, options, droplet, ...(safety ? { safety } : {}), now: Date.now() });
  const text = planned.kind === 'nothing' ? `${nothingToDoText(droplet.name, planned.why)} Submitting sends nothing.` : planned.kind === 'procedure' ? planText(droplet.name, planned.procedure) : undefined;
  return text ? { type: 'context', elements: [{ type: 'mrkdwn', text: `:clipboard: ${text}` }] } : undefined;
}
