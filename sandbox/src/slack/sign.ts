// Slack's v0 request signature, as the bot's Bolt receiver verifies it (README "Request signing"):
// v0=hex(HMAC-SHA256(signing secret, "v0:<timestamp>:<raw body>")).
import { createHmac } from 'node:crypto';

export interface SlackSignatureHeaders {
  'x-slack-request-timestamp': string;
  'x-slack-signature': string;
}

/** Headers that make `body` pass Bolt's verification; `timestamp` (unix seconds) defaults to now. */
export function signSlackRequest(
  signingSecret: string,
  body: string,
  timestamp: number = Math.floor(Date.now() / 1000),
): SlackSignatureHeaders {
  const ts = String(timestamp);
  const signature = createHmac('sha256', signingSecret).update(`v0:${ts}:${body}`, 'utf8').digest('hex');
  return { 'x-slack-request-timestamp': ts, 'x-slack-signature': `v0=${signature}` };
}
