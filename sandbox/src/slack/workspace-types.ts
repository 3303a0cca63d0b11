// The shapes the simulated workspace stores. They follow the Web API's JSON (field names and
// nesting) so that what the simulator returns, and what a playground UI renders, is what Slack sends.

export type JsonObject = Record<string, unknown>;

export interface Team {
  id: string;
  name: string;
  domain: string;
  enterprise_id?: string;
  enterprise_name?: string;
}

/** The app's bot user: who the simulated Web API token belongs to. */
export interface BotIdentity {
  user_id: string;
  bot_id: string;
  app_id: string;
  name: string;
}

export interface SlackUser {
  id: string;
  team_id: string;
  name: string;
  deleted: boolean;
  real_name: string;
  tz: string;
  tz_label: string;
  tz_offset: number;
  profile: { real_name: string; display_name: string; email?: string; team: string } & JsonObject;
  is_admin: boolean;
  is_owner: boolean;
  is_primary_owner: boolean;
  is_restricted: boolean;
  is_ultra_restricted: boolean;
  is_bot: boolean;
  is_app_user: boolean;
  updated: number;
}

export interface SlackChannel {
  id: string;
  name: string;
  is_channel: boolean;
  is_group: boolean;
  is_im: boolean;
  is_mpim: boolean;
  is_private: boolean;
  is_archived: boolean;
  is_general: boolean;
  /** Whether the bot is a member; posting to a channel the bot is not in gives `not_in_channel`. */
  is_member: boolean;
  created: number;
  creator: string;
  /** The other party of a DM (`is_im`). */
  user?: string;
  topic: { value: string; creator: string; last_set: number };
  purpose: { value: string; creator: string; last_set: number };
}

export interface UserGroup {
  id: string;
  team_id: string;
  is_usergroup: true;
  name: string;
  description: string;
  handle: string;
  date_create: number;
  date_update: number;
  date_delete: number;
  users: string[];
  user_count: number;
}

/** A channel message as `conversations.history` would return it, plus the channel it lives in. */
export interface StoredMessage {
  channel: string;
  type: 'message';
  subtype?: string;
  ts: string;
  user?: string;
  bot_id?: string;
  app_id?: string;
  text: string;
  blocks?: JsonObject[];
  attachments?: JsonObject[];
  metadata?: JsonObject;
  team: string;
  /** Set on thread replies (to the parent's ts) and on parents that have replies (to their own ts). */
  thread_ts?: string;
  parent_user_id?: string;
  reply_count?: number;
  reply_users?: string[];
  reply_users_count?: number;
  latest_reply?: string;
  edited?: { user: string; ts: string };
}

/** Content a message can carry; used by post and update operations. */
export interface MessageContent {
  text?: string;
  blocks?: JsonObject[];
  attachments?: JsonObject[];
  metadata?: JsonObject;
}

/** A message only `user` can see; Slack keeps these client-side, so only the simulator remembers them. */
export interface EphemeralMessage {
  /** '' when it came through a response URL registered without a channel. */
  channel: string;
  /** The one user who sees it. */
  user: string;
  ts: string;
  text: string;
  blocks?: JsonObject[];
  attachments?: JsonObject[];
  thread_ts?: string;
  bot_id: string;
  app_id: string;
  /**
   * How it arrived: `chat.postEphemeral`, a response_url post (with that URL's id), or the body of
   * the bot's ack to a slash command (which a playground records after sendToBot).
   */
  source: { kind: 'chat.postEphemeral' } | { kind: 'response_url'; id: string } | { kind: 'ack' };
}

/** A modal as `views.open` returns it; key order follows the genuine payloads. */
export interface SlackView {
  id: string;
  team_id: string;
  type: string;
  blocks: JsonObject[];
  private_metadata: string;
  callback_id: string;
  state: { values: Record<string, Record<string, JsonObject>> };
  hash: string;
  title: JsonObject | null;
  clear_on_close: boolean;
  notify_on_close: boolean;
  close: JsonObject | null;
  submit: JsonObject | null;
  previous_view_id: string | null;
  root_view_id: string;
  app_id: string;
  external_id: string;
  app_installed_team_id: string;
  bot_id: string;
}

/** What the simulator knows about an open view beyond Slack's view object. */
export interface ViewRecord {
  view: SlackView;
  /** The user who sees it, when the trigger that opened the stack was issued by the workspace. */
  user_id?: string;
  /** Field errors from a `response_action: "errors"` ack, shown under the inputs. */
  errors?: Record<string, string>;
}

/** Where a response_url's posts land: the command's or action's channel, user and source message. */
export interface ResponseUrlContext {
  channel_id?: string;
  user_id?: string;
  /** The message the interaction came from, for replace_original / delete_original. */
  message_ts?: string;
  thread_ts?: string;
}

/** The fields of a response_url post body that decide what the user sees. */
export interface ResponseUrlMessage {
  text?: string;
  blocks?: JsonObject[];
  attachments?: JsonObject[];
  response_type?: 'ephemeral' | 'in_channel';
  replace_original?: boolean;
  delete_original?: boolean;
  thread_ts?: string;
  [field: string]: unknown;
}

export type ResponseUrlOutcome = 'ephemeral' | 'in_channel' | 'replaced' | 'deleted' | 'rejected';

export interface ResponseUrlPost {
  id: string;
  body: ResponseUrlMessage;
  at: number;
  outcome: ResponseUrlOutcome;
  /** ts of the message created, replaced or deleted. */
  ts?: string;
  error?: string;
}

/** What changed in the workspace. */
export type WorkspaceEvent =
  | { type: 'message_posted'; message: StoredMessage }
  | { type: 'message_changed'; message: StoredMessage }
  | { type: 'message_deleted'; channel: string; ts: string }
  | { type: 'ephemeral_posted'; ephemeral: EphemeralMessage }
  | { type: 'ephemeral_changed'; ephemeral: EphemeralMessage }
  | { type: 'ephemeral_deleted'; channel: string; ts: string; user: string }
  | { type: 'view_opened'; view: SlackView; user_id?: string }
  | { type: 'view_pushed'; view: SlackView; user_id?: string }
  | { type: 'view_updated'; view: SlackView; user_id?: string }
  | { type: 'view_closed'; view_id: string; root_view_id: string; user_id?: string }
  | { type: 'home_published'; view: SlackView; user_id: string }
  | { type: 'channel_added'; channel: SlackChannel }
  | { type: 'user_added'; user: SlackUser }
  | { type: 'usergroup_changed'; usergroup: UserGroup }
  | { type: 'response_url_posted'; post: ResponseUrlPost };

/** Every state change, in order; `seq` lets a UI that reconnects know what it missed. */
export type WorkspaceChange = WorkspaceEvent & { seq: number; at: number };
