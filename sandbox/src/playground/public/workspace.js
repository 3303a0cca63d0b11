// The workspace as this page knows it: the server's snapshot, kept current by its change events,
// plus what belongs to this tab alone (who you are, where you look, Slack's own notices).

export const state = {
  loaded: false,
  team: { name: 'Sandbox' },
  bot: { name: 'droplet-bot', user_id: '' },
  users: new Map(),
  channels: new Map(),
  usergroups: new Map(),
  /** `${channel}/${ts}` → message */
  messages: new Map(),
  /** ts → ephemeral message */
  ephemerals: new Map(),
  /** { view, user_id } in opening order */
  views: [],
  /** user id → their Home tab, as the app last published it (views.publish) */
  homes: new Map(),
  /** What the app's manifest declares: { shortcuts: [{ name, type, callback_id, description }], homeTab } */
  app: { shortcuts: [], homeTab: false },
  /** What the main pane shows: 'channel', or 'home' (the app's Home tab). */
  showing: 'channel',
  people: [],
  me: localStorage.getItem('playground.user') ?? '',
  channel: '',
  /** The channel the page opens on. */
  home: '',
  thread: null,
  /** Slack's own client-side notices (unknown command, app not answering), per person. */
  notices: [],
  calls: [],
  botReady: false,
  banner: '',
};

/** How mrkdwn names people, channels and groups: as the workspace knows them. */
export const names = {
  user: (id) => {
    const u = state.users.get(id);
    return u ? u.real_name || u.name : undefined;
  },
  channel: (id) => state.channels.get(id)?.name,
  group: (id) => state.usergroups.get(id)?.handle,
};

/** Replaces everything with a snapshot (on connect and on every reconnect). */
export function load(snapshot) {
  state.team = snapshot.team;
  state.bot = snapshot.bot;
  state.users = new Map(snapshot.users.map((u) => [u.id, u]));
  state.channels = new Map(snapshot.channels.map((c) => [c.id, c]));
  state.usergroups = new Map(snapshot.usergroups.map((g) => [g.id, g]));
  state.messages = new Map(snapshot.messages.map((m) => [key(m.channel, m.ts), m]));
  state.ephemerals = new Map(snapshot.ephemerals.map((e) => [e.ts, e]));
  state.views = snapshot.views.map((r) => ({ view: r.view, user_id: r.user_id }));
  state.homes = new Map((snapshot.homes ?? []).map((r) => [r.user_id, r.view]));
  state.app = snapshot.app ?? { shortcuts: [], homeTab: false };
  state.people = snapshot.people;
  state.botReady = snapshot.botReady;
  if (!state.people.some((p) => p.id === state.me)) state.me = state.people[0]?.id ?? '';
  state.home = snapshot.channel;
  if (!state.channel) state.channel = snapshot.channel;
  state.banner = snapshot.banner;
  state.loaded = true;
}

/** Applies one change; false when it changes nothing on screen. */
export function apply(change) {
  switch (change.type) {
    case 'message_posted':
    case 'message_changed':
      state.messages.set(key(change.message.channel, change.message.ts), change.message);
      break;
    case 'message_deleted':
      state.messages.delete(key(change.channel, change.ts));
      break;
    case 'ephemeral_posted':
    case 'ephemeral_changed':
      state.ephemerals.set(change.ephemeral.ts, change.ephemeral);
      break;
    case 'ephemeral_deleted':
      state.ephemerals.delete(change.ts);
      break;
    case 'view_opened':
    case 'view_pushed':
      state.views.push({ view: change.view, user_id: change.user_id });
      break;
    case 'view_updated': {
      const record = state.views.find((r) => r.view.id === change.view.id);
      if (record) record.view = change.view;
      break;
    }
    case 'view_closed':
      state.views = state.views.filter((r) => r.view.id !== change.view_id);
      break;
    case 'home_published':
      state.homes.set(change.user_id, change.view);
      // Another person's tab changes nothing on this screen.
      return change.user_id === state.me;
    case 'channel_added':
      state.channels.set(change.channel.id, change.channel);
      break;
    case 'user_added':
      state.users.set(change.user.id, change.user);
      break;
    case 'usergroup_changed':
      state.usergroups.set(change.usergroup.id, change.usergroup);
      break;
    case 'response_url_posted':
      return false;
  }
  return true;
}

/**
 * The conversations a conversations_select offers the current person: channels, and their own
 * direct message with the bot, narrowed by the element's `filter.include` (public, private, im, mpim).
 */
export function conversationsFor(filter) {
  const include = Array.isArray(filter?.include) && filter.include.length ? new Set(filter.include) : undefined;
  const kind = (c) => (c.is_im ? 'im' : c.is_mpim ? 'mpim' : c.is_private ? 'private' : 'public');
  return [...state.channels.values()]
    .filter((c) => (!c.is_im || c.user === state.me) && (!include || include.has(kind(c))))
    .map((c) => ({ id: c.id, label: c.is_im ? `${state.bot.name} (direct message)` : `# ${c.name}` }));
}

/** The modal the current person sees: the top of their most recently opened stack. */
export function topView() {
  const stacks = new Map();
  for (const r of state.views) {
    if (!stacks.has(r.view.root_view_id)) stacks.set(r.view.root_view_id, []);
    stacks.get(r.view.root_view_id).push(r);
  }
  let top = null;
  for (const list of stacks.values()) if (list[0].user_id === state.me) top = list[list.length - 1].view;
  return top;
}

export function key(channel, ts) {
  return `${channel}/${ts}`;
}

export function compareTs(a, b) {
  const [as, au = ''] = a.split('.');
  const [bs, bu = ''] = b.split('.');
  return Number(as) - Number(bs) || Number(au.padEnd(6, '0')) - Number(bu.padEnd(6, '0'));
}
