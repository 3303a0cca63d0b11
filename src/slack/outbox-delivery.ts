// Delivers outbox entries with the Slack Web API, and sorts Slack's failures into "retry later",
// "wait this long" and "will never work".
import type { webApi } from '@slack/bolt';
import { SlackDeliveryError, type OutboxDelivery, type OutboxEntry, type OutboxTarget } from '../queue/slack-outbox.js';
import { threadLink } from '../store/audit-log.js';

// Errors that a retry cannot fix: the message or channel is gone, or the bot may not post there.
const PERMANENT = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'message_not_found',
  'cant_update_message',
  'edit_window_closed',
  'msg_too_long',
  'invalid_blocks',
  'no_text',
  'restricted_action',
  'missing_scope',
  'not_authed',
  'invalid_auth',
  'account_inactive',
  'token_revoked',
]);

export class SlackOutboxDelivery implements OutboxDelivery {
  /** The client must not retry or wait on rate limits itself: the outbox does both. */
  constructor(private readonly client: webApi.WebClient) {}

  async deliver(target: OutboxTarget, entry: OutboxEntry): Promise<void> {
    try {
      switch (entry.kind) {
        case 'reply':
          await this.client.chat.postMessage({ channel: target.channel, thread_ts: target.rootTs, text: entry.text, unfurl_links: false });
          return;
        case 'root':
          await this.client.chat.update({ channel: target.channel, ts: target.rootTs, text: entry.text, blocks: entry.blocks as never });
          return;
        case 'post':
          await this.client.chat.postMessage({ channel: entry.channel, text: entry.text, unfurl_links: false });
          return;
        case 'notify': {
          const link = await this.permalink(target);
          await this.client.chat.postMessage({ channel: entry.channel, text: entry.text.replace('{thread}', `<${link}|thread>`), unfurl_links: false });
          return;
        }
      }
    } catch (err) {
      throw classify(err);
    }
  }

  private async permalink(target: OutboxTarget): Promise<string> {
    try {
      const res = await this.client.chat.getPermalink({ channel: target.channel, message_ts: target.rootTs });
      if (res.permalink) return res.permalink;
    } catch {
      // The generic archive link works for anyone in the workspace.
    }
    return threadLink(target.channel, target.rootTs);
  }
}

function classify(err: unknown): unknown {
  const e = err as { code?: string; retryAfter?: number; data?: { error?: string } };
  if (e.code === 'slack_webapi_rate_limited_error') {
    return new SlackDeliveryError('rate limited', false, Math.max(1, e.retryAfter ?? 1) * 1000);
  }
  const code = e.data?.error;
  if (code === 'ratelimited') return new SlackDeliveryError('rate limited', false, 1000);
  if (code && PERMANENT.has(code)) return new SlackDeliveryError(code, true);
  return err;
}
