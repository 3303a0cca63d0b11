// Signed interaction payloads (block_actions, view_submission, view_closed, block_suggestion)
// sent into the running bot's Bolt receiver, built with the Slack simulator's payload builders
// so they have the shape of the genuine ones in test/fixtures/slack/.
import {
  blockActionsBody,
  blockSuggestionBody,
  sendToBot,
  viewClosedBody,
  viewSubmissionBody,
  type BotReply,
  type JsonObject,
  type SlackView,
  type StoredMessage,
} from 'droplet-bot-sandbox';
import { CHANNEL, SECRETS, type Harness } from './harness.js';

type StateValues = SlackView['state']['values'];

export interface ClickResult extends BotReply {
  responseUrl: string;
  /** Ephemeral replies the bot posted to this click's response_url. */
  replies(): string[];
}

/** Finds a button in a message's blocks by action_id. */
export function buttonIn(message: Pick<StoredMessage, 'blocks'>, actionId: string): { block_id: string; element: JsonObject } | undefined {
  for (const block of message.blocks ?? []) {
    if (block.type !== 'actions' || !Array.isArray(block.elements)) continue;
    const element = (block.elements as JsonObject[]).find((e) => e.action_id === actionId);
    if (element) return { block_id: String(block.block_id), element };
  }
  return undefined;
}

/**
 * Clicks a button in a channel or thread message, as `user`, like button-in-message.json; in an
 * ephemeral message the payload says so and, as Slack's does, carries no copy of the message.
 */
export async function clickButton(h: Harness, message: StoredMessage, actionId: string, user: string): Promise<ClickResult> {
  const button = buttonIn(message, actionId);
  if (!button) throw new Error(`no ${actionId} button in message ${message.ts}`);
  const channel = message.channel ?? CHANNEL;
  const ephemeral = h.slack.workspace.getEphemeral(message.ts) !== undefined;
  const responseUrl = h.slack.responseUrl(undefined, {
    channel_id: channel,
    user_id: user,
    message_ts: message.ts,
    ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}),
  });
  const body = blockActionsBody({
    user_id: user,
    channel_id: channel,
    message_ts: message.ts,
    ...(message.thread_ts && message.thread_ts !== message.ts ? { thread_ts: message.thread_ts } : {}),
    ...(ephemeral ? { is_ephemeral: true } : { message: message as unknown as JsonObject }),
    response_url: responseUrl,
    actions: [
      {
        action_id: actionId,
        block_id: button.block_id,
        text: (button.element.text as JsonObject | undefined) ?? 'button',
        value: String(button.element.value ?? ''),
        ...(button.element.style ? { style: button.element.style } : {}),
      },
    ],
  });
  const res = await sendToBot(h.eventsUrl, SECRETS.signingSecret, body);
  return {
    ...res,
    responseUrl,
    replies: () => h.responses(responseUrl).map((r) => r.text ?? ''),
  };
}

/** A select or checkbox changed inside a modal (dispatch_action), as `user`. */
export async function changeInView(h: Harness, view: SlackView, user: string, action: { block_id: string; action_id: string; type: string; selected_option?: JsonObject }, values: StateValues): Promise<BotReply> {
  const body = blockActionsBody({ user_id: user, view: { ...view, state: { values } }, actions: [action] });
  return sendToBot(h.eventsUrl, SECRETS.signingSecret, body);
}

export async function submitView(h: Harness, view: SlackView, user: string, values: StateValues): Promise<BotReply> {
  return sendToBot(h.eventsUrl, SECRETS.signingSecret, viewSubmissionBody({ user_id: user, view, values }));
}

export async function closeView(h: Harness, view: SlackView, user: string): Promise<BotReply> {
  return sendToBot(h.eventsUrl, SECRETS.signingSecret, viewClosedBody({ user_id: user, view }));
}

/** The external_select asks for options while the user types `value`. */
export async function suggest(h: Harness, view: SlackView, user: string, blockId: string, actionId: string, value: string): Promise<BotReply> {
  return sendToBot(h.eventsUrl, SECRETS.signingSecret, blockSuggestionBody({ user_id: user, view, block_id: blockId, action_id: actionId, value }));
}
