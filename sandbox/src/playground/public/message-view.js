// One message as Slack draws it: avatar, author, time, Block Kit or mrkdwn text, attachments,
// the thread summary, for ephemeral messages "Only visible to you", and on hover its tools: reply
// in thread, and "More actions" with the app's message shortcuts.
import { renderBlocks } from './blocks.js';
import { h, html } from './dom.js';
import { mrkdwn } from './mrkdwn.js';

/**
 * kind: 'message' | 'ephemeral' | 'notice' (Slack's own client-side notices).
 * ctx: { names, botName, confirm(c), act(container, block, el, choice), openThread(m), dismiss(ts),
 *        hasMessageShortcuts, moreActions(m, button) }
 */
export function messageView(m, kind, inThread, ctx) {
  const isBot = Boolean(m.bot_id) || kind === 'notice';
  const author = kind === 'notice' ? 'Slackbot' : isBot ? ctx.botName : (ctx.names.user(m.user) ?? m.user);
  const container = kind === 'ephemeral' ? { type: 'ephemeral', message_ts: m.ts } : { type: 'message', channel_id: m.channel, message_ts: m.ts };
  const content =
    m.blocks && m.blocks.length
      ? renderBlocks(m.blocks, { names: ctx.names, confirm: ctx.confirm, onAction: (block, el, choice) => ctx.act(container, block, el, choice) })
      : html('div.msg-text', mrkdwn(m.text, ctx.names));
  const isRoot = kind === 'message' && (m.thread_ts === undefined || m.thread_ts === m.ts);
  return h(
    'div.msg',
    { class: kind !== 'message' ? 'ephemeral' : '', dataset: { ts: m.ts, user: m.user ?? '', kind } },
    avatar(author, isBot),
    h(
      'div.msg-body',
      {},
      h('div.msg-meta', {}, h('span.msg-author', {}, author), isBot && h('span.app-badge', {}, 'APP'), h('time.msg-time', {}, clock(m.ts)), m.edited && h('span.msg-edited', {}, '(edited)')),
      content,
      (m.attachments ?? []).map((a) => attachment(a, ctx.names)),
      isRoot && !inThread && m.reply_count ? h('button.thread-link', { type: 'button', onclick: () => ctx.openThread(m) }, `${m.reply_count} ${m.reply_count === 1 ? 'reply' : 'replies'}`) : null,
      kind !== 'message' && h('div.ephemeral-note', {}, 'Only visible to you', kind === 'ephemeral' && h('button.link', { type: 'button', onclick: () => ctx.dismiss(m.ts) }, 'Dismiss')),
    ),
    h(
      'div.msg-tools',
      {},
      isRoot && !inThread && h('button.msg-reply', { type: 'button', title: 'Reply in thread', onclick: () => ctx.openThread(m) }, '💬'),
      // Slack offers shortcuts on messages in a conversation, not on ephemeral ones.
      kind === 'message' &&
        ctx.hasMessageShortcuts &&
        h('button.msg-more', { type: 'button', title: 'More actions', 'aria-label': 'More actions', 'aria-haspopup': 'menu', 'aria-expanded': 'false', onclick: (e) => ctx.moreActions(m, e.currentTarget) }, '⋮'),
    ),
  );
}

function attachment(a, names) {
  const el = h('div.attachment', {}, a.pretext && html('div.msg-text', mrkdwn(a.pretext, names)), a.title && h('div.attachment-title', {}, a.title), a.text && html('div.msg-text', mrkdwn(a.text, names)), a.blocks && renderBlocks(a.blocks, { names, confirm: () => Promise.resolve(false), onAction: () => {} }));
  if (typeof a.color === 'string' && /^#?[0-9a-f]{3,6}$/i.test(a.color)) el.style.borderLeftColor = a.color.startsWith('#') ? a.color : `#${a.color}`;
  return el;
}

export function avatar(name, bot = false) {
  return h(`span.avatar${bot ? '.bot' : ''}`, { 'aria-hidden': 'true' }, String(name ?? '?').trim().charAt(0).toUpperCase());
}

function clock(ts) {
  return new Date(Number(ts.split('.')[0]) * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
