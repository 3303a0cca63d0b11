// Block Kit as DOM: the layout blocks of messages and modals, and the interactive elements in
// them. Input blocks are drawn by modal.js (ctx.input), which owns their state; everything else
// reports a use through ctx.onAction(block, element, choice), and the server builds the payload.
import { h, html } from './dom.js';
import { emojify } from './emoji.js';
import { escapeHtml, mrkdwn, plainText } from './mrkdwn.js';

/** A text object (plain_text or mrkdwn) as safe HTML. */
export function textHtml(obj, names) {
  if (obj === undefined || obj === null) return '';
  if (typeof obj === 'string') return plainText(obj);
  return obj.type === 'mrkdwn' ? mrkdwn(obj.text, names) : plainText(obj.text ?? '', obj.emoji !== false);
}

/** A plain_text object as a string for textContent (<option>, titles). */
export function textString(obj) {
  if (obj === undefined || obj === null) return '';
  const text = typeof obj === 'string' ? obj : (obj.text ?? '');
  return obj.emoji === false ? text : emojify(text);
}

/** Every option of a select, with option_groups flattened. */
export function allOptions(el) {
  return [...(el.options ?? []), ...(el.option_groups ?? []).flatMap((g) => g.options ?? [])];
}

/**
 * ctx: { names, onAction(block, el, choice) → Promise, confirm(confirmObject) → Promise<boolean>,
 *        input?(block) → Node, value?(block, el) → state entry (for elements inside a modal) }
 */
export function renderBlocks(blocks, ctx) {
  return h('div.blocks', {}, (blocks ?? []).map((block) => renderBlock(block, ctx)));
}

function renderBlock(block, ctx) {
  const attrs = { dataset: { blockId: block.block_id ?? '', blockType: block.type } };
  switch (block.type) {
    case 'header':
      return html('div.bk-header', textHtml(block.text, ctx.names), attrs);
    case 'section':
      return h(
        'div.bk-section',
        attrs,
        h(
          'div.bk-section-main',
          {},
          block.text && html('div.bk-text', textHtml(block.text, ctx.names)),
          block.fields && h('div.bk-fields', {}, block.fields.map((f) => html('div.bk-field', textHtml(f, ctx.names)))),
        ),
        block.accessory && h('div.bk-accessory', {}, element(block.accessory, block, ctx)),
      );
    case 'context':
      return h(
        'div.bk-context',
        attrs,
        (block.elements ?? []).map((el) => (el.type === 'image' ? image(el.image_url, el.alt_text, 'bk-context-img') : html('span', textHtml(el, ctx.names)))),
      );
    case 'divider':
      return h('hr.bk-divider', attrs);
    case 'actions':
      return h('div.bk-actions', attrs, (block.elements ?? []).map((el) => element(el, block, ctx)));
    case 'image':
      return h('figure.bk-image', attrs, block.title && html('figcaption', textHtml(block.title, ctx.names)), image(block.image_url, block.alt_text));
    case 'input':
      return ctx.input ? ctx.input(block) : unsupported(`input block outside a modal`, attrs);
    case 'rich_text':
      return html('div.bk-text', richText(block, ctx.names), attrs);
    default:
      return unsupported(`${block.type} block`, attrs);
  }
}

function unsupported(what, attrs = {}) {
  return h('div.bk-unsupported', attrs, `(${what}: not shown in the playground)`);
}

function image(url, alt, cls = 'bk-img') {
  // Only web images; the page's CSP allows https: and data: and nothing else remote.
  if (typeof url !== 'string' || !/^(https:|data:image\/)/.test(url)) return h(`span.${cls}-alt`, {}, `[image: ${alt ?? ''}]`);
  return h(`img.${cls}`, { src: url, alt: alt ?? '' });
}

/** An interactive element in a message, or in a modal outside an input block. */
export function element(el, block, ctx) {
  const act = (choice) => ctx.onAction(block, el, choice);
  const attrs = { dataset: { actionId: el.action_id ?? '', elementType: el.type } };
  switch (el.type) {
    case 'button': {
      const btn = html(`button.bk-btn${el.style ? `.${el.style}` : ''}`, textHtml(el.text, ctx.names), { ...attrs, type: 'button' });
      btn.addEventListener('click', async () => {
        if (el.confirm && !(await ctx.confirm(el.confirm))) return;
        if (typeof el.url === 'string' && /^https?:\/\//.test(el.url)) window.open(el.url, '_blank', 'noopener');
        btn.disabled = true;
        try {
          await act({});
        } finally {
          btn.disabled = false;
        }
      });
      return btn;
    }
    case 'static_select':
    case 'overflow': {
      const entry = ctx.value?.(block, el);
      const select = selectBox(el, entry?.selected_option?.value, el.type === 'overflow' ? '⋯' : textString(el.placeholder) || 'Select an item');
      select.dataset.actionId = el.action_id ?? '';
      select.dataset.elementType = el.type;
      select.addEventListener('change', async () => {
        const value = select.value;
        if (el.type === 'overflow') select.value = '';
        const option = allOptions(el).find((o) => o.value === value);
        if (option?.confirm && !(await ctx.confirm(option.confirm))) return;
        if (el.confirm && !(await ctx.confirm(el.confirm))) return;
        await act({ value });
      });
      return select;
    }
    case 'checkboxes':
    case 'radio_buttons':
      return choiceList(el, block, ctx.value?.(block, el), ctx.names, (choice) => act(choice), attrs);
    case 'datepicker': {
      const input = h('input.bk-date', { ...attrs, type: 'date', value: el.initial_date ?? '' });
      input.addEventListener('change', () => act({ date: input.value }));
      return input;
    }
    case 'image':
      return image(el.image_url, el.alt_text);
    default:
      return unsupported(`${el.type} element`, attrs);
  }
}

/** A native <select> for a static_select / overflow / multi_static_select. */
export function selectBox(el, selected, placeholder, multiple = false) {
  const select = h('select.bk-select', { multiple });
  if (!multiple) select.append(h('option', { value: '', disabled: true, selected: !selected }, placeholder));
  const chosen = new Set(Array.isArray(selected) ? selected : selected ? [selected] : []);
  const option = (o) => h('option', { value: o.value, selected: chosen.has(o.value) }, textString(o.text));
  for (const o of el.options ?? []) select.append(option(o));
  for (const g of el.option_groups ?? []) select.append(h('optgroup', { label: textString(g.label) }, (g.options ?? []).map(option)));
  return select;
}

/** Checkboxes or radio buttons; `onChange` gets { value } (radio) or { selected } (checkboxes). */
export function choiceList(el, block, entry, names, onChange, attrs = {}) {
  const radio = el.type === 'radio_buttons';
  const name = `${block.block_id}/${el.action_id}/${Math.random().toString(36).slice(2)}`;
  const chosen = new Set(radio ? [entry?.selected_option?.value ?? el.initial_option?.value] : (entry?.selected_options ?? el.initial_options ?? []).map((o) => o.value));
  const list = h('div.bk-choices', attrs);
  for (const o of el.options ?? []) {
    const input = h('input', { type: radio ? 'radio' : 'checkbox', name, value: o.value, checked: chosen.has(o.value) });
    input.addEventListener('change', () => {
      const checked = [...list.querySelectorAll('input')].filter((i) => i.checked).map((i) => i.value);
      onChange(radio ? { value: checked[0] } : { selected: checked });
    });
    list.append(
      h(
        'label.bk-choice',
        {},
        input,
        h('span.bk-choice-text', {}, html('span', textHtml(o.text, names)), o.description && html('span.bk-choice-desc', textHtml(o.description, names))),
      ),
    );
  }
  return list;
}

/** rich_text blocks (what Slack turns typed messages into), drawn as plain formatted text. */
function richText(block, names) {
  const inline = (e) => {
    let out;
    if (e.type === 'text') out = escapeHtml(e.text ?? '').replace(/\n/g, '<br>');
    else if (e.type === 'link') out = /^https?:\/\//.test(e.url) ? `<a href="${escapeHtml(e.url)}" target="_blank" rel="noopener noreferrer">${escapeHtml(e.text ?? e.url)}</a>` : escapeHtml(e.text ?? '');
    else if (e.type === 'user') out = `<span class="mk-mention">@${escapeHtml(names.user?.(e.user_id) ?? e.user_id)}</span>`;
    else if (e.type === 'emoji') out = emojify(`:${escapeHtml(e.name ?? '')}:`);
    else out = escapeHtml(e.text ?? '');
    if (e.style?.code) out = `<code class="mk-code">${out}</code>`;
    if (e.style?.bold) out = `<strong>${out}</strong>`;
    if (e.style?.italic) out = `<em>${out}</em>`;
    return out;
  };
  return (block.elements ?? []).map((section) => (section.elements ?? []).map(inline).join('')).join('<br>');
}

/** The element types typed in as text. */
export const TEXT_INPUTS = new Set(['plain_text_input', 'email_text_input', 'url_text_input', 'number_input']);

/** An input block around its control, as in a modal or a Home tab: label, optional mark, hint, error. */
export function inputFrame(block, el, id, control, names, error) {
  return h(
    'div.bk-input',
    { dataset: { blockId: block.block_id, actionId: el.action_id ?? '', elementType: el.type ?? '' }, class: error ? 'has-error' : '' },
    h('label.bk-label', { for: id }, textString(block.label), block.optional && h('span.bk-optional', {}, ' (optional)')),
    control,
    block.hint && html('div.bk-hint', textHtml(block.hint, names)),
    error && h('div.bk-error', { role: 'alert' }, error),
  );
}
