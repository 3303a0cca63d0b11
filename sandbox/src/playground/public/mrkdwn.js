// Slack's mrkdwn as safe HTML. The order matters: code spans and <…> control sequences are set
// aside first (their contents are never formatted), the rest has Slack's &amp; &lt; &gt; decoded
// and is then HTML-escaped, and only then do *bold*, _italic_, ~strike~, quotes and emoji apply.
// Nothing from a message ever reaches the page unescaped; links are http(s)/mailto only.
import { emojify } from './emoji.js';

const SLACK_ENTITIES = { '&amp;': '&', '&lt;': '<', '&gt;': '>' };
const HTML_ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Slack's three entities back to characters (one pass, so "&amp;lt;" stays "&lt;"). */
export function decodeSlack(text) {
  return String(text).replace(/&(amp|lt|gt);/g, (entity) => SLACK_ENTITIES[entity]);
}

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** plain_text objects: escaped, with emoji unless `emoji: false`. */
export function plainText(text, emoji = true) {
  const safe = escapeHtml(text);
  return emoji ? emojify(safe) : safe;
}

/**
 * `ctx` names things the way the workspace knows them:
 * { user(id) → display name, channel(id) → name, group(id) → handle }, each may return undefined.
 */
export function mrkdwn(text, ctx = {}) {
  const held = [];
  // NUL never occurs in Slack text; it marks the places set aside.
  const hold = (html) => `\u0000${held.push(html) - 1}\u0000`;
  let s = String(text ?? '').replace(/\u0000/g, '');

  s = s.replace(/```([\s\S]*?)```/g, (_, body) => hold(`<pre class="mk-pre">${escapeHtml(decodeSlack(body.replace(/^\n/, '')))}</pre>`));
  s = s.replace(/`([^`\n]+)`/g, (_, body) => hold(`<code class="mk-code">${escapeHtml(decodeSlack(body))}</code>`));
  s = s.replace(/<([^<>\n]+)>/g, (_, inner) => hold(control(inner, ctx)));

  s = escapeHtml(decodeSlack(s));
  s = s.replace(/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])/g, '$1<strong>$2</strong>');
  s = s.replace(/(^|[^\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])/g, '$1<em>$2</em>');
  s = s.replace(/(^|[^\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])/g, '$1<del>$2</del>');
  s = s.replace(/(^|\n)&gt; ?([^\n]*)/g, '$1<blockquote class="mk-quote">$2</blockquote>');
  s = emojify(s).replace(/\n/g, '<br>').replace(/<\/blockquote><br>/g, '</blockquote>');
  return s.replace(/\u0000(\d+)\u0000/g, (_, i) => held[Number(i)]);
}

/** One <…> sequence: a mention, a channel, a special mention, a date, or a link. */
function control(inner, ctx) {
  const bar = inner.indexOf('|');
  const head = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? undefined : inner.slice(bar + 1);
  const chip = (cls, text) => `<span class="${cls}">${escapeHtml(decodeSlack(text))}</span>`;
  if (head.startsWith('@')) {
    const id = head.slice(1);
    return chip('mk-mention', `@${ctx.user?.(id) ?? label ?? id}`);
  }
  if (head.startsWith('#')) {
    const id = head.slice(1);
    return chip('mk-channel', `#${ctx.channel?.(id) ?? label ?? id}`);
  }
  if (head.startsWith('!')) {
    const [kind, arg] = head.slice(1).split('^');
    if (kind === 'here' || kind === 'channel' || kind === 'everyone') return chip('mk-mention', `@${kind}`);
    if (kind === 'subteam') return chip('mk-mention', label ?? `@${ctx.group?.(arg) ?? arg}`);
    return escapeHtml(decodeSlack(label ?? head));
  }
  const url = decodeSlack(head);
  const text = decodeSlack(label ?? head);
  if (!/^(https?:\/\/|mailto:)/i.test(url)) return escapeHtml(text);
  return `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${escapeHtml(text)}</a>`;
}
