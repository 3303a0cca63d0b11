// Posting, updating and telling one person, the one place the bot's messages reach Slack's Web
// API: post (optionally in a thread) returns the ts, update rewrites it, tell is ephemeral (or a
// direct message where the bot cannot post), showTo is an ephemeral with blocks. The use cases
// only see {text, blocks} in and a ts out.
import type { types, webApi } from '@slack/bolt';
import type { ChatOps, Message } from '../domain/ports.js';

export interface SlackChatOps extends ChatOps {
  /**
   * A message with blocks only `user` sees in `channel`. Its buttons belong to that channel, so
   * it has no direct-message fallback: it throws when it cannot go there.
   */
  showTo(channel: string, user: string, message: Message): Promise<void>;
}

export function chatOps(client: webApi.WebClient): SlackChatOps {
  return {
    async post(channel, message, threadTs) {
      const res = await client.chat.postMessage({
        channel,
        text: message.text,
        ...(message.blocks ? { blocks: message.blocks as types.KnownBlock[] } : {}),
        ...(threadTs ? { thread_ts: threadTs } : {}),
        unfurl_links: false,
      });
      return res.ts as string;
    },
    async update(channel, ts, message) {
      await client.chat.update({ channel, ts, text: message.text, ...(message.blocks ? { blocks: message.blocks as types.KnownBlock[] } : {}) });
    },
    async tell(channel, user, text) {
      try {
        await client.chat.postEphemeral({ channel, user, text });
      } catch {
        await client.chat.postMessage({ channel: user, text });
      }
    },
    async showTo(channel, user, message) {
      await client.chat.postEphemeral({ channel, user, text: message.text, ...(message.blocks ? { blocks: message.blocks as types.KnownBlock[] } : {}) });
    },
  };
}
