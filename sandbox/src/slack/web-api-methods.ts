// The Web API methods the bot calls, answered from the Workspace with Slack's response shapes and
// error codes. Each handler returns the success body (without `ok`) or throws SlackApiError.
import { messageBlockProblems } from './block-kit.js';
import { SlackApiError } from './errors.js';
import type { SocketModeServer } from './socket-mode.js';
import type { Workspace } from './workspace.js';
import type { JsonObject, MessageContent, SlackChannel, StoredMessage } from './workspace-types.js';

export interface MethodSpec {
  /** Any one of these scopes allows the call (Slack's `x-accepted-oauth-scopes`); empty = none needed. */
  scopes: string[];
  /** Whose token the method takes: the bot token (default) or an app-level `xapp-` token. */
  token?: 'bot' | 'app';
  handle(args: JsonObject, ws: Workspace, ctx?: MethodContext): JsonObject;
}

/** What a method may need beyond the workspace: how the caller reached the server, and Socket Mode. */
export interface MethodContext {
  /** `host:port` the request came in on, for URLs that point back at this server. */
  host: string;
  socketMode?: SocketModeServer;
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(args: JsonObject, key: string): string | undefined {
  const v = args[key];
  if (typeof v === 'number') return String(v);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A required argument; Slack's code for its absence differs by method, hence `code`. */
function required(args: JsonObject, key: string, code?: string): string {
  const v = str(args, key);
  if (v !== undefined) return v;
  throw code ? new SlackApiError(code) : SlackApiError.invalidArguments([`[ERROR] missing required field: ${key}`]);
}

const flag = (args: JsonObject, key: string) => args[key] === true || args[key] === 'true' || args[key] === '1';

/** text / blocks / attachments / metadata, checked as chat.* checks them. */
function content(args: JsonObject): MessageContent {
  const out: MessageContent = {};
  const text = str(args, 'text');
  if (text !== undefined) out.text = text;
  if (args.blocks !== undefined && args.blocks !== '') {
    if (!Array.isArray(args.blocks) || !args.blocks.every(isObject)) throw new SlackApiError('invalid_blocks_format');
    const problems = messageBlockProblems(args.blocks);
    if (problems.length) throw new SlackApiError('invalid_blocks', { response_metadata: { messages: problems } });
    out.blocks = args.blocks;
  }
  if (args.attachments !== undefined && args.attachments !== '') {
    if (!Array.isArray(args.attachments) || !args.attachments.every(isObject)) throw new SlackApiError('invalid_attachments');
    out.attachments = args.attachments;
  }
  if (isObject(args.metadata)) out.metadata = args.metadata;
  return out;
}

function requireContent(args: JsonObject): MessageContent {
  const c = content(args);
  if (c.text === undefined && !c.blocks?.length && !c.attachments?.length) throw new SlackApiError('no_text');
  return c;
}

/** A channel the bot may post in: exists, not archived, bot is a member. */
function postableChannel(ws: Workspace, args: JsonObject): SlackChannel {
  const channel = ws.resolveChannel(required(args, 'channel', 'channel_not_found'));
  if (!channel) throw new SlackApiError('channel_not_found');
  if (channel.is_archived) throw new SlackApiError('is_archived');
  if (!channel.is_member) throw new SlackApiError('not_in_channel');
  return channel;
}

function knownChannel(ws: Workspace, args: JsonObject): SlackChannel {
  const channel = ws.resolveChannel(required(args, 'channel', 'channel_not_found'));
  if (!channel) throw new SlackApiError('channel_not_found');
  return channel;
}

/** A message as the Web API returns it: the stored one without our `channel` bookkeeping field. */
function wire(message: StoredMessage): JsonObject {
  const { channel: _channel, ...rest } = message;
  return rest;
}

function viewArg(args: JsonObject): JsonObject {
  if (args.view === undefined || args.view === '') throw SlackApiError.invalidArguments(['[ERROR] missing required field: view']);
  if (!isObject(args.view)) throw SlackApiError.invalidArguments(['[ERROR] failed to match all allowed schemas [json-pointer:/view]']);
  return args.view;
}

function triggerArg(args: JsonObject): string {
  const trigger = str(args, 'trigger_id') ?? str(args, 'interactivity_pointer');
  if (trigger === undefined) throw SlackApiError.invalidArguments(['[ERROR] missing required field: trigger_id']);
  return trigger;
}

export const WEB_API_METHODS: Record<string, MethodSpec> = {
  // Socket Mode (socket-mode.ts): called with the app-level token, answers a WebSocket URL.
  'apps.connections.open': {
    scopes: [],
    token: 'app',
    handle(_args, _ws, ctx) {
      // A handler without Socket Mode attached is a simulator set-up mistake, not a Slack answer.
      if (!ctx?.socketMode) throw new Error('apps.connections.open: no Socket Mode server is attached to this request handler');
      return { url: ctx.socketMode.connectionUrl(ctx.host) };
    },
  },

  'auth.test': {
    scopes: [],
    handle: (_args, ws) => ({
      url: `https://${ws.team.domain}.slack.com/`,
      team: ws.team.name,
      user: ws.bot.name,
      team_id: ws.team.id,
      user_id: ws.bot.user_id,
      bot_id: ws.bot.bot_id,
      app_id: ws.bot.app_id,
      ...(ws.team.enterprise_id ? { enterprise_id: ws.team.enterprise_id } : {}),
      is_enterprise_install: false,
    }),
  },

  'chat.postMessage': {
    scopes: ['chat:write'],
    handle(args, ws) {
      const channel = postableChannel(ws, args);
      const thread_ts = str(args, 'thread_ts');
      const message = ws.postMessage({
        channel: channel.id,
        ...requireContent(args),
        ...(thread_ts !== undefined ? { thread_ts } : {}),
        reply_broadcast: flag(args, 'reply_broadcast'),
      });
      return { channel: channel.id, ts: message.ts, message: wire(message) };
    },
  },

  'chat.update': {
    scopes: ['chat:write'],
    handle(args, ws) {
      const channel = knownChannel(ws, args);
      const ts = required(args, 'ts', 'message_not_found');
      const existing = ws.getMessage(channel.id, ts);
      if (!existing) throw new SlackApiError('message_not_found');
      if (existing.bot_id !== ws.bot.bot_id) throw new SlackApiError('cant_update_message');
      const message = ws.updateMessage(channel.id, ts, requireContent(args));
      return { channel: channel.id, ts, text: message.text, message: wire(message) };
    },
  },

  'chat.postEphemeral': {
    scopes: ['chat:write'],
    handle(args, ws) {
      const channel = postableChannel(ws, args);
      const user = ws.resolveUser(required(args, 'user', 'user_not_found'));
      if (!user) throw new SlackApiError('user_not_found');
      const thread_ts = str(args, 'thread_ts');
      const ephemeral = ws.postEphemeral({
        channel: channel.id,
        user: user.id,
        ...requireContent(args),
        ...(thread_ts !== undefined ? { thread_ts } : {}),
        source: { kind: 'chat.postEphemeral' },
      });
      return { message_ts: ephemeral.ts };
    },
  },

  'chat.getPermalink': {
    scopes: [],
    handle(args, ws) {
      const channel = knownChannel(ws, args);
      const ts = required(args, 'message_ts', 'message_not_found');
      return { channel: channel.id, permalink: ws.permalink(channel.id, ts) };
    },
  },

  'usergroups.users.list': {
    scopes: ['usergroups:read'],
    handle(args, ws) {
      const group = ws.getUsergroup(required(args, 'usergroup', 'no_such_subteam'));
      if (!group) throw new SlackApiError('no_such_subteam');
      return { users: [...group.users] };
    },
  },

  'users.info': {
    scopes: ['users:read'],
    handle(args, ws) {
      const user = ws.resolveUser(required(args, 'user', 'user_not_found'));
      if (!user) throw new SlackApiError('user_not_found');
      return { user };
    },
  },

  'conversations.info': {
    scopes: ['channels:read', 'groups:read', 'im:read', 'mpim:read'],
    handle: (args, ws) => ({ channel: knownChannel(ws, args) }),
  },

  'views.open': {
    scopes: [],
    handle: (args, ws) => ({ view: ws.views.open(triggerArg(args), viewArg(args)).view }),
  },

  'views.push': {
    scopes: [],
    handle: (args, ws) => ({ view: ws.views.push(triggerArg(args), viewArg(args)).view }),
  },

  'views.publish': {
    scopes: [],
    handle(args, ws) {
      const user_id = str(args, 'user_id');
      if (user_id === undefined) throw SlackApiError.invalidArguments(['[ERROR] missing required field: user_id']);
      return { view: ws.views.publish(user_id, viewArg(args), str(args, 'hash')).view };
    },
  },

  'views.update': {
    scopes: [],
    handle(args, ws) {
      const view_id = str(args, 'view_id');
      const external_id = str(args, 'external_id');
      if (view_id === undefined && external_id === undefined) {
        throw SlackApiError.invalidArguments(['[ERROR] missing required field: view_id or external_id']);
      }
      const hash = str(args, 'hash');
      const target = { ...(view_id !== undefined ? { view_id } : { external_id }), ...(hash !== undefined ? { hash } : {}) };
      return { view: ws.views.update(target, viewArg(args)).view };
    },
  },
};
