// Block Kit's confirmation dialog (a button's or option's `confirm` object): resolves true only
// when the person presses the confirm button.
import { textHtml, textString } from './blocks.js';
import { h, html } from './dom.js';

export function confirmDialog(root, confirm, names) {
  return new Promise((resolve) => {
    const done = (answer) => {
      root.hidden = true;
      root.replaceChildren();
      resolve(answer);
    };
    const style = confirm.style === 'danger' ? '.danger' : '.primary';
    root.replaceChildren(
      h(
        'div.confirm-dialog',
        { role: 'alertdialog', 'aria-modal': 'true', 'aria-label': textString(confirm.title) || 'Are you sure?' },
        html('h2.modal-title', textHtml(confirm.title ?? 'Are you sure?', names)),
        html('div.confirm-text', textHtml(confirm.text, names)),
        h(
          'div.modal-footer',
          {},
          h('button.bk-btn.confirm-deny', { type: 'button', onclick: () => done(false) }, textString(confirm.deny) || 'Cancel'),
          h(`button.bk-btn${style}.confirm-ok`, { type: 'button', onclick: () => done(true) }, textString(confirm.confirm) || 'Yes'),
        ),
      ),
    );
    root.hidden = false;
    root.querySelector('.confirm-ok').focus();
  });
}
