// A modal's view.state.values, as Slack's client keeps them: the initial entry of each element,
// what survives a views.update, and the checks the client makes before it submits anything.

/**
 * The state entry of an element before the person touches it, as Slack reports it. `context.conversation`
 * is the conversation the person was in when the view opened (for default_to_current_conversation).
 */
export function initialEntry(el, context = {}) {
  switch (el.type) {
    case 'plain_text_input':
    case 'email_text_input':
    case 'url_text_input':
    case 'number_input':
      return { type: el.type, value: el.initial_value ?? null };
    case 'static_select':
    case 'external_select':
    case 'radio_buttons':
      return { type: el.type, selected_option: el.initial_option ?? null };
    case 'checkboxes':
    case 'multi_static_select':
      return { type: el.type, selected_options: el.initial_options ?? [] };
    case 'datepicker':
      return { type: el.type, selected_date: el.initial_date ?? null };
    case 'conversations_select':
      return { type: el.type, selected_conversation: el.initial_conversation ?? (el.default_to_current_conversation ? context.conversation : undefined) ?? null };
    default:
      return undefined;
  }
}

/** The stateful elements of a view, with their blocks. */
function statefulElements(view) {
  const out = [];
  for (const block of view.blocks ?? []) {
    const els = block.type === 'input' ? [block.element] : block.type === 'actions' ? block.elements ?? [] : block.accessory ? [block.accessory] : [];
    for (const el of els) if (el && initialEntry(el)) out.push({ block, el });
  }
  return out;
}

/** state.values for `view`: what `previous` held for the same block/action/type, else initial values. */
export function mergeValues(view, previous = {}, context = {}) {
  const values = {};
  for (const { block, el } of statefulElements(view)) {
    const kept = previous[block.block_id]?.[el.action_id];
    (values[block.block_id] ??= {})[el.action_id] = kept && kept.type === el.type ? kept : initialEntry(el, context);
  }
  return values;
}

/** True when the person has not filled in or picked anything. */
export function isEmpty(entry) {
  if (!entry) return true;
  if ('value' in entry) return entry.value === null || String(entry.value).trim() === '';
  if ('selected_option' in entry) return !entry.selected_option;
  if ('selected_options' in entry) return entry.selected_options.length === 0;
  if ('selected_date' in entry) return !entry.selected_date;
  if ('selected_conversation' in entry) return !entry.selected_conversation;
  return true;
}

/** Problems Slack's own client reports before anything is sent, by block_id. */
export function clientErrors(view, values) {
  const errors = {};
  for (const block of view.blocks ?? []) {
    if (block.type !== 'input' || !block.element) continue;
    const el = block.element;
    const entry = values[block.block_id]?.[el.action_id];
    if (isEmpty(entry)) {
      if (!block.optional) errors[block.block_id] = 'Please complete this required field.';
      continue;
    }
    if (el.type === 'number_input') {
      const text = String(entry.value).trim();
      const number = Number(text);
      const pattern = el.is_decimal_allowed ? /^-?\d+(\.\d+)?$/ : /^-?\d+$/;
      if (!pattern.test(text)) errors[block.block_id] = el.is_decimal_allowed ? 'Please enter a number.' : 'Please enter a whole number.';
      else if (el.min_value !== undefined && number < Number(el.min_value)) errors[block.block_id] = `Please enter a number of at least ${el.min_value}.`;
      else if (el.max_value !== undefined && number > Number(el.max_value)) errors[block.block_id] = `Please enter a number no greater than ${el.max_value}.`;
    } else if ('value' in entry && typeof entry.value === 'string') {
      if (el.min_length !== undefined && entry.value.length < el.min_length) errors[block.block_id] = `Please enter at least ${el.min_length} characters.`;
      if (el.max_length !== undefined && entry.value.length > el.max_length) errors[block.block_id] = `Please enter no more than ${el.max_length} characters.`;
    }
  }
  return errors;
}
