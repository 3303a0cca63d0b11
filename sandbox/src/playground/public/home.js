// The app's Home tab, as Slack shows it to one person. Opening it makes Slack send the app
// app_home_opened; the tab then shows the view the app last published for that person with
// views.publish, and is drawn again whenever the app publishes anew (the server's home_published
// change). Buttons and menus in it, and Enter in an input with dispatch_action, reach the app as
// block_actions from a view of type home, with the tab's state.values.
import { TEXT_INPUTS, inputFrame, renderBlocks, textString } from './blocks.js';
import { h } from './dom.js';
import { avatar } from './message-view.js';
import { mergeValues } from './modal-values.js';

export class HomeTab {
  /**
   * deps: { root, names, confirm, botName() → string, user() → id, post(path, body) → Promise<result>,
   *         published() → the current person's Home view as the app last published it, or undefined }
   */
  constructor(deps) {
    this.deps = deps;
    this.view = null;
    this.values = {};
    this.problem = '';
    this.opening = false;
  }

  /** The person opens the tab: Slack tells the app, which publishes (or republishes) their view. */
  async open() {
    this.problem = '';
    this.opening = true;
    // Slack shows the tab as last published at once (never another person's), then the new one.
    this.show(this.deps.published());
    this.render();
    const result = await this.deps.post('home', { user_id: this.deps.user() });
    this.opening = false;
    if (!result.ok) this.problem = result.message;
    this.render();
  }

  /** Shows `view` (the current person's published Home, or undefined); redraws only when it changed. */
  show(view) {
    if (!view) {
      if (this.view) ((this.view = null), (this.values = {}), this.render());
      else if (!this.deps.root.hasChildNodes()) this.render();
      return;
    }
    if (this.view && this.view.id === view.id && this.view.hash === view.hash) return;
    // What the person typed stays when the app publishes again with the same input, as in Slack.
    this.values = mergeValues(view, this.view?.id === view.id ? this.values : {});
    this.view = view;
    this.problem = '';
    this.render();
  }

  render() {
    const view = this.view;
    const root = this.deps.root;
    const name = this.deps.botName();
    const header = h('div.home-header', {}, avatar(name, true), h('span.home-app', {}, name), h('span.home-tab', { 'aria-current': 'page' }, 'Home'));
    let body;
    if (view) {
      body = renderBlocks(view.blocks, {
        names: this.deps.names,
        confirm: this.deps.confirm,
        onAction: (block, el, choice) => this.action(block, el, choice),
        value: (block, el) => this.values[block.block_id]?.[el.action_id],
        input: (block) => this.input(block),
      });
    } else {
      body = h('p.empty', {}, this.opening ? `Opening ${name}'s Home…` : `${name} has not published a Home tab for you yet.`);
    }
    const focused = root.contains(document.activeElement) ? document.activeElement.id : '';
    root.dataset.viewId = view?.id ?? '';
    root.dataset.hash = view?.hash ?? '';
    root.replaceChildren(header, this.problem && h('div.modal-problem', { role: 'alert' }, this.problem), h('div.home-body', {}, body));
    // Published again while the person was typing in the filter: the caret stays there.
    if (focused) document.getElementById(focused)?.focus();
  }

  /** An input block: a text input (Enter sends it when the block has dispatch_action) and its label. */
  input(block) {
    const el = block.element ?? {};
    const id = `home-${block.block_id}-${el.action_id}`.replace(/[^\w-]/g, '_');
    if (!TEXT_INPUTS.has(el.type)) return h('div.bk-unsupported', { dataset: { blockId: block.block_id } }, `(${el.type} input: not shown in the playground's Home tab)`);
    const entry = this.values[block.block_id]?.[el.action_id];
    const field = h('input.bk-text-input', { id, type: 'text', placeholder: textString(el.placeholder), value: entry?.value ?? '' });
    field.addEventListener('input', () => ((this.values[block.block_id] ??= {})[el.action_id] = { type: el.type, value: field.value === '' ? null : field.value }));
    field.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && block.dispatch_action && !e.isComposing) {
        e.preventDefault();
        this.action(block, el, { value: field.value });
      }
    });
    return inputFrame(block, el, id, field, this.deps.names);
  }

  async action(block, el, choice) {
    const result = await this.deps.post('action', {
      user_id: this.deps.user(),
      container: { type: 'view', view_id: this.view.id },
      block_id: block.block_id,
      action_id: el.action_id,
      values: this.values,
      ...choice,
    });
    if (!result.ok) {
      this.problem = result.message;
      this.render();
    }
  }
}
