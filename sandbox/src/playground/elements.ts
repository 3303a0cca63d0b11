// Finding an interactive element in a message's or view's blocks, and describing what the user did
// with it as the `actions[]` entry Slack would send. The browser only says which element and which
// option (by value); the element itself comes from what the bot sent, so labels, styles and
// option objects in the payload are the bot's own, as in Slack.
import type { ActionInput } from '../slack/payloads.js';
import type { JsonObject } from '../slack/workspace-types.js';

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface FoundElement {
  element: JsonObject;
  block: JsonObject;
}

/** The element with `action_id` in the block with `block_id`: in actions, a section accessory or an input. */
export function findElement(blocks: unknown, block_id: string, action_id: string): FoundElement | undefined {
  if (!Array.isArray(blocks)) return undefined;
  const block = blocks.find((b): b is JsonObject => isObject(b) && b.block_id === block_id);
  if (!block) return undefined;
  const candidates = [...(Array.isArray(block.elements) ? block.elements : []), block.accessory, block.element];
  const element = candidates.find((e): e is JsonObject => isObject(e) && e.action_id === action_id);
  return element ? { element, block } : undefined;
}

/** Every option of a select, overflow, checkboxes or radio element, flattening option_groups. */
export function optionsOf(element: JsonObject): JsonObject[] {
  const flat = Array.isArray(element.options) ? element.options.filter(isObject) : [];
  const groups = Array.isArray(element.option_groups) ? element.option_groups.filter(isObject) : [];
  return [...flat, ...groups.flatMap((g) => (Array.isArray(g.options) ? g.options.filter(isObject) : []))];
}

/** What the user picked or typed; which field applies depends on the element type. */
export interface UserChoice {
  value?: string;
  /** Checkboxes or a multi-select: the values of every option now chosen. */
  selected?: string[];
  /** An option the bot offered through block_suggestion (external_select); not in the element itself. */
  option?: JsonObject;
  date?: string;
}

export class ChoiceError extends Error {}

/** The `actions[]` entry for a use of `found.element`, in the shape Slack sends for that element type. */
export function actionFor(found: FoundElement, choice: UserChoice): ActionInput {
  const { element, block } = found;
  const base = { action_id: String(element.action_id), block_id: String(block.block_id), type: String(element.type) };
  const pick = (value: string | undefined) => {
    const option = optionsOf(element).find((o) => o.value === value);
    if (!option) throw new ChoiceError(`no option with value ${JSON.stringify(value)} in ${base.action_id}`);
    return option;
  };
  switch (element.type) {
    case 'button':
      return {
        ...base,
        text: element.text as JsonObject,
        ...(element.value !== undefined ? { value: String(element.value) } : {}),
        ...(element.style !== undefined ? { style: element.style } : {}),
      };
    case 'static_select':
    case 'overflow':
    case 'radio_buttons':
      return { ...base, selected_option: pick(choice.value) };
    case 'external_select':
      if (!isObject(choice.option) || typeof choice.option.value !== 'string') throw new ChoiceError('external_select needs the chosen option');
      return { ...base, selected_option: choice.option };
    case 'checkboxes':
    case 'multi_static_select':
      return { ...base, selected_options: (choice.selected ?? []).map(pick) };
    case 'datepicker':
      return { ...base, selected_date: choice.date ?? null };
    case 'plain_text_input':
    case 'number_input':
      return { ...base, value: choice.value ?? '' };
    case 'conversations_select':
      return { ...base, selected_conversation: choice.value ?? null };
    default:
      throw new ChoiceError(`the playground cannot operate a ${String(element.type)} element`);
  }
}
