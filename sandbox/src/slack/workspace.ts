// The in-memory Slack workspace: people, channels, user groups, messages and threads, ephemeral
// messages, open modals and response URLs. It knows nothing about HTTP, so the Web API simulator
// and a browser playground drive the same model; every change is emitted as a 'change' event.
import { EventEmitter } from 'node:events';
import { normalizeAttachments, normalizeBlocks } from './block-kit.js';
import { SlackApiError } from './errors.js';
import { createTsSource } from './ids.js';
import { ResponseUrlStore, type ResponseUrlLimits } from './response-urls.js';
import {
  DEFAULT_SEED,
  SANDBOX_BOT,
  SANDBOX_TEAM,
  makeChannel,
  makeUser,
  makeUsergroup,
  type ChannelInput,
  type UserGroupInput,
  type UserInput,
} from './seed.js';
import { ViewStore } from './view-store.js';
import type {
  BotIdentity,
  EphemeralMessage,
  MessageContent,
  ResponseUrlMessage,
  SlackChannel,
  SlackUser,
  StoredMessage,
  Team,
  UserGroup,
  WorkspaceChange,
  WorkspaceEvent,
} from './workspace-types.js';

export interface WorkspaceOptions {
  team?: Partial<Team>;
  bot?: Partial<BotIdentity>;
  /** Start with the default people, channels and groups from seed.ts (default true). */
  seed?: boolean;
  /**
   * Create users and channels the first time an API call names an unknown but well-formed ID
   * (U…/W…, C…/G…/D…), so tests can use any IDs. Default true; turn off to get
   * `user_not_found` / `channel_not_found` as a real workspace would.
   */
  autoCreate?: boolean;
  /** Reject trigger IDs the workspace did not issue with `invalid_trigger_id` (default false). */
  strictTriggers?: boolean;
  /** Scopes granted to the bot token; methods needing others fail with `missing_scope`. */
  botScopes?: string[];
  /** Base of permalinks, e.g. a playground's URL (default `https://<domain>.slack.com`). */
  permalinkBase?: string;
  triggerTtlMs?: number;
  responseUrlLimits?: Partial<ResponseUrlLimits>;
  /** Clock in ms; message ts, view hashes and expiry use it. */
  now?: () => number;
}

export const DEFAULT_BOT_SCOPES = [
  'commands',
  'chat:write',
  'users:read',
  'usergroups:read',
  'channels:read',
  'groups:read',
  'im:read',
  'mpim:read',
];

export interface PostMessageInput extends MessageContent {
  channel: string;
  /** Author; defaults to the bot. A human author is how a playground user "types" a message. */
  user?: string;
  thread_ts?: string;
  reply_broadcast?: boolean;
}

export interface PostEphemeralInput extends MessageContent {
  channel: string;
  user: string;
  thread_ts?: string;
  source: EphemeralMessage['source'];
}

const USER_ID = /^[UW][A-Z0-9]{2,}$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;

export class Workspace extends EventEmitter<{ change: [WorkspaceChange] }> {
  readonly team: Team;
  readonly bot: BotIdentity;
  readonly now: () => number;
  /** Next unique, increasing message timestamp. */
  readonly nextTs: () => string;
  readonly views: ViewStore;
  readonly responseUrls: ResponseUrlStore;
  autoCreate: boolean;
  strictTriggers: boolean;
  botScopes: string[];
  permalinkBase: string;

  private seq = 0;
  private readonly userMap = new Map<string, SlackUser>();
  private readonly channelMap = new Map<string, SlackChannel>();
  private readonly groupMap = new Map<string, UserGroup>();
  /** channel → its messages (top-level and replies) in ts order. */
  private readonly messageMap = new Map<string, StoredMessage[]>();
  private readonly ephemeralList: EphemeralMessage[] = [];

  constructor(opts: WorkspaceOptions = {}) {
    super();
    this.setMaxListeners(100); // one per connected playground tab
    this.team = { ...SANDBOX_TEAM, ...opts.team };
    this.bot = { ...SANDBOX_BOT, ...opts.bot };
    this.now = opts.now ?? Date.now;
    this.nextTs = createTsSource(this.now);
    this.autoCreate = opts.autoCreate ?? true;
    this.strictTriggers = opts.strictTriggers ?? false;
    this.botScopes = [...(opts.botScopes ?? DEFAULT_BOT_SCOPES)];
    this.permalinkBase = opts.permalinkBase ?? `https://${this.team.domain}.slack.com`;
    this.views = new ViewStore({
      team: this.team,
      bot: this.bot,
      now: this.now,
      emit: (e) => this.emitChange(e),
      triggerTtlMs: opts.triggerTtlMs ?? 3000,
      strictTriggers: () => this.strictTriggers,
    });
    this.responseUrls = new ResponseUrlStore(this, { maxUses: 5, ttlMs: 30 * 60 * 1000, ...opts.responseUrlLimits });

    this.addUser({ id: this.bot.user_id, name: this.bot.name, is_bot: true });
    if (opts.seed ?? true) {
      DEFAULT_SEED.users.forEach((u) => this.addUser(u));
      DEFAULT_SEED.channels.forEach((c) => this.addChannel(c));
      DEFAULT_SEED.usergroups.forEach((g) => this.addUsergroup(g));
    }
  }

  /** Numbers and timestamps an event, then emits it as 'change'. */
  emitChange(event: WorkspaceEvent): void {
    this.emit('change', { ...event, seq: ++this.seq, at: this.now() });
  }

  // ── people ─────────────────────────────────────────────────────────────

  addUser(input: UserInput): SlackUser {
    const user = makeUser(this.team, input, this.now());
    this.userMap.set(user.id, user);
    this.emitChange({ type: 'user_added', user });
    return user;
  }

  getUser(id: string): SlackUser | undefined {
    return this.userMap.get(id);
  }

  /** A known user, or (with autoCreate) one made up for a well-formed unknown ID. */
  resolveUser(id: string): SlackUser | undefined {
    const known = this.userMap.get(id);
    if (known || !this.autoCreate || !USER_ID.test(id)) return known;
    return this.addUser({ id, name: id.toLowerCase() });
  }

  users(): SlackUser[] {
    return [...this.userMap.values()];
  }

  // ── channels ───────────────────────────────────────────────────────────

  addChannel(input: ChannelInput): SlackChannel {
    const channel = makeChannel(input, this.now());
    this.channelMap.set(channel.id, channel);
    this.messageMap.set(channel.id, this.messageMap.get(channel.id) ?? []);
    this.emitChange({ type: 'channel_added', channel });
    return channel;
  }

  getChannel(id: string): SlackChannel | undefined {
    return this.channelMap.get(id);
  }

  /**
   * What chat.postMessage accepts as `channel`: an ID, a `#name`, or a user ID (meaning the bot's
   * DM with that user). With autoCreate, an unknown well-formed channel ID is created.
   */
  resolveChannel(ref: string): SlackChannel | undefined {
    const known = this.channelMap.get(ref);
    if (known) return known;
    const name = ref.replace(/^#/, '');
    const named = [...this.channelMap.values()].find((c) => !c.is_im && c.name === name);
    if (named) return named;
    if (USER_ID.test(ref) && this.resolveUser(ref)) return this.openDm(ref);
    if (!this.autoCreate || !CHANNEL_ID.test(ref)) return undefined;
    return this.addChannel({
      id: ref,
      name: ref.toLowerCase(),
      is_private: ref.startsWith('G'),
      ...(ref.startsWith('D') ? { im_user: '' } : {}),
    });
  }

  /** The bot's DM channel with `user_id`, created on first use. */
  openDm(user_id: string): SlackChannel {
    const existing = [...this.channelMap.values()].find((c) => c.is_im && c.user === user_id);
    return existing ?? this.addChannel({ id: `D${user_id.slice(1)}`, name: user_id, im_user: user_id });
  }

  /** Adds the bot to, or removes it from, a channel (is_member drives `not_in_channel`). */
  setBotMembership(channel_id: string, member: boolean): SlackChannel {
    const channel = this.channelMap.get(channel_id);
    if (!channel) throw new SlackApiError('channel_not_found');
    channel.is_member = member;
    return channel;
  }

  channels(): SlackChannel[] {
    return [...this.channelMap.values()];
  }

  // ── user groups ────────────────────────────────────────────────────────

  addUsergroup(input: UserGroupInput): UserGroup {
    const group = makeUsergroup(this.team, input, this.now());
    this.groupMap.set(group.id, group);
    this.emitChange({ type: 'usergroup_changed', usergroup: group });
    return group;
  }

  getUsergroup(id: string): UserGroup | undefined {
    return this.groupMap.get(id);
  }

  /** Sets a group's members, creating the group (handle = lower-cased ID) if it does not exist. */
  setUsergroupMembers(id: string, users: string[]): UserGroup {
    const group = this.groupMap.get(id);
    if (!group) return this.addUsergroup({ id, handle: id.toLowerCase(), users });
    group.users = [...users];
    group.user_count = users.length;
    group.date_update = Math.floor(this.now() / 1000);
    this.emitChange({ type: 'usergroup_changed', usergroup: group });
    return group;
  }

  usergroups(): UserGroup[] {
    return [...this.groupMap.values()];
  }

  // ── messages and threads ───────────────────────────────────────────────

  /** Posts as the bot (or as `user`). A `thread_ts` naming a reply threads under that reply's parent, as Slack does. */
  postMessage(input: PostMessageInput): StoredMessage {
    const list = this.listFor(input.channel);
    const ts = this.nextTs();
    const parent = input.thread_ts !== undefined ? this.getMessage(input.channel, input.thread_ts) : undefined;
    const threadTs = parent?.thread_ts ?? input.thread_ts;
    const author = input.user ?? this.bot.user_id;
    const message: StoredMessage = {
      channel: input.channel,
      type: 'message',
      ...(input.reply_broadcast && threadTs ? { subtype: 'thread_broadcast' } : {}),
      ts,
      user: author,
      ...(author === this.bot.user_id ? { bot_id: this.bot.bot_id, app_id: this.bot.app_id } : {}),
      ...this.content(input),
      team: this.team.id,
      ...(threadTs !== undefined ? { thread_ts: threadTs } : {}),
    };
    const root = threadTs !== undefined ? this.getMessage(input.channel, threadTs) : undefined;
    if (root?.user) message.parent_user_id = root.user;
    list.push(message);
    this.emitChange({ type: 'message_posted', message });
    if (root) this.refreshThread(root);
    return message;
  }

  /**
   * chat.update semantics by default: text replaced when given, blocks/attachments kept unless
   * given. `replace: true` swaps the whole content, as a response_url `replace_original` does.
   */
  updateMessage(channel: string, ts: string, content: MessageContent, opts: { replace?: boolean } = {}): StoredMessage {
    const message = this.getMessage(channel, ts);
    if (!message) throw new SlackApiError('message_not_found');
    const next: MessageContent = opts.replace
      ? content
      : {
          text: content.text ?? message.text,
          blocks: content.blocks ?? message.blocks,
          attachments: content.attachments ?? message.attachments,
          metadata: content.metadata ?? message.metadata,
        };
    delete message.blocks;
    delete message.attachments;
    delete message.metadata;
    Object.assign(message, this.content(next));
    message.edited = { user: this.bot.user_id, ts: this.nextTs() };
    this.emitChange({ type: 'message_changed', message });
    return message;
  }

  deleteMessage(channel: string, ts: string): void {
    const list = this.messageMap.get(channel) ?? [];
    const index = list.findIndex((m) => m.ts === ts);
    if (index < 0) throw new SlackApiError('message_not_found');
    const [message] = list.splice(index, 1);
    this.emitChange({ type: 'message_deleted', channel, ts });
    const root = message?.thread_ts && message.thread_ts !== ts ? this.getMessage(channel, message.thread_ts) : undefined;
    if (root) this.refreshThread(root);
  }

  getMessage(channel: string, ts: string): StoredMessage | undefined {
    return this.messageMap.get(channel)?.find((m) => m.ts === ts);
  }

  /** All messages, or one channel's, in ts order (replies included). */
  messages(channel?: string): StoredMessage[] {
    if (channel !== undefined) return [...(this.messageMap.get(channel) ?? [])];
    return [...this.messageMap.values()].flat().sort((a, b) => compareTs(a.ts, b.ts));
  }

  /** What the channel view shows (conversations.history): top-level messages and broadcast replies. */
  channelMessages(channel: string): StoredMessage[] {
    return this.messages(channel).filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts || m.subtype === 'thread_broadcast');
  }

  /** The replies in a thread, oldest first, without the parent (unlike conversations.replies). */
  replies(channel: string, thread_ts: string): StoredMessage[] {
    return this.messages(channel).filter((m) => m.thread_ts === thread_ts && m.ts !== thread_ts);
  }

  permalink(channel: string, ts: string): string {
    const message = this.getMessage(channel, ts);
    if (!message) throw new SlackApiError('message_not_found');
    const base = `${this.permalinkBase}/archives/${channel}/p${ts.replace('.', '')}`;
    const isReply = message.thread_ts !== undefined && message.thread_ts !== ts;
    return isReply ? `${base}?thread_ts=${message.thread_ts}&cid=${channel}` : base;
  }

  /**
   * What was posted to one response URL (its id, or the URL itself), oldest first; rejected posts
   * (spent URL, no text) are left out because the user never saw them.
   */
  responsesFor(urlOrId: string): ResponseUrlMessage[] {
    const id = decodeURIComponent(urlOrId.slice(urlOrId.lastIndexOf('/') + 1));
    return this.responseUrls.posts.filter((p) => p.id === id && p.outcome !== 'rejected').map((p) => p.body as ResponseUrlMessage);
  }

  // ── ephemeral messages ─────────────────────────────────────────────────

  postEphemeral(input: PostEphemeralInput): EphemeralMessage {
    const ephemeral: EphemeralMessage = {
      channel: input.channel,
      user: input.user,
      ts: this.nextTs(),
      ...this.content({ text: input.text, blocks: input.blocks, attachments: input.attachments }),
      ...(input.thread_ts !== undefined ? { thread_ts: input.thread_ts } : {}),
      bot_id: this.bot.bot_id,
      app_id: this.bot.app_id,
      source: input.source,
    };
    this.ephemeralList.push(ephemeral);
    this.emitChange({ type: 'ephemeral_posted', ephemeral });
    return ephemeral;
  }

  /** Replaces an ephemeral's content (response_url `replace_original`). */
  updateEphemeral(ts: string, content: MessageContent): EphemeralMessage {
    const ephemeral = this.getEphemeral(ts);
    if (!ephemeral) throw new SlackApiError('message_not_found');
    delete ephemeral.blocks;
    delete ephemeral.attachments;
    Object.assign(ephemeral, this.content(content));
    this.emitChange({ type: 'ephemeral_changed', ephemeral });
    return ephemeral;
  }

  deleteEphemeral(ts: string): void {
    const index = this.ephemeralList.findIndex((e) => e.ts === ts);
    if (index < 0) throw new SlackApiError('message_not_found');
    const [gone] = this.ephemeralList.splice(index, 1);
    this.emitChange({ type: 'ephemeral_deleted', channel: gone!.channel, ts, user: gone!.user });
  }

  getEphemeral(ts: string): EphemeralMessage | undefined {
    return this.ephemeralList.find((e) => e.ts === ts);
  }

  ephemerals(filter: { user?: string; channel?: string } = {}): EphemeralMessage[] {
    return this.ephemeralList.filter(
      (e) => (filter.user === undefined || e.user === filter.user) && (filter.channel === undefined || e.channel === filter.channel),
    );
  }

  /** Everything, as plain data: a playground's first render before it follows 'change' events. */
  snapshot() {
    return {
      seq: this.seq,
      team: this.team,
      bot: this.bot,
      users: this.users(),
      channels: this.channels(),
      usergroups: this.usergroups(),
      messages: this.messages(),
      ephemerals: this.ephemerals(),
      views: this.views.all(),
      responseUrlPosts: [...this.responseUrls.posts],
    };
  }

  private listFor(channel: string): StoredMessage[] {
    const list = this.messageMap.get(channel);
    if (list) return list;
    const created: StoredMessage[] = [];
    this.messageMap.set(channel, created);
    return created;
  }

  /** Slack-normalised content: generated block/action IDs, numbered attachments, and the placeholder text Slack stores for blocks-only messages. */
  private content(input: MessageContent): MessageContent & { text: string } {
    const blocks = input.blocks?.length ? normalizeBlocks(input.blocks) : undefined;
    const text = input.text ?? (blocks ? "This content can't be displayed." : '');
    return {
      text,
      ...(blocks ? { blocks } : {}),
      ...(input.attachments?.length ? { attachments: normalizeAttachments(input.attachments) } : {}),
      ...(input.metadata ? { metadata: input.metadata } : {}),
    };
  }

  /** Recomputes a thread parent's reply fields from its replies. */
  private refreshThread(root: StoredMessage): void {
    const replies = this.replies(root.channel, root.ts);
    if (replies.length === 0) {
      for (const key of ['thread_ts', 'reply_count', 'reply_users', 'reply_users_count', 'latest_reply'] as const) delete root[key];
    } else {
      const users = [...new Set(replies.map((r) => r.user).filter((u): u is string => u !== undefined))];
      Object.assign(root, {
        thread_ts: root.ts,
        reply_count: replies.length,
        reply_users: users,
        reply_users_count: users.length,
        latest_reply: replies.at(-1)!.ts,
      });
    }
    this.emitChange({ type: 'message_changed', message: root });
  }
}

/** Compares "seconds.micros" strings numerically without float rounding. */
export function compareTs(a: string, b: string): number {
  const [as, au = ''] = a.split('.');
  const [bs, bu = ''] = b.split('.');
  return Number(as) - Number(bs) || Number(au.padEnd(6, '0')) - Number(bu.padEnd(6, '0'));
}
