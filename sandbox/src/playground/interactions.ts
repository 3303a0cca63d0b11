// What a person does in the playground, turned into what Slack would send the app: a slash
// command form, a block_actions / view_submission / view_closed / block_suggestion / shortcut /
// message_action payload, or an Events API app_home_opened callback (JSON, as the Events API
// sends it), built by payloads.ts, signed with the app's signing secret and POSTed to /slack/events. The
// bot's answer is then applied to the workspace as Slack applies it (ephemeral ack text, modal
// errors, response_action), so the page only ever shows the workspace.
import { z } from 'zod';
import { SlackApiError } from '../slack/errors.js';
import {
  appHomeOpenedBody,
  blockActionsBody,
  blockSuggestionBody,
  globalShortcutBody,
  messageShortcutBody,
  slashCommandBody,
  viewClosedBody,
  viewSubmissionBody,
  DEFAULT_COMMAND,
} from '../slack/payloads.js';
import { RESPONSE_URL_PATH } from '../slack/web-api-server.js';
import type { Workspace } from '../slack/workspace.js';
import type { JsonObject, SlackView, StoredMessage } from '../slack/workspace-types.js';
import { deliver, type BodyType, type Delivery } from './deliver.js';
import { actionFor, ChoiceError, findElement } from './elements.js';
import type { PlaygroundApp } from './manifest.js';

export interface InteractionDeps {
  workspace: Workspace;
  signingSecret: string;
  /** The bot's /slack/events URL; undefined until the bot has started. */
  eventsUrl: () => string | undefined;
  /** This server's own URL, for response URLs. */
  baseUrl: () => string;
  command?: string;
  /** What the app's manifest declares: its shortcuts and whether it has a Home tab. None by default. */
  app?: PlaygroundApp;
}

/** What the page gets back: success (with what the bot answered, when it matters) or Slack's error. */
export type Outcome = { ok: true; [detail: string]: unknown } | { ok: false; error: string; message: string };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

const userId = z.string().regex(/^[UW][A-Z0-9]{2,}$/);
const values = z.record(z.string(), z.record(z.string(), z.looseObject({ type: z.string() })));
const choice = {
  value: z.string().optional(),
  selected: z.array(z.string()).optional(),
  option: z.looseObject({ value: z.string(), text: z.looseObject({ text: z.string() }) }).optional(),
  date: z.string().optional(),
};
const container = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message'), channel_id: z.string(), message_ts: z.string() }),
  z.object({ type: z.literal('ephemeral'), message_ts: z.string() }),
  z.object({ type: z.literal('view'), view_id: z.string() }),
]);

export const requestSchemas = {
  send: z.object({ user_id: userId, channel_id: z.string(), text: z.string().min(1).max(4000), thread_ts: z.string().optional() }),
  action: z.object({ user_id: userId, container, block_id: z.string(), action_id: z.string(), values: values.optional(), ...choice }),
  submit: z.object({ user_id: userId, view_id: z.string(), values }),
  close: z.object({ user_id: userId, view_id: z.string(), clear: z.boolean().optional() }),
  suggest: z.object({ user_id: userId, view_id: z.string(), block_id: z.string(), action_id: z.string(), value: z.string(), values: values.optional() }),
  dismiss: z.object({ user_id: userId, message_ts: z.string() }),
  /** The person opens the app's Home tab. */
  home: z.object({ user_id: userId }),
  /** A global shortcut from the shortcuts menu, or a message shortcut (then with the message). */
  shortcut: z.object({ user_id: userId, callback_id: z.string(), channel_id: z.string().optional(), message_ts: z.string().optional() }),
};
type Req<K extends keyof typeof requestSchemas> = z.output<(typeof requestSchemas)[K]>;

const fail = (error: string, message: string): Outcome => ({ ok: false, error, message });

export class Interactions {
  private readonly ws: Workspace;
  private readonly command: string;

  constructor(private readonly deps: InteractionDeps) {
    this.ws = deps.workspace;
    this.command = deps.command ?? DEFAULT_COMMAND;
  }

  /**
   * The app's manifest sets `should_escape: true`, so Slack sends a mentioned person as
   * `<@U…|name>` (here: `@name` of someone in the workspace) and &, < and > as entities.
   */
  private escapeMentions(text: string): string {
    return escapeForSlack(text).replace(/@([a-z0-9._-]+)/gi, (typed, name: string) => {
      const user = this.ws.users().find((u) => u.name.toLowerCase() === name.toLowerCase());
      return user ? `<@${user.id}|${user.name}>` : typed;
    });
  }

  /** The composer: `/droplet …` is a slash command; anything else is a message from the user. */
  async send(req: Req<'send'>): Promise<Outcome> {
    const channel = this.ws.getChannel(req.channel_id);
    if (!channel) return fail('channel_not_found', 'That channel does not exist.');
    const text = req.text.trim();
    if (!text.startsWith('/')) {
      const message = this.ws.postMessage({ channel: channel.id, user: req.user_id, text: escapeForSlack(text), ...threaded(req.thread_ts) });
      return { ok: true, ts: message.ts };
    }
    const [name = '', ...rest] = text.split(/\s+/);
    if (name !== this.command) {
      return fail('invalid_command', `${name} is not a valid command. In Slack, all messages that start with the "/" character are interpreted as commands.`);
    }
    if (req.thread_ts !== undefined) return fail('not_in_thread', `${name} is not supported in threads. Sorry!`);
    const response_url = this.responseUrl({ channel_id: channel.id, user_id: req.user_id });
    const body = slashCommandBody({
      command: name,
      text: this.escapeMentions(rest.join(' ')),
      user_id: req.user_id,
      user_name: this.ws.getUser(req.user_id)?.name,
      channel_id: channel.id,
      channel_name: channel.name,
      response_url,
      trigger_id: this.ws.views.issueTriggerId(req.user_id),
    });
    const reply = await this.toBot(body);
    if (!reply.ok) return failedCommand(name, reply);
    // A body in the ack is the command's immediate answer: ephemeral unless it says in_channel.
    const ack = isObject(reply.json) ? reply.json : reply.text.trim() ? { text: reply.text } : undefined;
    if (ack && (typeof ack.text === 'string' || Array.isArray(ack.blocks))) {
      const content = { ...(typeof ack.text === 'string' ? { text: ack.text } : {}), ...(Array.isArray(ack.blocks) ? { blocks: ack.blocks.filter(isObject) } : {}) };
      if (ack.response_type === 'in_channel') this.ws.postMessage({ channel: channel.id, ...content });
      else this.ws.postEphemeral({ channel: channel.id, user: req.user_id, ...content, source: { kind: 'ack' } });
    }
    return { ok: true, ms: reply.ms };
  }

  /** A button, select, overflow… in a message, an ephemeral message or a modal. */
  async action(req: Req<'action'>): Promise<Outcome> {
    const where = req.container;
    let located: { blocks: unknown; fields: Parameters<typeof blockActionsBody>[0] };
    try {
      if (where.type === 'view') {
        const record = this.ownView(where.view_id, req.user_id);
        // The Home tab keeps its own state (its filter input); a modal's is shown to the page.
        const setState = (values: NonNullable<typeof req.values>) =>
          record.view.type === 'home' ? this.ws.views.setHomeState(req.user_id, values) : this.ws.views.setState(record.view.id, values);
        const view = req.values ? setState(req.values).view : record.view;
        located = { blocks: view.blocks, fields: this.base(req, { view, trigger_id: this.trigger(req.user_id, view.id) }) };
      } else if (where.type === 'ephemeral') {
        const eph = this.ws.getEphemeral(where.message_ts);
        if (!eph || eph.user !== req.user_id) return fail('message_not_found', 'That message is gone.');
        located = {
          blocks: eph.blocks,
          fields: this.base(req, {
            channel_id: eph.channel,
            message_ts: eph.ts,
            is_ephemeral: true,
            ...threaded(eph.thread_ts),
            response_url: this.responseUrl({ channel_id: eph.channel, user_id: req.user_id, message_ts: eph.ts }),
            trigger_id: this.trigger(req.user_id),
          }),
        };
      } else {
        const message = this.ws.getMessage(where.channel_id, where.message_ts);
        if (!message) return fail('message_not_found', 'That message is gone.');
        const inThread = message.thread_ts !== undefined && message.thread_ts !== message.ts ? message.thread_ts : undefined;
        located = {
          blocks: message.blocks,
          fields: this.base(req, {
            channel_id: message.channel,
            message_ts: message.ts,
            ...threaded(inThread),
            message: wire(message),
            state: req.values ?? {},
            response_url: this.responseUrl({ channel_id: message.channel, user_id: req.user_id, message_ts: message.ts, ...threaded(inThread) }),
            trigger_id: this.trigger(req.user_id),
          }),
        };
      }
      const found = findElement(located.blocks, req.block_id, req.action_id);
      if (!found) return fail('element_not_found', 'That button or menu is no longer there.');
      located.fields.actions = [actionFor(found, req)];
    } catch (err) {
      if (err instanceof ChoiceError || err instanceof SlackApiError) return fail('invalid_action', err.message);
      throw err;
    }
    const reply = await this.toBot(blockActionsBody(located.fields));
    return reply.ok ? { ok: true, ms: reply.ms } : failedInteraction(reply);
  }

  /** The modal's submit button; the bot's ack decides what happens to the modal. */
  async submit(req: Req<'submit'>): Promise<Outcome> {
    const record = this.ownView(req.view_id, req.user_id);
    const view = this.ws.views.setState(record.view.id, req.values).view;
    const body = viewSubmissionBody({ ...this.who(req.user_id), view, values: req.values, trigger_id: this.trigger(req.user_id, view.id) });
    const reply = await this.toBot(body);
    if (!reply.ok) return failedInteraction(reply);
    try {
      this.ws.views.applyResponseAction(view.id, reply.json);
    } catch (err) {
      // The bot answered with a view Slack would refuse: Slack keeps the modal and shows an error.
      if (err instanceof SlackApiError) return fail(err.code, `The app's answer was refused: ${err.code} ${JSON.stringify(err.extra)}`);
      throw err;
    }
    const ack = isObject(reply.json) ? reply.json : {};
    const errors = ack.response_action === 'errors' && isObject(ack.errors) ? ack.errors : undefined;
    return { ok: true, ms: reply.ms, ...(errors ? { errors } : {}) };
  }

  /** The modal's close button (back one view) or its ✕ (the whole stack, `clear`). */
  async close(req: Req<'close'>): Promise<Outcome> {
    const record = this.ownView(req.view_id, req.user_id);
    const closed = req.clear ? this.ws.views.clear(record.view.id) : this.ws.views.close(record.view.id);
    const cleared = req.clear === true || closed.length > 1;
    // Slack tells the app only when the view asked for it (notify_on_close), after the modal is gone.
    if (record.view.notify_on_close) {
      const reply = await this.toBot(viewClosedBody({ ...this.who(req.user_id), view: record.view, is_cleared: cleared }));
      if (!reply.ok) return failedInteraction(reply);
    }
    return { ok: true, closed: closed.map((r) => r.view.id) };
  }

  /** Type-ahead in an external_select: Slack asks the app for options and shows what it answers. */
  async suggest(req: Req<'suggest'>): Promise<Outcome> {
    const record = this.ownView(req.view_id, req.user_id);
    const view: SlackView = req.values ? { ...record.view, state: { values: req.values } } : record.view;
    const reply = await this.toBot(blockSuggestionBody({ ...this.who(req.user_id), view, block_id: req.block_id, action_id: req.action_id, value: req.value }));
    if (!reply.ok) return failedInteraction(reply);
    const ack = isObject(reply.json) ? reply.json : {};
    return { ok: true, options: Array.isArray(ack.options) ? ack.options : [], option_groups: Array.isArray(ack.option_groups) ? ack.option_groups : [] };
  }

  /** "Dismiss" under an ephemeral message: Slack does this in the client, the app hears nothing. */
  dismiss(req: Req<'dismiss'>): Outcome {
    const eph = this.ws.getEphemeral(req.message_ts);
    if (!eph || eph.user !== req.user_id) return fail('message_not_found', 'That message is gone.');
    this.ws.deleteEphemeral(eph.ts);
    return { ok: true };
  }

  /**
   * The person opens the app's Home tab: Slack sends app_home_opened (with the tab as the app last
   * published it, if it did), and the page shows whatever the app publishes with views.publish.
   */
  async home(req: Req<'home'>): Promise<Outcome> {
    if (!this.deps.app?.homeTab) return fail('home_tab_disabled', 'This app has no Home tab.');
    const view = this.ws.views.homeFor(req.user_id)?.view;
    const reply = await this.toBot(appHomeOpenedBody({ user_id: req.user_id, ...(view ? { view } : {}) }), 'application/json');
    return reply.ok ? { ok: true, ms: reply.ms } : failedInteraction(reply);
  }

  /** A shortcut the manifest declares: global (no channel, no message) or on a message in a channel. */
  async shortcut(req: Req<'shortcut'>): Promise<Outcome> {
    const declared = this.deps.app?.shortcuts.find((s) => s.callback_id === req.callback_id);
    if (!declared) return fail('shortcut_not_found', 'The app has no such shortcut.');
    let body: string;
    if (declared.type === 'global') {
      body = globalShortcutBody({ ...this.who(req.user_id), callback_id: declared.callback_id, trigger_id: this.trigger(req.user_id) });
    } else {
      const message = req.channel_id !== undefined && req.message_ts !== undefined ? this.ws.getMessage(req.channel_id, req.message_ts) : undefined;
      if (!message) return fail('message_not_found', 'That message is gone.');
      const inThread = message.thread_ts !== undefined && message.thread_ts !== message.ts ? message.thread_ts : undefined;
      body = messageShortcutBody({
        ...this.who(req.user_id),
        callback_id: declared.callback_id,
        channel_id: message.channel,
        message: wire(message),
        response_url: this.responseUrl({ channel_id: message.channel, user_id: req.user_id, ...threaded(inThread) }),
        trigger_id: this.trigger(req.user_id),
      });
    }
    const reply = await this.toBot(body);
    return reply.ok ? { ok: true, ms: reply.ms } : failedInteraction(reply);
  }

  private ownView(view_id: string, user_id: string) {
    const record = this.ws.views.get(view_id);
    if (!record) throw new SlackApiError('view_not_found');
    if (record.user_id !== undefined && record.user_id !== user_id) throw new SlackApiError('not_your_view');
    return record;
  }

  private who(user_id: string) {
    return { user_id, ...(this.ws.getUser(user_id) ? { user_name: this.ws.getUser(user_id)!.name } : {}) };
  }

  private base<T extends object>(req: { user_id: string }, fields: T) {
    return { ...this.who(req.user_id), actions: [], ...fields };
  }

  private trigger(user_id: string, view_id?: string): string {
    return this.ws.views.issueTriggerId(user_id, view_id !== undefined ? { view_id } : {});
  }

  private responseUrl(context: Parameters<Workspace['responseUrls']['register']>[1]): string {
    const record = this.ws.responseUrls.register(undefined, context);
    return `${this.deps.baseUrl()}${RESPONSE_URL_PATH}${encodeURIComponent(record.id)}`;
  }

  private async toBot(body: string, type?: BodyType): Promise<Delivery> {
    const url = this.deps.eventsUrl();
    if (!url) return { ok: false, error: 'dispatch_failed', detail: 'the bot has not started yet', ms: 0 };
    return deliver(url, this.deps.signingSecret, body, undefined, type);
  }
}

function threaded(thread_ts: string | undefined): { thread_ts?: string } {
  return thread_ts !== undefined ? { thread_ts } : {};
}

/** A message as the Web API (and block_actions' `message`) carries it: without our channel field. */
function wire(message: StoredMessage): JsonObject {
  const { channel: _channel, ...rest } = message;
  return rest;
}

/** Slack stores typed text with &, < and > escaped; the page renders it back. */
function escapeForSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function failedCommand(name: string, reply: Extract<Delivery, { ok: false }>): Outcome {
  const code = reply.error === 'http_error' ? 'dispatch_failed' : reply.error;
  return fail(code, `${name} failed with the error "${code}" (${reply.detail}).`);
}

function failedInteraction(reply: Extract<Delivery, { ok: false }>): Outcome {
  return fail(reply.error, `We had some trouble connecting to the app: ${reply.detail}. Try again?`);
}
