// Slack's shortcuts, as its client offers them: the lightning bolt by the composer lists the app's
// global shortcuts, and a message's "More actions" (⋮) lists its message shortcuts, both as the
// app's manifest declares them. Choosing one is sent to the server, which sends the app Slack's
// `shortcut` or `message_action` payload; what the app does next (a modal) comes back as usual.
import { h } from './dom.js';

let open = null;

/** Closes the menu on screen, if any. */
export function closeMenu() {
  if (!open) return;
  const { menu, anchor, onClose } = open;
  open = null;
  menu.remove();
  anchor.setAttribute('aria-expanded', 'false');
  onClose?.();
  document.removeEventListener('mousedown', outside, true);
  document.removeEventListener('keydown', escape, true);
}

function outside(e) {
  if (open && !open.menu.contains(e.target) && !open.anchor.contains(e.target)) closeMenu();
}

function escape(e) {
  if (e.key === 'Escape') closeMenu();
}

/**
 * A menu of shortcuts under (or above, near the bottom of the window) `anchor`: each item shows the
 * shortcut's name and description, and `choose(shortcut)` runs when one is picked.
 */
export function shortcutMenu(anchor, { label, shortcuts, choose, onClose }) {
  if (open?.anchor === anchor) return closeMenu();
  closeMenu();
  const items = shortcuts.map((s) =>
    h(
      'button.menu-item',
      { type: 'button', role: 'menuitem', dataset: { callbackId: s.callback_id }, onclick: () => (closeMenu(), choose(s)) },
      h('span.menu-item-name', {}, s.name),
      s.description && h('span.menu-item-desc', {}, s.description),
    ),
  );
  const menu = h('div.menu', { role: 'menu', 'aria-label': label }, h('div.menu-title', {}, label), items.length ? items : h('div.menu-empty', {}, 'No shortcuts'));
  document.body.append(menu);
  const box = anchor.getBoundingClientRect();
  const below = box.bottom + menu.offsetHeight + 8 < window.innerHeight;
  menu.style.top = `${Math.max(8, below ? box.bottom + 4 : box.top - menu.offsetHeight - 4)}px`;
  menu.style.left = `${Math.max(8, Math.min(box.left, window.innerWidth - menu.offsetWidth - 8))}px`;
  anchor.setAttribute('aria-expanded', 'true');
  open = { menu, anchor, onClose };
  document.addEventListener('mousedown', outside, true);
  document.addEventListener('keydown', escape, true);
  items[0]?.focus();
}

/** The app's shortcuts of one type ('global' or 'message'), in the manifest's order. */
export function shortcutsOf(app, type) {
  return (app?.shortcuts ?? []).filter((s) => s.type === type);
}
