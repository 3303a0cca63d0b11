// The modal on screen: the top view of the current person's latest stack. It keeps what the
// person has typed or picked (view.state.values, built here as Slack's client builds it), keeps
// those values across views.update when the block_id/action_id stay the same (as Slack does),
// checks required fields and number limits before submitting (Slack's client does too), and
// shows the errors of a `response_action: "errors"` answer under their inputs. A conversations_select
// offers the workspace's channels, and starts on the one the person was in when the modal opened
// when it says default_to_current_conversation (as Slack's client does).
import { TEXT_INPUTS, allOptions, choiceList, element, inputFrame, renderBlocks, selectBox, textHtml, textString } from './blocks.js';
import { h, html } from './dom.js';
import { clientErrors, isEmpty, mergeValues } from './modal-values.js';
import { typeahead } from './typeahead.js';

export class ModalController {
  /**
   * deps: { root, names, confirm, user() → id, post(path, body) → Promise<result>,
   *         conversation() → the channel id the person is looking at, or undefined,
   *         conversations(filter) → [{ id, label }] a conversations_select offers }
   */
  constructor(deps) {
    this.deps = deps;
    this.view = null;
    this.context = {};
    this.values = {};
    this.errors = {};
    this.problem = '';
    this.busy = false;
  }

  /** Shows `view` (or nothing). A new view, or new content (hash), redraws; anything else is ignored. */
  show(view) {
    if (!view) {
      this.view = null;
      this.deps.root.replaceChildren();
      this.deps.root.hidden = true;
      return;
    }
    if (this.view && this.view.id === view.id && this.view.hash === view.hash) return;
    const sameView = this.view?.id === view.id;
    // "The current conversation" is where the person was when this stack opened, not where they are now.
    if (this.view?.root_view_id !== view.root_view_id) this.context = { conversation: this.deps.conversation?.() };
    this.values = mergeValues(view, sameView ? this.values : {}, this.context);
    // New content from the app clears its errors, as Slack's views.update does.
    this.errors = {};
    this.problem = '';
    this.view = view;
    this.render();
  }

  render() {
    const view = this.view;
    const names = this.deps.names;
    const body = renderBlocks(view.blocks, {
      names,
      confirm: this.deps.confirm,
      onAction: (block, el, choice) => this.action(block, el, choice),
      value: (block, el) => this.values[block.block_id]?.[el.action_id],
      input: (block) => this.input(block),
    });
    const footer = h(
      'div.modal-footer',
      {},
      h('button.bk-btn.modal-close', { type: 'button', onclick: () => this.close(false) }, view.close ? textString(view.close) : 'Cancel'),
      view.submit && h('button.bk-btn.primary.modal-submit', { type: 'button', disabled: this.busy, onclick: () => this.submit() }, textString(view.submit)),
    );
    const dialog = h(
      'div.modal',
      { role: 'dialog', 'aria-modal': 'true', 'aria-label': textString(view.title), dataset: { viewId: view.id, callbackId: view.callback_id ?? '' } },
      h(
        'div.modal-header',
        {},
        view.previous_view_id && h('span.modal-back', { title: 'Pushed on another view' }, '‹'),
        html('h2.modal-title', textHtml(view.title, names)),
        h('button.modal-x', { type: 'button', 'aria-label': 'Close all', title: 'Close (the whole stack)', onclick: () => this.close(true) }, '✕'),
      ),
      this.problem && h('div.modal-problem', { role: 'alert' }, this.problem),
      h('div.modal-body', {}, body),
      footer,
    );
    this.deps.root.replaceChildren(dialog);
    this.deps.root.hidden = false;
  }

  input(block) {
    const el = block.element ?? {};
    const id = `in-${block.block_id}-${el.action_id}`.replace(/[^\w-]/g, '_');
    return inputFrame(block, el, id, this.control(block, el, id), this.deps.names, this.errors[block.block_id]);
  }

  control(block, el, id) {
    const entry = this.values[block.block_id]?.[el.action_id];
    const set = (next, dispatch = block.dispatch_action === true) => {
      const entry = { type: el.type, ...next };
      (this.values[block.block_id] ??= {})[el.action_id] = entry;
      // Only a real choice is sent: clearing a field tells the app nothing, as in Slack.
      if (dispatch && !isEmpty(entry)) this.action(block, el, choiceFor(el, entry));
    };
    if (TEXT_INPUTS.has(el.type)) {
      const attrs = { id, placeholder: textString(el.placeholder), value: entry?.value ?? '' };
      const field = el.multiline ? h('textarea.bk-textarea', { ...attrs, rows: 4 }) : h('input.bk-text-input', { ...attrs, type: inputType(el.type), inputmode: el.type === 'number_input' ? 'decimal' : undefined });
      if (el.multiline) field.value = entry?.value ?? '';
      field.addEventListener('input', () => set({ value: field.value === '' ? null : field.value }, false));
      field.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && !el.multiline && block.dispatch_action) {
          e.preventDefault();
          this.action(block, el, { value: field.value });
        }
      });
      return field;
    }
    if (el.type === 'static_select' || el.type === 'multi_static_select') {
      const multiple = el.type === 'multi_static_select';
      const selected = multiple ? (entry?.selected_options ?? []).map((o) => o.value) : entry?.selected_option?.value;
      const select = selectBox(el, selected, textString(el.placeholder) || 'Select an item', multiple);
      select.id = id;
      select.addEventListener('change', () => {
        const picked = [...select.selectedOptions].map((o) => allOptions(el).find((x) => x.value === o.value)).filter(Boolean);
        set(multiple ? { selected_options: picked } : { selected_option: picked[0] ?? null });
      });
      return select;
    }
    if (el.type === 'external_select') return this.typeahead(block, el, id, (option) => set({ selected_option: option }));
    if (el.type === 'conversations_select') {
      const chosen = entry?.selected_conversation;
      const select = h('select.bk-select', { id }, h('option', { value: '', disabled: true, selected: !chosen }, textString(el.placeholder) || 'Select a conversation'));
      for (const c of this.deps.conversations?.(el.filter) ?? []) select.append(h('option', { value: c.id, selected: c.id === chosen }, c.label));
      select.addEventListener('change', () => set({ selected_conversation: select.value || null }));
      return select;
    }
    if (el.type === 'checkboxes' || el.type === 'radio_buttons') {
      return choiceList(el, block, entry, this.deps.names, (choice) => {
        const options = el.options ?? [];
        if (el.type === 'radio_buttons') set({ selected_option: options.find((o) => o.value === choice.value) ?? null });
        else set({ selected_options: options.filter((o) => choice.selected.includes(o.value)) });
      });
    }
    if (el.type === 'datepicker') {
      const input = h('input.bk-date', { id, type: 'date', value: entry?.selected_date ?? '' });
      input.addEventListener('change', () => set({ selected_date: input.value || null }));
      return input;
    }
    return element(el, block, { names: this.deps.names, confirm: this.deps.confirm, onAction: (b, e, c) => this.action(b, e, c) });
  }

  /** external_select: options come from the app (block_suggestion) as the person types. */
  typeahead(block, el, id, choose) {
    return typeahead({
      el,
      id,
      chosen: () => this.values[block.block_id]?.[el.action_id]?.selected_option,
      choose,
      suggest: (query) =>
        this.deps.post('suggest', { user_id: this.deps.user(), view_id: this.view.id, block_id: block.block_id, action_id: el.action_id, value: query, values: this.values }),
    });
  }

  async action(block, el, choice) {
    if (block.type !== 'input') this.remember(block, el, choice);
    const result = await this.deps.post('action', {
      user_id: this.deps.user(),
      container: { type: 'view', view_id: this.view.id },
      block_id: block.block_id,
      action_id: el.action_id,
      values: this.values,
      ...choice,
    });
    if (!result.ok) this.fail(result.message);
  }

  /** A select, checkbox or date outside an input block still shows up in state.values. */
  remember(block, el, choice) {
    const options = allOptions(el);
    let entry;
    if (el.type === 'static_select' || el.type === 'radio_buttons') entry = { selected_option: options.find((o) => o.value === choice.value) ?? null };
    else if (el.type === 'checkboxes') entry = { selected_options: options.filter((o) => (choice.selected ?? []).includes(o.value)) };
    else if (el.type === 'datepicker') entry = { selected_date: choice.date ?? null };
    if (entry) (this.values[block.block_id] ??= {})[el.action_id] = { type: el.type, ...entry };
  }

  async submit() {
    const errors = clientErrors(this.view, this.values);
    if (Object.keys(errors).length) {
      this.errors = errors;
      return this.render();
    }
    this.busy = true;
    this.render();
    const viewId = this.view.id;
    const result = await this.deps.post('submit', { user_id: this.deps.user(), view_id: viewId, values: this.values });
    this.busy = false;
    if (this.view?.id !== viewId) return; // the app replaced or closed it meanwhile
    if (!result.ok) this.problem = result.message;
    else if (result.errors) this.errors = result.errors;
    this.render();
  }

  async close(clear) {
    const result = await this.deps.post('close', { user_id: this.deps.user(), view_id: this.view.id, clear });
    if (!result.ok) this.fail(result.message);
  }

  fail(message) {
    this.problem = message;
    if (this.view) this.render();
  }
}

function inputType(type) {
  return type === 'email_text_input' ? 'email' : type === 'url_text_input' ? 'url' : 'text';
}

/** A state entry as the server's choice fields, for block_actions from an input with dispatch_action. */
function choiceFor(el, entry) {
  if ('selected_option' in entry) return el.type === 'external_select' ? { option: entry.selected_option } : { value: entry.selected_option?.value };
  if ('selected_options' in entry) return { selected: entry.selected_options.map((o) => o.value) };
  if ('selected_date' in entry) return { date: entry.selected_date ?? undefined };
  if ('selected_conversation' in entry) return { value: entry.selected_conversation ?? undefined };
  return { value: entry.value ?? '' };
}
