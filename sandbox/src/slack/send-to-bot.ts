// Delivers a signed request to the bot's Bolt endpoint, as Slack's servers would.
import { performance } from 'node:perf_hooks';
import { signSlackRequest } from './sign.js';

export interface BotReply {
  status: number;
  text: string;
  /** The body parsed as JSON, when it is JSON (e.g. an ack with options or response_action). */
  json?: unknown;
  /** Time to the complete reply; Slack gives up after 3000 ms. */
  ms: number;
}

/**
 * POSTs `body` (a form body from payloads.ts) to `eventsUrl` (e.g. `http://127.0.0.1:3000/slack/events`).
 * The content type is exactly `application/x-www-form-urlencoded` because Bolt compares it by string
 * equality. `extraHeaders` are applied last, so a test can send a wrong signature or x-slack-retry-num.
 */
export async function sendToBot(
  eventsUrl: string,
  signingSecret: string,
  body: string,
  extraHeaders: Record<string, string> = {},
): Promise<BotReply> {
  const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(signingSecret, body) });
  for (const [name, value] of Object.entries(extraHeaders)) headers.set(name, value);
  const started = performance.now();
  const res = await fetch(eventsUrl, { method: 'POST', headers, body });
  const text = await res.text();
  const ms = performance.now() - started;
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, ...(json !== undefined ? { json } : {}), ms };
}
