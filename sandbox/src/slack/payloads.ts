// Request bodies Slack sends to the bot: slash commands (form fields) and interactions
// (`payload=<urlencoded JSON>`). Field names and order follow the genuine fixtures in
// /work/shared/reference/slack/; defaults match the sandbox workspace (seed.ts) so that bodies and
// the simulated Web API describe the same team, app, people and channels.
import { slackId, triggerId, viewHash } from './ids.js';
import { DEFAULT_SEED, SANDBOX_BOT, SANDBOX_TEAM } from './seed.js';
import type { JsonObject, SlackView } from './workspace-types.js';

/** The legacy verification token Slack still sends; Bolt ignores it in favour of the signature. */
export const SANDBOX_VERIFICATION_TOKEN = 'sandbox-verification-token';
export const DEFAULT_COMMAND = '/droplet';

type StateValues = SlackView['state']['values'];

/** Who is interacting, and from which team/app; everything but user_id has a sandbox default. */
export interface InteractionBase {
  user_id: string;
  user_name?: string;
  team_id?: string;
  team_domain?: string;
  enterprise_id?: string;
  enterprise_name?: string;
  api_app_id?: string;
  token?: string;
}

export interface SlashCommandFields extends Omit<InteractionBase, 'user_id'> {
  command?: string;
  text: string;
  user_id: string;
  channel_id: string;
  channel_name?: string;
  response_url: string;
  trigger_id?: string;
  /** Sent as "true"/"false" after api_app_id when given (as in the anonymized real capture). */
  is_enterprise_install?: boolean;
}

/**
 * A slash command's form body, with the field order of slash-command.docs-example.form.txt:
 * token, team_id, team_domain, [enterprise_id, enterprise_name], channel_id, channel_name,
 * user_id, user_name, command, text, response_url, trigger_id, api_app_id.
 */
export function slashCommandBody(f: SlashCommandFields): string {
  const fields: Array<[string, string | undefined]> = [
    ['token', f.token ?? SANDBOX_VERIFICATION_TOKEN],
    ['team_id', f.team_id ?? SANDBOX_TEAM.id],
    ['team_domain', f.team_domain ?? SANDBOX_TEAM.domain],
    ['enterprise_id', f.enterprise_id],
    ['enterprise_name', f.enterprise_id !== undefined ? f.enterprise_name : undefined],
    ['channel_id', f.channel_id],
    ['channel_name', f.channel_name ?? channelName(f.channel_id)],
    ['user_id', f.user_id],
    ['user_name', f.user_name ?? userName(f.user_id)],
    ['command', f.command ?? DEFAULT_COMMAND],
    ['text', f.text],
    ['response_url', f.response_url],
    ['trigger_id', f.trigger_id ?? triggerId()],
    ['api_app_id', f.api_app_id ?? SANDBOX_BOT.app_id],
    ['is_enterprise_install', f.is_enterprise_install === undefined ? undefined : String(f.is_enterprise_install)],
  ];
  return new URLSearchParams(fields.filter((e): e is [string, string] => e[1] !== undefined)).toString();
}

export interface ActionInput {
  action_id: string;
  block_id: string;
  /** Defaults to `button`. */
  type?: string;
  /** A button's label; a string becomes a plain_text object. */
  text?: string | JsonObject;
  value?: string;
  selected_option?: JsonObject;
  action_ts?: string;
  [extra: string]: unknown;
}

export interface BlockActionsFields extends InteractionBase {
  actions: ActionInput[];
  trigger_id?: string;
  /** For a button in a message: where the message is. */
  channel_id?: string;
  channel_name?: string;
  message_ts?: string;
  thread_ts?: string;
  is_ephemeral?: boolean;
  /** The message the button is in (Slack includes it for non-ephemeral messages). */
  message?: JsonObject;
  response_url?: string;
  /** For an element in a modal: the view (then the container is the view, with no channel or response_url). */
  view?: Partial<SlackView>;
  /** state.values; defaults to the view's state for a modal. */
  state?: StateValues;
}

/** A block_actions payload shaped like block-actions.button-in-thread.json (or a modal's, when `view` is given). */
export function blockActionsPayload(f: BlockActionsFields): JsonObject {
  const view = f.view ? fullView(f, f.view) : undefined;
  const container = view
    ? { type: 'view', view_id: view.id }
    : {
        type: 'message',
        message_ts: f.message_ts ?? f.message?.ts,
        ...(f.thread_ts !== undefined ? { thread_ts: f.thread_ts } : {}),
        channel_id: f.channel_id,
        is_ephemeral: f.is_ephemeral ?? false,
      };
  const state = f.state ?? view?.state.values;
  return {
    type: 'block_actions',
    user: userObject(f),
    api_app_id: f.api_app_id ?? SANDBOX_BOT.app_id,
    token: f.token ?? SANDBOX_VERIFICATION_TOKEN,
    container,
    trigger_id: f.trigger_id ?? triggerId(),
    team: teamObject(f),
    ...(f.channel_id !== undefined ? { channel: { id: f.channel_id, name: f.channel_name ?? channelName(f.channel_id) } } : {}),
    ...(f.message ? { message: f.message } : {}),
    ...(view ? { view } : {}),
    ...(state ? { state: { values: state } } : {}),
    ...(f.response_url !== undefined ? { response_url: f.response_url } : {}),
    actions: f.actions.map(actionObject),
  };
}

export interface ViewSubmissionFields extends InteractionBase {
  /** The submitted view; missing fields get the defaults Slack would show. */
  view: Partial<SlackView>;
  /** What the user entered; replaces view.state.values. */
  values?: StateValues;
  trigger_id?: string;
  response_urls?: JsonObject[];
}

/** A view_submission payload shaped like view-submission.plain-text-input.json. */
export function viewSubmissionPayload(f: ViewSubmissionFields): JsonObject {
  return {
    type: 'view_submission',
    team: teamObject(f),
    user: userObject(f),
    api_app_id: f.api_app_id ?? SANDBOX_BOT.app_id,
    token: f.token ?? SANDBOX_VERIFICATION_TOKEN,
    trigger_id: f.trigger_id ?? triggerId(),
    view: fullView(f, f.view, f.values),
    response_urls: f.response_urls ?? [],
  };
}

export interface ViewClosedFields extends InteractionBase {
  view: Partial<SlackView>;
  /** True when the whole stack was closed. */
  is_cleared?: boolean;
}

/** A view_closed payload shaped like view-closed.json. */
export function viewClosedPayload(f: ViewClosedFields): JsonObject {
  return {
    type: 'view_closed',
    team: teamObject(f),
    user: userObject(f),
    api_app_id: f.api_app_id ?? SANDBOX_BOT.app_id,
    token: f.token ?? SANDBOX_VERIFICATION_TOKEN,
    view: fullView(f, f.view),
    is_cleared: f.is_cleared ?? false,
  };
}

export interface BlockSuggestionFields extends InteractionBase {
  action_id: string;
  block_id: string;
  /** What the user has typed so far. */
  value: string;
  /** The modal holding the external_select; omit for one in a message (then give channel_id/message_ts). */
  view?: Partial<SlackView>;
  channel_id?: string;
  message_ts?: string;
}

/** A block_suggestion payload (external_select options request), shaped like Slack's. */
export function blockSuggestionPayload(f: BlockSuggestionFields): JsonObject {
  const view = f.view ? fullView(f, f.view) : undefined;
  return {
    type: 'block_suggestion',
    user: userObject(f),
    container: view
      ? { type: 'view', view_id: view.id }
      : { type: 'message', message_ts: f.message_ts, channel_id: f.channel_id, is_ephemeral: false },
    api_app_id: f.api_app_id ?? SANDBOX_BOT.app_id,
    token: f.token ?? SANDBOX_VERIFICATION_TOKEN,
    action_id: f.action_id,
    block_id: f.block_id,
    value: f.value,
    team: teamObject(f),
    ...(view ? { view } : {}),
    ...(!view && f.channel_id !== undefined ? { channel: { id: f.channel_id, name: channelName(f.channel_id) } } : {}),
  };
}

export interface GlobalShortcutFields extends InteractionBase {
  callback_id: string;
  trigger_id?: string;
}

/** A global shortcut (the lightning-bolt menu), as Slack sends it: no channel, no message. */
export function globalShortcutPayload(f: GlobalShortcutFields): JsonObject {
  return {
    type: 'shortcut',
    token: f.token ?? SANDBOX_VERIFICATION_TOKEN,
    action_ts: actionTs(),
    team: teamObject(f),
    user: { id: f.user_id, username: f.user_name ?? userName(f.user_id), team_id: f.team_id ?? SANDBOX_TEAM.id },
    is_enterprise_install: false,
    enterprise: null,
    callback_id: f.callback_id,
    trigger_id: f.trigger_id ?? triggerId(),
  };
}

export interface MessageShortcutFields extends InteractionBase {
  callback_id: string;
  channel_id: string;
  /** The message the shortcut was used on, as Slack includes it (text, ts, thread_ts, attachments, blocks). */
  message: JsonObject;
  response_url: string;
  trigger_id?: string;
}

/** A message shortcut (a message's "more actions" menu): `message_action`, with the message and its channel. */
export function messageShortcutPayload(f: MessageShortcutFields): JsonObject {
  return {
    type: 'message_action',
    token: f.token ?? SANDBOX_VERIFICATION_TOKEN,
    action_ts: actionTs(),
    team: teamObject(f),
    user: userObject(f),
    channel: { id: f.channel_id, name: channelName(f.channel_id) },
    is_enterprise_install: false,
    enterprise: null,
    callback_id: f.callback_id,
    trigger_id: f.trigger_id ?? triggerId(),
    response_url: f.response_url,
    message_ts: String(f.message.ts),
    message: f.message,
  };
}

export interface AppHomeOpenedFields extends InteractionBase {
  /** `home` (the Home tab) or `messages`. */
  tab?: 'home' | 'messages';
  /** The Home view the user sees now, if the app published one (Slack includes it). */
  view?: SlackView;
}

/** An Events API `app_home_opened` callback, as JSON (the Events API's content type). */
export function appHomeOpenedBody(f: AppHomeOpenedFields): string {
  const ts = actionTs();
  return JSON.stringify({
    token: f.token ?? SANDBOX_VERIFICATION_TOKEN,
    team_id: f.team_id ?? SANDBOX_TEAM.id,
    api_app_id: f.api_app_id ?? SANDBOX_BOT.app_id,
    event: {
      type: 'app_home_opened',
      user: f.user_id,
      channel: `D${f.user_id.slice(1)}`,
      tab: f.tab ?? 'home',
      ...(f.view ? { view: f.view } : {}),
      event_ts: ts,
    },
    type: 'event_callback',
    event_id: slackId('Ev'),
    event_time: Math.floor(Number(ts)),
    authorizations: [{ enterprise_id: null, team_id: f.team_id ?? SANDBOX_TEAM.id, user_id: SANDBOX_BOT.user_id, is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  });
}

function actionTs(): string {
  return (Date.now() / 1000).toFixed(6);
}

/** Interaction payloads travel as a single form field holding JSON. */
export function interactionBody(payload: JsonObject): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export const blockActionsBody = (f: BlockActionsFields): string => interactionBody(blockActionsPayload(f));
export const viewSubmissionBody = (f: ViewSubmissionFields): string => interactionBody(viewSubmissionPayload(f));
export const viewClosedBody = (f: ViewClosedFields): string => interactionBody(viewClosedPayload(f));
export const blockSuggestionBody = (f: BlockSuggestionFields): string => interactionBody(blockSuggestionPayload(f));
export const globalShortcutBody = (f: GlobalShortcutFields): string => interactionBody(globalShortcutPayload(f));
export const messageShortcutBody = (f: MessageShortcutFields): string => interactionBody(messageShortcutPayload(f));

function userObject(f: InteractionBase): JsonObject {
  const name = f.user_name ?? userName(f.user_id);
  return { id: f.user_id, username: name, name, team_id: f.team_id ?? SANDBOX_TEAM.id };
}

function teamObject(f: InteractionBase): JsonObject {
  return {
    id: f.team_id ?? SANDBOX_TEAM.id,
    domain: f.team_domain ?? SANDBOX_TEAM.domain,
    ...(f.enterprise_id !== undefined ? { enterprise_id: f.enterprise_id, enterprise_name: f.enterprise_name ?? '' } : {}),
  };
}

function actionObject(a: ActionInput): JsonObject {
  const { action_id, block_id, type, text, action_ts, ...rest } = a;
  return {
    action_id,
    block_id,
    ...(text !== undefined ? { text: typeof text === 'string' ? { type: 'plain_text', text, emoji: true } : text } : {}),
    ...rest,
    type: type ?? 'button',
    action_ts: action_ts ?? (Date.now() / 1000).toFixed(6),
  };
}

/** A complete view object in the fixtures' key order; `view` may come straight from the Workspace. */
function fullView(f: InteractionBase, view: Partial<SlackView>, values?: StateValues): SlackView {
  const id = view.id ?? slackId('V');
  const teamId = f.team_id ?? SANDBOX_TEAM.id;
  return {
    id,
    team_id: view.team_id ?? teamId,
    type: view.type ?? 'modal',
    blocks: view.blocks ?? [],
    private_metadata: view.private_metadata ?? '',
    callback_id: view.callback_id ?? '',
    state: { values: values ?? view.state?.values ?? {} },
    hash: view.hash ?? viewHash(Date.now()),
    title: view.title ?? { type: 'plain_text', text: 'Modal' },
    clear_on_close: view.clear_on_close ?? false,
    notify_on_close: view.notify_on_close ?? false,
    close: view.close ?? null,
    submit: view.submit ?? null,
    previous_view_id: view.previous_view_id ?? null,
    root_view_id: view.root_view_id ?? id,
    app_id: view.app_id ?? f.api_app_id ?? SANDBOX_BOT.app_id,
    external_id: view.external_id ?? '',
    app_installed_team_id: view.app_installed_team_id ?? teamId,
    bot_id: view.bot_id ?? SANDBOX_BOT.bot_id,
  };
}

/** Names as the Workspace knows them: seeded ones, else the lower-cased ID that autoCreate uses. */
function userName(id: string): string {
  return DEFAULT_SEED.users.find((u) => u.id === id)?.name ?? (id === SANDBOX_BOT.user_id ? SANDBOX_BOT.name : id.toLowerCase());
}

function channelName(id: string): string {
  if (id.startsWith('D')) return 'directmessage'; // what Slack sends for DMs
  return DEFAULT_SEED.channels.find((c) => c.id === id)?.name ?? id.toLowerCase();
}
