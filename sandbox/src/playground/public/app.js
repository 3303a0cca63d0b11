// The playground page: a Slack workspace in one tab. It follows the workspace through the server's
// event stream (a snapshot, then every change), draws the current channel (or the app's Home tab),
// thread and modal for the person chosen on the left, and sends what that person does to the
// server, which turns it into genuine, signed Slack requests to the bot.
import { confirmDialog } from './confirm.js';
import { h } from './dom.js';
import { HomeTab } from './home.js';
import { avatar, messageView } from './message-view.js';
import { ModalController } from './modal.js';
import { closeMenu, shortcutMenu, shortcutsOf } from './shortcuts.js';
import { apply, compareTs, conversationsFor, key, load, names, state, topView } from './workspace.js';

const $ = (id) => document.getElementById(id);
const EXAMPLES = ['/droplet help', '/droplet reboot web-1', '/droplet resize web-1 size=s-2vcpu-4gb', '/droplet rebuild web-2 image=ubuntu-22-04-x64', '/droplet'];

async function post(path, body) {
  try {
    const res = await fetch(`/play/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return await res.json();
  } catch (err) {
    return { ok: false, error: 'network', message: `The playground server did not answer (${err.message}).` };
  }
}

const confirm = (c) => confirmDialog($('confirm-root'), c, names);
const messageCtx = {
  names,
  get botName() {
    return state.bot.name;
  },
  confirm,
  act: (container, block, el, choice) => act(container, block, el, choice),
  openThread: (m) => openThread(m),
  dismiss: (ts) => post('dismiss', { user_id: state.me, message_ts: ts }),
  get hasMessageShortcuts() {
    return shortcutsOf(state.app, 'message').length > 0;
  },
  moreActions: (m, button) => {
    // The message keeps its tools on screen while its menu is open.
    const row = button.closest('.msg');
    row?.classList.add('menu-open');
    shortcutMenu(button, { label: 'More actions', shortcuts: shortcutsOf(state.app, 'message'), choose: (s) => runShortcut(s, m), onClose: () => row?.classList.remove('menu-open') });
  },
};
const modal = new ModalController({
  root: $('modal-root'),
  names,
  confirm,
  user: () => state.me,
  post,
  // Where the person is when a modal opens: a channel, or no conversation on the Home tab.
  conversation: () => (state.showing === 'channel' && !state.channels.get(state.channel)?.is_im ? state.channel : undefined),
  conversations: (filter) => conversationsFor(filter),
});
const home = new HomeTab({ root: $('home'), names, confirm, botName: () => state.bot.name, user: () => state.me, post, published: () => state.homes.get(state.me) });

function connect() {
  const events = new EventSource('/play/events');
  events.addEventListener('snapshot', (e) => {
    load(JSON.parse(e.data));
    $('banner').textContent = state.banner.replace(/^:test_tube:\s*/, '🧪 ');
    render();
  });
  events.addEventListener('change', (e) => {
    const change = JSON.parse(e.data);
    if (change.type === 'response_url_posted') logCall(`response_url (${change.post.outcome})`, change.post.outcome !== 'rejected', change.post.error, change.at);
    if (apply(change)) render();
  });
  events.addEventListener('api_call', (e) => {
    const call = JSON.parse(e.data);
    logCall(call.method, call.ok, call.error, call.at);
  });
  events.addEventListener('bot_ready', () => {
    state.botReady = true;
    renderStatus();
  });
  events.addEventListener('error', () => {
    $('status').textContent = 'reconnecting…';
    $('status').dataset.ready = 'false';
  });
}

// ── drawing ─────────────────────────────────────────────────────────────

let pending = false;
function render() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    if (!state.loaded) return;
    renderStatus();
    renderSidebar();
    renderMain();
    renderThread();
    modal.show(topView());
  });
}

function renderStatus() {
  $('status').textContent = state.botReady ? 'bot connected' : 'bot starting…';
  $('status').dataset.ready = String(state.botReady);
}

/** The channel, or the app's Home tab when the person opened it. */
function renderMain() {
  if (state.showing === 'home' && !state.app.homeTab) state.showing = 'channel';
  const onHome = state.showing === 'home';
  $('home').hidden = !onHome;
  $('channel-pane').hidden = onHome;
  $('shortcuts-button').hidden = shortcutsOf(state.app, 'global').length === 0;
  if (onHome) home.show(state.homes.get(state.me));
  else renderChannel();
}

function renderSidebar() {
  $('team-name').textContent = state.team.name;
  $('apps-section').hidden = !state.app.homeTab;
  $('apps').replaceChildren(
    h('li', {}, h('button.channel-link.app-link', { type: 'button', 'aria-current': state.showing === 'home' ? 'true' : undefined, onclick: () => openHome() }, `⌂ ${state.bot.name}`, h('span.side-note', {}, ' Home'))),
  );
  // Channels, then the current person's direct messages with the bot (it writes there when it
  // cannot post in a channel).
  const channels = [...state.channels.values()].filter((c) => !c.is_im || c.user === state.me);
  $('channels').replaceChildren(
    ...channels.map((c) =>
      h(
        'li',
        {},
        h(
          'button.channel-link',
          { type: 'button', 'aria-current': c.id === state.channel && state.showing === 'channel' ? 'true' : undefined, dataset: { channelId: c.id }, onclick: () => openChannel(c.id) },
          c.is_im ? `✉ ${state.bot.name} (direct message)` : `# ${c.name}`,
          !c.is_im && !c.is_member && h('span.side-note', {}, ' bot not invited'),
        ),
      ),
    ),
  );
  $('people').replaceChildren(
    ...state.people.map((p) => {
      const user = state.users.get(p.id);
      return h(
        'button.person',
        { type: 'button', role: 'radio', 'aria-checked': String(p.id === state.me), dataset: { userId: p.id }, onclick: () => switchUser(p.id) },
        avatar(user?.real_name ?? p.id),
        h('span.person-text', {}, h('span.person-name', {}, user?.real_name ?? p.id), h('span.person-role', {}, p.role), h('span.person-can', {}, p.can)),
      );
    }),
  );
}

function renderChannel() {
  let channel = state.channels.get(state.channel);
  // A direct message belongs to one person: switching person leaves it.
  if (channel?.is_im && channel.user !== state.me) {
    state.channel = state.home;
    channel = state.channels.get(state.channel);
  }
  const label = channel ? (channel.is_im ? `${state.bot.name} (direct message)` : `#${channel.name}`) : '';
  $('channel-name').textContent = label;
  $('channel-purpose').textContent = channel?.purpose?.value ?? '';
  $('composer-input').placeholder = `Message ${label}, or type /droplet reboot web-1`;
  const list = $('messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const top = [...state.messages.values()].filter((m) => m.channel === state.channel && (m.thread_ts === undefined || m.thread_ts === m.ts || m.subtype === 'thread_broadcast'));
  const mine = [...state.ephemerals.values()].filter((e) => e.user === state.me && e.channel === state.channel && e.thread_ts === undefined);
  const notices = state.notices.filter((n) => n.user === state.me && n.channel === state.channel && !n.thread_ts);
  const items = [...top.map((m) => ({ m, kind: 'message' })), ...mine.map((m) => ({ m, kind: 'ephemeral' })), ...notices.map((m) => ({ m, kind: 'notice' }))];
  items.sort((a, b) => compareTs(a.m.ts, b.m.ts));
  list.replaceChildren(...(items.length ? items.map((i) => messageView(i.m, i.kind, false, messageCtx)) : [h('p.empty', {}, 'No messages yet. Type a command below.')]));
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function renderThread() {
  const pane = $('thread');
  const root = state.thread && state.messages.get(key(state.thread.channel, state.thread.ts));
  if (!root) {
    pane.hidden = true;
    pane.replaceChildren();
    return;
  }
  const replies = [...state.messages.values()].filter((m) => m.channel === root.channel && m.thread_ts === root.ts && m.ts !== root.ts);
  const mine = [...state.ephemerals.values()].filter((e) => e.user === state.me && e.thread_ts === root.ts);
  const notices = state.notices.filter((n) => n.user === state.me && n.thread_ts === root.ts);
  const items = [...replies.map((m) => ({ m, kind: 'message' })), ...mine.map((m) => ({ m, kind: 'ephemeral' })), ...notices.map((m) => ({ m, kind: 'notice' }))];
  items.sort((a, b) => compareTs(a.m.ts, b.m.ts));
  const old = pane.querySelector('.thread-messages');
  const atBottom = !old || old.scrollHeight - old.scrollTop - old.clientHeight < 40;
  const input = pane.querySelector('textarea');
  const draft = input?.value ?? '';
  const hadFocus = input && document.activeElement === input;
  const form = h('form.composer.thread-composer', { onsubmit: (e) => (e.preventDefault(), send(form.querySelector('textarea'), root.ts)) }, h('textarea', { rows: 1, placeholder: 'Reply…', 'aria-label': 'Reply in thread' }), h('button.bk-btn.primary', { type: 'submit' }, 'Reply'));
  const textarea = form.querySelector('textarea');
  textarea.value = draft;
  textarea.addEventListener('keydown', enterSends(() => send(textarea, root.ts)));
  const messages = h('div.thread-messages', {}, messageView(root, 'message', true, messageCtx), h('div.thread-divider', {}, `${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}`), items.map((i) => messageView(i.m, i.kind, true, messageCtx)));
  pane.replaceChildren(h('div.thread-header', {}, h('span', {}, 'Thread'), h('span.side-note', {}, ` #${state.channels.get(root.channel)?.name ?? ''}`), h('button.modal-x', { type: 'button', 'aria-label': 'Close thread', onclick: () => ((state.thread = null), render()) }, '✕')), messages, form);
  pane.hidden = false;
  if (atBottom) messages.scrollTop = messages.scrollHeight;
  if (hadFocus) textarea.focus();
}

// ── doing things ────────────────────────────────────────────────────────

async function act(container, block, el, choice) {
  const result = await post('action', { user_id: state.me, container, block_id: block.block_id, action_id: el.action_id, ...choice });
  if (!result.ok) notice(result.message, state.thread && container.type === 'message' ? state.thread.ts : undefined);
}

async function send(input, thread_ts) {
  const text = input.value.trim();
  if (!text) return;
  input.disabled = true;
  const result = await post('send', { user_id: state.me, channel_id: state.channel, text, ...(thread_ts ? { thread_ts } : {}) });
  input.disabled = false;
  if (result.ok) input.value = '';
  else notice(result.message, thread_ts);
  input.focus();
}

function notice(text, thread_ts) {
  state.notices.push({ ts: `${(Date.now() / 1000).toFixed(6)}`, user: state.me, channel: state.channel, text, ...(thread_ts ? { thread_ts } : {}) });
  render();
}

function switchUser(id) {
  state.me = id;
  localStorage.setItem('playground.user', id);
  closeMenu();
  render();
  // The new person is looking at their own Home tab now: Slack tells the app.
  if (state.showing === 'home') home.open();
}

function openChannel(id) {
  state.channel = id;
  state.showing = 'channel';
  state.thread = null;
  render();
}

function openHome() {
  state.showing = 'home';
  state.thread = null;
  render();
  home.open();
}

/** A shortcut chosen in a menu: global, or a message shortcut on `message`. */
async function runShortcut(shortcut, message) {
  const where = message ? { channel_id: message.channel, message_ts: message.ts } : {};
  const result = await post('shortcut', { user_id: state.me, callback_id: shortcut.callback_id, ...where });
  if (!result.ok) notice(result.message, message && message.thread_ts !== undefined && message.thread_ts !== message.ts ? message.thread_ts : undefined);
}

/** A link to a message of this workspace (a permalink, or a thread link the app wrote) opens it here. */
function openPermalink(e) {
  const a = e.target.closest?.('a[href]');
  const match = a && /\/archives\/([CDG][A-Z0-9]+)\/p(\d{10})(\d{6})(?:[?#]|$)/.exec(a.getAttribute('href'));
  if (!match || !state.channels.has(match[1])) return;
  e.preventDefault();
  const ts = `${match[2]}.${match[3]}`;
  const message = state.messages.get(key(match[1], ts));
  const root = message?.thread_ts && message.thread_ts !== ts ? message.thread_ts : ts;
  openChannel(match[1]);
  if (state.messages.has(key(match[1], root))) openThread({ channel: match[1], ts: root });
}

function openThread(m) {
  state.thread = { channel: m.channel, ts: m.ts };
  render();
}

function logCall(method, ok, error, at) {
  state.calls.unshift({ method, ok, error, at });
  state.calls.length = Math.min(state.calls.length, 40);
  $('api-log').replaceChildren(...state.calls.map((c) => h('li', { class: c.ok ? 'ok' : 'failed' }, h('time', {}, new Date(c.at).toLocaleTimeString()), ` ${c.method} `, c.ok ? '✓' : `✗ ${c.error ?? ''}`)));
}

async function pollDroplets() {
  try {
    const { droplets } = await (await fetch('/play/droplets')).json();
    $('droplets').tBodies[0].replaceChildren(
      ...droplets.map((d) =>
        h('tr', { dataset: { dropletId: String(d.id), status: d.status, busy: String(d.busy) } }, h('td.droplet-name', {}, d.name), h('td', {}, d.busy ? h('span.busy', {}, 'busy') : h(`span.status-${d.status}`, {}, d.status)), h('td.droplet-size', {}, d.size), h('td.side-note', {}, d.region)),
      ),
    );
  } catch {
    // The server is restarting; the next poll will tell.
  }
  setTimeout(pollDroplets, 1500);
}

// ── helpers ─────────────────────────────────────────────────────────────

function enterSends(action) {
  return (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      action();
    }
  };
}

// ── start ───────────────────────────────────────────────────────────────

const composer = $('composer-input');
$('shortcuts-button').addEventListener('click', (e) =>
  shortcutMenu(e.currentTarget, { label: 'Shortcuts', shortcuts: shortcutsOf(state.app, 'global'), choose: (s) => runShortcut(s) }),
);
document.addEventListener('click', openPermalink);
composer.addEventListener('keydown', enterSends(() => send(composer)));
$('composer').addEventListener('submit', (e) => {
  e.preventDefault();
  send(composer);
});
$('examples').replaceChildren(
  h('span.side-note', {}, 'Try: '),
  ...EXAMPLES.map((text) => h('button.example', { type: 'button', onclick: () => ((composer.value = text), composer.focus()) }, text)),
);
connect();
pollDroplets();
