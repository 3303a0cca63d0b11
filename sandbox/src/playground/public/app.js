// The playground page: a Slack workspace in one tab. It follows the workspace through the server's
// event stream (a snapshot, then every change), draws the current channel, thread and modal for
// the person chosen on the left, and sends what that person does to the server, which turns it
// into genuine, signed Slack requests to the bot.
import { confirmDialog } from './confirm.js';
import { h } from './dom.js';
import { avatar, messageView } from './message-view.js';
import { ModalController } from './modal.js';
import { apply, compareTs, key, load, names, state, topView } from './workspace.js';

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
};
const modal = new ModalController({ root: $('modal-root'), names, confirm, user: () => state.me, post });

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
    renderChannel();
    renderThread();
    modal.show(topView());
  });
}

function renderStatus() {
  $('status').textContent = state.botReady ? 'bot connected' : 'bot starting…';
  $('status').dataset.ready = String(state.botReady);
}

function renderSidebar() {
  $('team-name').textContent = state.team.name;
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
          { type: 'button', 'aria-current': c.id === state.channel ? 'true' : undefined, dataset: { channelId: c.id }, onclick: () => openChannel(c.id) },
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
  render();
}

function openChannel(id) {
  state.channel = id;
  state.thread = null;
  render();
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
