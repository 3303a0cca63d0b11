// Open modals, as stacks (Slack allows 3 views per stack), and the trigger IDs that open them.
// Semantics follow Slack's: a trigger may be exchanged once within 3 s; views.update checks the
// optional hash; external_id is unique among open views. The playground drives the user's side
// (typing into inputs, closing, submitting) through setState / close / applyResponseAction.
import { homeViewProblems, normalizeBlocks, viewProblems } from './block-kit.js';
import { SlackApiError } from './errors.js';
import { slackId, triggerId, viewHash } from './ids.js';
import type { BotIdentity, JsonObject, SlackView, Team, ViewRecord, WorkspaceEvent } from './workspace-types.js';

const MAX_STACK = 3;

export interface ViewStoreDeps {
  team: Team;
  bot: BotIdentity;
  now: () => number;
  emit: (event: WorkspaceEvent) => void;
  /** How long a trigger_id can be exchanged after it was issued; Slack's is 3 s. */
  triggerTtlMs: number;
  /** When false, trigger IDs the workspace never issued are accepted (with no known user). */
  strictTriggers: () => boolean;
}

interface TriggerRecord {
  user_id: string;
  issued_at: number;
  /** Set when the interaction that produced the trigger happened inside a modal. */
  view_id?: string;
  exchanged: boolean;
}

type StateValues = SlackView['state']['values'];

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export class ViewStore {
  private readonly records = new Map<string, ViewRecord>();
  /** root_view_id → view ids, bottom first. Map order = opening order, used to find "the latest". */
  private readonly stacks = new Map<string, string[]>();
  private readonly triggers = new Map<string, TriggerRecord>();
  /** Each user's Home tab, as the app last published it. */
  private readonly homes = new Map<string, ViewRecord>();

  constructor(private readonly deps: ViewStoreDeps) {}

  /** A trigger_id to put in a slash-command or interaction payload sent on behalf of `user_id`. */
  issueTriggerId(user_id: string, opts: { view_id?: string } = {}): string {
    const id = triggerId();
    this.triggers.set(id, { user_id, issued_at: this.deps.now(), exchanged: false, ...opts });
    return id;
  }

  /** views.open: starts a new stack. */
  open(trigger_id: string, input: JsonObject): ViewRecord {
    const view = this.validate(input);
    const trigger = this.exchange(trigger_id);
    const id = slackId('V');
    const record: ViewRecord = {
      view: this.build(view, { id, root_view_id: id, previous_view_id: null, values: {} }),
      ...(trigger ? { user_id: trigger.user_id } : {}),
    };
    this.records.set(id, record);
    this.stacks.set(id, [id]);
    this.deps.emit({ type: 'view_opened', view: record.view, ...userOf(record) });
    return record;
  }

  /** views.push: onto the stack the trigger came from (or the user's latest stack). */
  push(trigger_id: string, input: JsonObject): ViewRecord {
    const view = this.validate(input);
    const trigger = this.exchange(trigger_id);
    const stack = this.stackForPush(trigger);
    // Simulator's choice: Slack documents no code for "no modal to push onto".
    if (!stack) throw new SlackApiError('not_found');
    return this.pushOnto(stack, view);
  }

  /** views.update: by view_id or external_id; a stale `hash` gives hash_conflict. */
  update(target: { view_id?: string; external_id?: string; hash?: string }, input: JsonObject): ViewRecord {
    checkShape(input);
    const record = target.view_id !== undefined ? this.records.get(target.view_id) : this.byExternalId(target.external_id ?? '');
    if (!record) throw new SlackApiError('not_found');
    const view = this.validate(input, record.view.id);
    if (target.hash !== undefined && target.hash !== '' && target.hash !== record.view.hash) {
      throw new SlackApiError('hash_conflict');
    }
    return this.replace(record, view);
  }

  get(view_id: string): ViewRecord | undefined {
    return this.records.get(view_id) ?? [...this.homes.values()].find((r) => r.view.id === view_id);
  }

  /** views.publish: the user's Home tab, replaced whole (same id, new hash); a stale `hash` gives hash_conflict. */
  publish(user_id: string, input: JsonObject, hash?: string): ViewRecord {
    const problems = homeViewProblems(input);
    if (problems.length) throw SlackApiError.invalidArguments(problems);
    const current = this.homes.get(user_id);
    if (hash !== undefined && hash !== '' && current && hash !== current.view.hash) throw new SlackApiError('hash_conflict');
    const id = current?.view.id ?? slackId('V');
    const view = this.build(input, { id, root_view_id: id, previous_view_id: null, values: {} });
    if (current) view.state = { values: keptValues(current.view.state.values, view.blocks) };
    const record: ViewRecord = { view, user_id };
    this.homes.set(user_id, record);
    this.deps.emit({ type: 'home_published', view, user_id });
    return record;
  }

  /** What the user's Home tab shows, or undefined when the app never published one for them. */
  homeFor(user_id: string): ViewRecord | undefined {
    return this.homes.get(user_id);
  }

  /** What the user typed or picked in their Home tab (its inputs), as `view.state.values` will say. */
  setHomeState(user_id: string, values: StateValues): ViewRecord {
    const record = this.homes.get(user_id);
    if (!record) throw new SlackApiError('not_found');
    record.view = { ...record.view, state: { values: structuredClone(values) } };
    return record;
  }

  byExternalId(external_id: string): ViewRecord | undefined {
    if (external_id === '') return undefined;
    for (const r of this.records.values()) if (r.view.external_id === external_id) return r;
    return undefined;
  }

  /** Every open view, oldest stack first, each stack bottom first. */
  all(): ViewRecord[] {
    return [...this.stacks.values()].flat().map((id) => this.records.get(id)!);
  }

  /** The stack (bottom first) that holds `view_id`. */
  stackOf(view_id: string): ViewRecord[] {
    const root = this.records.get(view_id)?.view.root_view_id;
    return (root ? (this.stacks.get(root) ?? []) : []).map((id) => this.records.get(id)!);
  }

  /** The view on top of the user's most recently opened stack: what their screen shows. */
  topFor(user_id: string): ViewRecord | undefined {
    const stack = [...this.stacks.values()].reverse().find((ids) => this.records.get(ids[0]!)?.user_id === user_id);
    return stack ? this.records.get(stack.at(-1)!) : undefined;
  }

  /** What the user has typed or picked, as it will appear in `view.state.values`. */
  setState(view_id: string, values: StateValues): ViewRecord {
    const record = this.require(view_id);
    record.view = { ...record.view, state: { values: structuredClone(values) } };
    this.deps.emit({ type: 'view_updated', view: record.view, ...userOf(record) });
    return record;
  }

  /** The user closed `view_id`: it and anything above it go, or the whole stack if clear_on_close. */
  close(view_id: string): ViewRecord[] {
    const record = this.require(view_id);
    if (record.view.clear_on_close) return this.clear(view_id);
    const ids = this.stacks.get(record.view.root_view_id)!;
    return this.removeFrom(ids, ids.indexOf(view_id));
  }

  /** Closes every view in the stack holding `view_id` (`response_action: "clear"`). */
  clear(view_id: string): ViewRecord[] {
    const record = this.require(view_id);
    return this.removeFrom(this.stacks.get(record.view.root_view_id)!, 0);
  }

  /**
   * Applies the bot's ack to a view_submission of `view_id`, as Slack would: no response_action
   * closes the submitted view; `clear`, `update`, `push` and `errors` do what their names say.
   */
  applyResponseAction(view_id: string, ack: unknown): void {
    const record = this.require(view_id);
    const action = isObject(ack) ? ack.response_action : undefined;
    if (action === 'errors' && isObject(ack) && isObject(ack.errors)) {
      record.errors = Object.fromEntries(Object.entries(ack.errors).map(([k, v]) => [k, String(v)]));
      this.deps.emit({ type: 'view_updated', view: record.view, ...userOf(record) });
    } else if (action === 'update' && isObject(ack) && isObject(ack.view)) {
      this.replace(record, this.validate(ack.view, view_id));
    } else if (action === 'push' && isObject(ack) && isObject(ack.view)) {
      this.pushOnto(this.stacks.get(record.view.root_view_id)!, this.validate(ack.view));
    } else if (action === 'clear') {
      this.clear(view_id);
    } else {
      this.close(view_id);
    }
  }

  /** Checks the view's shape, then that its external_id is not held by another open view. */
  private validate(input: JsonObject, updating?: string): JsonObject {
    checkShape(input);
    const ext = typeof input.external_id === 'string' ? input.external_id : '';
    const holder = this.byExternalId(ext);
    if (holder && holder.view.id !== updating) throw new SlackApiError('duplicate_external_id');
    return input;
  }

  private exchange(trigger_id: string): TriggerRecord | undefined {
    const trigger = this.triggers.get(trigger_id);
    if (!trigger) {
      if (this.deps.strictTriggers()) throw new SlackApiError('invalid_trigger_id');
      return undefined;
    }
    if (trigger.exchanged) throw new SlackApiError('exchanged_trigger_id');
    if (this.deps.now() - trigger.issued_at > this.deps.triggerTtlMs) throw new SlackApiError('expired_trigger_id');
    trigger.exchanged = true;
    return trigger;
  }

  private stackForPush(trigger: TriggerRecord | undefined): string[] | undefined {
    const fromView = trigger?.view_id ? this.records.get(trigger.view_id)?.view.root_view_id : undefined;
    if (fromView) return this.stacks.get(fromView);
    const stacks = [...this.stacks.values()].reverse();
    if (trigger) return stacks.find((ids) => this.records.get(ids[0]!)?.user_id === trigger.user_id);
    return stacks[0];
  }

  private pushOnto(ids: string[], view: JsonObject): ViewRecord {
    if (ids.length >= MAX_STACK) throw new SlackApiError('push_limit_reached');
    const root = this.records.get(ids[0]!)!;
    const id = slackId('V');
    const record: ViewRecord = {
      view: this.build(view, { id, root_view_id: root.view.id, previous_view_id: ids.at(-1)!, values: {} }),
      ...userOf(root),
    };
    this.records.set(id, record);
    ids.push(id);
    this.deps.emit({ type: 'view_pushed', view: record.view, ...userOf(record) });
    return record;
  }

  /** New content for an existing view: same id and place in the stack, new hash, inputs kept. */
  private replace(record: ViewRecord, view: JsonObject): ViewRecord {
    const { id, root_view_id, previous_view_id } = record.view;
    const next = this.build(view, { id, root_view_id, previous_view_id, values: {} });
    next.state = { values: keptValues(record.view.state.values, next.blocks) };
    // An update that names no external_id keeps the one the view had, so later lookups still work.
    if (view.external_id === undefined) next.external_id = record.view.external_id;
    record.view = next;
    delete record.errors;
    this.deps.emit({ type: 'view_updated', view: record.view, ...userOf(record) });
    return record;
  }

  private removeFrom(ids: string[], index: number): ViewRecord[] {
    const removed = ids.splice(index).reverse().map((id) => this.records.get(id)!);
    for (const r of removed) {
      this.records.delete(r.view.id);
      this.deps.emit({ type: 'view_closed', view_id: r.view.id, root_view_id: r.view.root_view_id, ...userOf(r) });
    }
    if (ids.length === 0 && removed[0]) this.stacks.delete(removed[0].view.root_view_id);
    return removed;
  }

  private require(view_id: string): ViewRecord {
    const record = this.records.get(view_id);
    if (!record) throw new SlackApiError('not_found');
    return record;
  }

  private build(
    input: JsonObject,
    place: { id: string; root_view_id: string; previous_view_id: string | null; values: StateValues },
  ): SlackView {
    const { team, bot } = this.deps;
    const text = (v: unknown) => (typeof v === 'string' ? v : '');
    const obj = (v: unknown) => (isObject(v) ? v : null);
    return {
      id: place.id,
      team_id: team.id,
      type: text(input.type),
      blocks: normalizeBlocks((input.blocks as JsonObject[]) ?? []),
      private_metadata: text(input.private_metadata),
      callback_id: text(input.callback_id),
      state: { values: place.values },
      hash: viewHash(this.deps.now()),
      title: obj(input.title),
      clear_on_close: input.clear_on_close === true,
      notify_on_close: input.notify_on_close === true,
      close: obj(input.close),
      submit: obj(input.submit),
      previous_view_id: place.previous_view_id,
      root_view_id: place.root_view_id,
      app_id: bot.app_id,
      external_id: text(input.external_id),
      app_installed_team_id: team.id,
      bot_id: bot.bot_id,
    };
  }
}

function checkShape(input: JsonObject): void {
  const problems = viewProblems(input);
  if (problems.length) throw SlackApiError.invalidArguments(problems);
}

function userOf(record: ViewRecord): { user_id?: string } {
  return record.user_id !== undefined ? { user_id: record.user_id } : {};
}

/** Slack keeps what the user entered when an update has an input with the same block_id and action_id. */
function keptValues(values: StateValues, blocks: JsonObject[]): StateValues {
  const kept: StateValues = {};
  for (const block of blocks) {
    const blockId = block.block_id as string;
    const actionId = isObject(block.element) ? block.element.action_id : undefined;
    const value = typeof actionId === 'string' ? values[blockId]?.[actionId] : undefined;
    if (block.type === 'input' && typeof actionId === 'string' && value) kept[blockId] = { [actionId]: value };
  }
  return kept;
}
