// The sandbox workspace's default team, bot, people, channels and user groups, and builders that
// fill in the many fields Slack's user/channel/usergroup objects carry. The payload builders use
// the same constants as defaults so that "Slack sending to the bot" and the simulated Web API agree.
import type { BotIdentity, SlackChannel, SlackUser, Team, UserGroup } from './workspace-types.js';

export const SANDBOX_TEAM: Team = { id: 'T0SANDBOX', name: 'Sandbox', domain: 'sandbox' };

export const SANDBOX_BOT: BotIdentity = {
  user_id: 'U0DROPBOT',
  bot_id: 'B0DROPBOT',
  app_id: 'A0DROPBOT',
  name: 'droplet-bot',
};

export const SANDBOX_USERS = {
  alice: 'U0ALICE',
  bob: 'U0BOB',
  carol: 'U0CAROL',
} as const;

export const SANDBOX_CHANNELS = {
  /** The bot is a member. */
  ops: 'C0OPS',
  /** The bot is a member; Slack's default channel. */
  general: 'C0GENERAL',
  /** The bot is NOT a member, so posting here gives `not_in_channel` as in a real workspace. */
  random: 'C0RANDOM',
} as const;

export const SANDBOX_USERGROUPS = {
  oncall: 'S0ONCALL',
  devs: 'S0DEVS',
} as const;

export interface UserInput {
  id: string;
  name: string;
  real_name?: string;
  email?: string;
  is_admin?: boolean;
  is_bot?: boolean;
  tz?: string;
  deleted?: boolean;
}

export function makeUser(team: Team, input: UserInput, now: number): SlackUser {
  const realName = input.real_name ?? input.name;
  return {
    id: input.id,
    team_id: team.id,
    name: input.name,
    deleted: input.deleted ?? false,
    real_name: realName,
    tz: input.tz ?? 'Europe/London',
    tz_label: 'Greenwich Mean Time',
    tz_offset: 0,
    profile: {
      real_name: realName,
      real_name_normalized: realName,
      display_name: input.name,
      display_name_normalized: input.name,
      ...(input.email !== undefined ? { email: input.email } : {}),
      team: team.id,
    },
    is_admin: input.is_admin ?? false,
    is_owner: false,
    is_primary_owner: false,
    is_restricted: false,
    is_ultra_restricted: false,
    is_bot: input.is_bot ?? false,
    is_app_user: false,
    updated: Math.floor(now / 1000),
  };
}

export interface ChannelInput {
  id: string;
  name: string;
  is_private?: boolean;
  is_member?: boolean;
  is_archived?: boolean;
  is_general?: boolean;
  topic?: string;
  purpose?: string;
  creator?: string;
  /** For a DM: the other user. */
  im_user?: string;
}

export function makeChannel(input: ChannelInput, now: number): SlackChannel {
  const created = Math.floor(now / 1000);
  const creator = input.creator ?? SANDBOX_USERS.alice;
  const isIm = input.im_user !== undefined;
  return {
    id: input.id,
    name: input.name,
    is_channel: !isIm && !input.is_private,
    is_group: !isIm && Boolean(input.is_private),
    is_im: isIm,
    is_mpim: false,
    is_private: isIm || Boolean(input.is_private),
    is_archived: input.is_archived ?? false,
    is_general: input.is_general ?? false,
    is_member: input.is_member ?? true,
    created,
    creator,
    ...(isIm ? { user: input.im_user } : {}),
    topic: { value: input.topic ?? '', creator: input.topic ? creator : '', last_set: input.topic ? created : 0 },
    purpose: { value: input.purpose ?? '', creator: input.purpose ? creator : '', last_set: input.purpose ? created : 0 },
  };
}

export interface UserGroupInput {
  id: string;
  handle: string;
  name?: string;
  description?: string;
  users?: string[];
}

export function makeUsergroup(team: Team, input: UserGroupInput, now: number): UserGroup {
  const users = [...(input.users ?? [])];
  const at = Math.floor(now / 1000);
  return {
    id: input.id,
    team_id: team.id,
    is_usergroup: true,
    name: input.name ?? input.handle,
    description: input.description ?? '',
    handle: input.handle,
    date_create: at,
    date_update: at,
    date_delete: 0,
    users,
    user_count: users.length,
  };
}

/** The default people, channels and groups; enough for the role map's user and group lookups. */
export const DEFAULT_SEED: { users: UserInput[]; channels: ChannelInput[]; usergroups: UserGroupInput[] } = {
  users: [
    { id: SANDBOX_USERS.alice, name: 'alice', real_name: 'Alice Admin', email: 'alice@sandbox.test', is_admin: true },
    { id: SANDBOX_USERS.bob, name: 'bob', real_name: 'Bob Builder', email: 'bob@sandbox.test' },
    { id: SANDBOX_USERS.carol, name: 'carol', real_name: 'Carol Viewer', email: 'carol@sandbox.test' },
  ],
  channels: [
    { id: SANDBOX_CHANNELS.ops, name: 'ops', purpose: 'Droplet operations' },
    { id: SANDBOX_CHANNELS.general, name: 'general', is_general: true },
    { id: SANDBOX_CHANNELS.random, name: 'random', is_member: false },
  ],
  usergroups: [
    { id: SANDBOX_USERGROUPS.oncall, handle: 'oncall', name: 'On-call', users: [SANDBOX_USERS.alice] },
    { id: SANDBOX_USERGROUPS.devs, handle: 'devs', name: 'Developers', users: [SANDBOX_USERS.bob, SANDBOX_USERS.carol] },
  ],
};
