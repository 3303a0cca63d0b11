// Posting and updating a message, the one place the use cases' messages reach Slack's Web API:
// post (optionally in a thread) returns the ts, update rewrites it. The use cases only see
// {text, blocks} in and a ts out.
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
  };
}
