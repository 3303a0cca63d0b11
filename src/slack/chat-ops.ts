// Posting, updating and telling one person, the one place the bot's messages reach Slack's Web
// API: post (optionally in a thread) returns the ts, update rewrites it, tell is ephemeral (or a
// direct message where the bot cannot post). The use cases only see {text, blocks} in and a ts out.
import type { types, webApi } from '@slack/bolt';
import type { ChatOps } from '../domain/ports.js';

export function chatOps(client: webApi.WebClient): ChatOps {
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
  };
}
