// The external_select type-ahead of a modal.
import { textString } from './blocks.js';
import { h } from './dom.js';

/**
 * An external_select: a text box whose options come from the app (block_suggestion) as the
 * person types, at least `min_query_length` characters (Slack's default is 3). Once an option is
 * picked it shows as a chip with a clear button.
 * opts: { el, id, chosen() → option|null, choose(option|null), suggest(query) → Promise<result> }
 */
export function typeahead({ el, id, chosen, choose, suggest }) {
  const min = el.min_query_length ?? 3;
  const box = h('div.bk-typeahead');
  const list = h('ul.bk-suggestions', { role: 'listbox', hidden: true });
  const input = h('input.bk-text-input', { id, type: 'text', autocomplete: 'off', role: 'combobox', placeholder: textString(el.placeholder) || 'Type to search' });
  let timer;
  let asked = 0;
  const pick = (option) => {
    choose(option);
    draw();
  };
  const ask = async () => {
    const query = input.value;
    if (query.length < min) return void (list.hidden = true);
    const mine = ++asked;
    const result = await suggest(query);
    if (mine !== asked) return; // an older answer arriving late
    const items = [];
    for (const o of result.options ?? []) items.push(o);
    for (const g of result.option_groups ?? []) for (const o of g.options ?? []) items.push({ ...o, group: g.label });
    list.replaceChildren(
      ...(items.length ? items : [null]).map((o) =>
        o
          ? h('li.bk-suggestion', { role: 'option', tabindex: 0, onmousedown: (e) => (e.preventDefault(), pick(stripGroup(o))), onkeydown: (e) => e.key === 'Enter' && pick(stripGroup(o)) }, o.group ? `${textString(o.group)} · ` : '', textString(o.text))
          : h('li.bk-suggestion.empty', {}, result.ok === false ? result.message : 'No results'),
      ),
    );
    list.hidden = false;
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(ask, 150);
  });
  input.addEventListener('focus', () => min === 0 && ask());
  input.addEventListener('blur', () => setTimeout(() => (list.hidden = true), 150));
  const draw = () => {
    const picked = chosen();
    if (picked) {
      box.replaceChildren(
        h('div.bk-chosen', { dataset: { value: picked.value } }, h('span', {}, textString(picked.text)), h('button.bk-unchoose', { type: 'button', 'aria-label': 'Clear', onclick: () => (choose(null), (input.value = ''), draw()) }, '×')),
      );
    } else {
      box.replaceChildren(input, list);
    }
  };
  draw();
  return box;
}

function stripGroup({ group: _group, ...option }) {
  return option;
}
