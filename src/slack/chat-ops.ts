// The two Slack calls the approval flow makes, on a Web API client: post (optionally in a thread)
// and update. Kept apart so the flow itself only sees {text, blocks} in and a ts out.
import type { webApi } from '@slack/bolt';
import type { ChatOps } from '../requests/approval-decisions.js';

export function chatOps(client: webApi.WebClient): ChatOps {
  return {
    async post(channel, message, threadTs) {
      const res = await client.chat.postMessage({
        channel,
        text: message.text,
        ...(message.blocks ? { blocks: message.blocks } : {}),
        ...(threadTs ? { thread_ts: threadTs } : {}),
        unfurl_links: false,
      });
      return res.ts as string;
    },
    async update(channel, ts, message) {
      await client.chat.update({ channel, ts, text: message.text, ...(message.blocks ? { blocks: message.blocks } : {}) });
    },
  };
}
