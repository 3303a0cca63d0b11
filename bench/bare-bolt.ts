// Child process: the baseline — a bare Bolt app with the same receiver (HTTPReceiver at
// POST /slack/events, same signing secret) whose /droplet handler only acks.
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';

const receiver = new HTTPReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET ?? '', endpoints: '/slack/events', logLevel: LogLevel.ERROR });
const app = new App({
  receiver,
  token: process.env.SLACK_BOT_TOKEN,
  // No auth.test round trip: the baseline should measure the receiver, nothing else.
  tokenVerificationEnabled: false,
  botId: 'B0BENCH001',
  botUserId: 'U0BENCHBOT',
  logLevel: LogLevel.ERROR,
  convoStore: false,
});
app.command('/droplet', async ({ ack }) => {
  await ack();
});
const server = (await app.start(Number(process.env.PORT ?? 0))) as { address(): AddressInfo };
process.send?.({ port: server.address().port });
process.on('SIGTERM', () => void app.stop().then(() => process.exit(0)));
