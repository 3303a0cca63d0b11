// One step of a fleet's coordinator: begin (look at the selector again, post the root message,
// choose one bulk POST or a job per Droplet), follow what runs, start the next batch when the
// last has ended, pause on the stop rule, and finish. Every step reads the fleet afresh and each
// change is a checked step in the store, so a step that runs twice (a crash, a lost lock) starts
// nothing twice: child jobs have fixed IDs, and the bulk POST is marked before it is sent and
// never sent again once marked.
import { DelayedError, type Job } from 'bullmq';
import { actionEntry } from '../domain/catalogue/index.js';
import { selects } from '../domain/fleet/selector.js';
import { batchSize } from '../domain/fleet/rollout.js';
import { isLive, nextStep, progressOf, type FleetTarget, type TargetState } from '../domain/fleet/run.js';
import type { ActionJob } from '../domain/job.js';
import type { AuditSink } from '../domain/audit.js';
import { childRequestId, fleetAuditEntry } from '../domain/fleet/audit.js';
import type { DigitalOceanClient } from '../digitalocean/client.js';
import { DigitalOceanError, DigitalOceanNetworkError } from '../digitalocean/errors.js';
import type { Action, Droplet } from '../digitalocean/types.js';
import type { Logger } from '../log.js';
import type { DropletLine } from '../store/droplet-line.js';
import { UnreadableFleetError, type FleetStore, type StoredFleet } from '../store/fleets.js';
import { GateClosedError, LostJobError, type Fence } from './fence.js';
import { CLOCK_SKEW_MS } from './run-action.js';
import { ANY_DROPLET, type OwnActions } from '../store/own-actions.js';

export interface FleetJobData {
  fleetId: string;
  /** The bulk tag POST: marked just before it is sent, and its answer saved as soon as it comes. */
  bulk?: {
    /** When the tag's members were last seen to equal the frozen list: older than a few seconds, they are read again before the POST. */
    listedAt?: number;
    postStartedAt?: number;
    /** The newest action ID in the account before the POST: anything the POST started is newer. */
    baseline?: number;
    /** Droplet ID -> action ID, as DigitalOcean answered (or as found after an unanswered POST). */
    actions?: Record<string, number>;
    /** DigitalOcean refused the POST outright: every Droplet runs on its own. */
    refused?: string;
    /** The POST's answer was lost and `actions` is what a search found: a Droplet not found may still have been started. */
    ambiguous?: boolean;
  };
}

/** The fleet as the reporter needs it: plan, status, each Droplet's part, where its thread is. */
export type FleetView = StoredFleet & { rootTs: string };

/** What the fleet's thread, root message and the notification channel say. */
export interface FleetReporter {
  /** Posts the root message in the fleet's channel and returns its ts. */
  announce(fleet: StoredFleet): Promise<string>;
  started(fleet: FleetView, note: { dropped: FleetTarget[]; joined: Array<{ id: number; name: string }>; bulk: boolean }): Promise<void>;
  batch(fleet: FleetView, batch: number, of: number, targets: FleetTarget[]): Promise<void>;
  bulkPosted(fleet: FleetView, started: number, missed: FleetTarget[], found: boolean): Promise<void>;
  /** No tag-wide POST: DigitalOcean refused it, or (tagChanged) the tag's members changed before it was sent. */
  bulkRefused(fleet: FleetView, message: string, tagChanged?: boolean): Promise<void>;
  failed(fleet: FleetView, target: FleetTarget, state: TargetState): Promise<void>;
  paused(fleet: FleetView, why: string): Promise<void>;
  /** Edits the root message to show the progress now. */
  progress(fleet: FleetView): Promise<void>;
  finished(fleet: FleetView): Promise<void>;
}

export interface RunFleetDeps {
  fleets: Pick<FleetStore, 'read' | 'transition' | 'setTarget' | 'set' | 'unset' | 'setRoot' | 'key'>;
  digitalocean: Pick<DigitalOceanClient, 'listDroplets' | 'postTagAction' | 'listActions' | 'getAction'>;
  fence: Fence;
  enqueue: (job: ActionJob) => Promise<void>;
  wasQueued: (requestId: string) => Promise<boolean>;
  /**
   * The requester's rights on these Droplets (as DigitalOcean has them now) from the fleet's
   * channel: why each refused one may not run. Checked at the start and before a late bulk POST;
   * each Droplet's own job checks again.
   */
  refusals?: (requester: string, action: FleetView['plan']['action'], droplets: readonly Droplet[], channel: string) => Promise<Map<number, string>>;
  /** The BullMQ state of a Droplet's job ('completed', 'failed', 'active', ...), or undefined. */
  childState?: (requestId: string) => Promise<string | undefined>;
  /** How often a fleet checks that each running Droplet's job is still alive (default 30 s). */
  reconcileEveryMs?: number;
  line: Pick<DropletLine, 'head'>;
  /** Records the actions the bulk POST starts, so the activity feed never reports them as someone else's. */
  own: Pick<OwnActions, 'sending' | 'started' | 'settled'>;
  reporter: FleetReporter;
  audit: AuditSink;
  logger: Logger;
  /** How often a running fleet looks at its Droplets (default 2 s). */
  stepMs?: number;
  /** How often a paused fleet with nothing running looks again (buttons wake it at once). */
  idleMs?: number;
  /** Least time between two progress edits of the root message (default 3 s). */
  progressEveryMs?: number;
}

const LIST_PAGE = 200;

export async function runFleetStep(job: Job<FleetJobData>, deps: RunFleetDeps, token?: string): Promise<void> {
  const id = job.data.fleetId;
  const log = deps.logger.child({ fleetId: id });
  let fleet: StoredFleet | undefined;
  try {
    fleet = await deps.fleets.read(id);
  } catch (err) {
    if (!(err instanceof UnreadableFleetError)) throw err;
    // A record this version cannot read is not retried in silence a thousand times.
    log.error({ err: (err as Error).message }, 'a fleet this version cannot read; ending its coordinator');
    return;
  }
  if (!fleet) {
    log.warn('fleet not found (expired or removed); ending its coordinator');
    return;
  }
  if (!isLive(fleet.status)) return;
  if (fleet.status === 'accepted') {
    await begin(job, fleet, deps, log, token);
    fleet = (await deps.fleets.read(id))!;
  }
  if (!fleet.rootTs) throw new Error('a running fleet without its root message');
  let view = fleet as FleetView;

  if (view.status === 'running' && job.data.bulk && !bulkSettled(job.data)) {
    await bulkPost(job, view, deps, log, token);
    view = (await deps.fleets.read(id)) as FleetView;
  }
  // On every step, not only after the POST: a run that died while writing the answer into the
  // fleet must never leave a Droplet the POST started looking as if it still had to run.
  if (job.data.bulk?.actions && (await applyBulk(job.data.bulk, view, deps))) view = (await deps.fleets.read(id)) as FleetView;
  if ([...view.states.values()].some((s) => s.bulk && s.phase === 'in-progress')) {
    await followBulk(view, deps, log);
    view = (await deps.fleets.read(id)) as FleetView;
  }
  if (view.starting !== undefined) await ensureQueued(view, deps);
  if (await reconcile(view, deps, log)) view = (await deps.fleets.read(id)) as FleetView;
  await reportFailures(view, deps);

  const step = nextStep(view.plan, view.status, view.states, view.batch, view.forgiven);
  // Bulk actions are looked at paced by how long their type usually takes, like single ones.
  const bulkRunning = [...view.states.values()].some((s) => s.bulk && s.phase === 'in-progress');
  let delay = bulkRunning ? Math.max(deps.stepMs ?? 2000, Math.min(20_000, actionEntry(view.plan.action).typicalSeconds * 100)) : (deps.stepMs ?? 2000);
  switch (step.kind) {
    case 'start': {
      // A Stop or Abort that came in during this step wins: nothing new is queued.
      if ((await deps.fleets.read(id))?.status !== 'running') break;
      const size = batchSize(view.plan.rollout, progressOf(view.states.values()).total);
      await startBatch(view, step.batch, step.ids, deps);
      view = (await deps.fleets.read(id)) as FleetView;
      if (view.plan.rollout.batch) {
        const of = step.batch + Math.ceil(progressOf(view.states.values()).waiting / size);
        await deps.reporter.batch(view, step.batch, of, view.plan.targets.filter((t) => step.ids.includes(t.id)));
      }
      break;
    }
    case 'pause': {
      // Errors someone resumed past are not counted again.
      const counted = step.errored - view.forgiven;
      const why = `${counted} Droplet${counted === 1 ? ' has' : 's have'} errored${view.forgiven ? ' since the last Resume' : ''}, more than max_failures=${view.plan.rollout.maxFailures} allows`;
      if ((await deps.fleets.transition(id, ['running'], 'paused', `stop-rule:${view.gen}:${view.batch}:${step.errored}`, { reason: why })) === 'moved') {
        view = (await deps.fleets.read(id)) as FleetView;
        await deps.reporter.paused(view, why);
      }
      break;
    }
    case 'finish': {
      if (step.aborted) await skipWaiting(view, deps);
      const moved = await deps.fleets.transition(id, step.aborted ? ['aborting'] : ['running', 'paused'], step.aborted ? 'aborted' : 'finished', `finish:${view.gen}`);
      view = (await deps.fleets.read(id)) as FleetView;
      if (moved === 'moved' || view.status === 'finished' || view.status === 'aborted') {
        await deps.reporter.finished(view);
        log.info(progressOf(view.states.values()), 'fleet ended');
        return;
      }
      break;
    }
    case 'idle':
      delay = deps.idleMs ?? 30_000;
      break;
    case 'wait':
      break;
  }
  await showProgress(view, deps);
  await job.moveToDelayed(Date.now() + delay, token);
  throw new DelayedError();
}

/** The selector's Droplets now: who left since the plan (dropped) and who joined (not added). */
async function begin(job: Job<FleetJobData>, fleet: StoredFleet, deps: RunFleetDeps, log: Logger, token?: string): Promise<void> {
  const { plan } = fleet;
  const now = await deps.digitalocean.listDroplets(plan.selector.kind === 'tag' ? { tag: plan.selector.tag } : {});
  const selected = new Map<number, Droplet>(now.filter((d) => selects(plan.selector, d)).map((d) => [d.id, d]));
  const planned = new Set(plan.targets.map((t) => t.id));
  const dropped = plan.targets.filter((t) => !selected.has(t.id));
  const joined = [...selected.values()].filter((d) => !planned.has(d.id)).map((d) => ({ id: d.id, name: d.name }));
  for (const t of dropped) {
    const why = plan.selector.kind === 'tag' ? `left tag:${plan.selector.tag} after the plan was made` : 'no longer matches (deleted or renamed) since the plan was made';
    await deps.fleets.setTarget(plan.id, t.id, ['waiting'], 1, { phase: 'dropped', attempt: 1, message: why });
  }
  // Rights are checked again at the start, on each Droplet's tags as they are now.
  const reasons = deps.refusals ? await deps.refusals(plan.requester, plan.action, [...selected.values()], plan.channel) : new Map<number, string>();
  const refused: FleetTarget[] = [];
  for (const t of plan.targets) {
    const reason = reasons.get(t.id);
    if (!reason) continue;
    refused.push(t);
    const message = `not run, checked again at the start: ${reason}`;
    if (await deps.fleets.setTarget(plan.id, t.id, ['waiting'], 1, { phase: 'errored', attempt: 1, message, mrkdwn: true, endedAt: Date.now() })) await deps.audit(fleetAuditEntry(fleet, t, 1, 'refused', { message }));
  }
  let rootTs = fleet.rootTs;
  if (!rootTs) {
    const ts = await deps.reporter.announce(fleet);
    await deps.fleets.setRoot(plan.id, ts);
    rootTs = (await deps.fleets.read(plan.id))?.rootTs ?? ts;
  }
  const entry = actionEntry(plan.action);
  const lines = await Promise.all(plan.targets.map((t) => deps.line.head(t.id)));
  // One POST for the whole tag only when it means exactly the frozen list, all at once, and no
  // Droplet is busy with a request of the bot's own.
  const bulk =
    entry.byTag === true && plan.selector.kind === 'tag' && !plan.rollout.batch && dropped.length === 0 && joined.length === 0 && refused.length === 0 && lines.every((h) => h === null);
  if (bulk && !job.data.bulk) await deps.fence.hold(job, { ...job.data, bulk: { listedAt: Date.now() } }, token);
  const view = { ...(await deps.fleets.read(plan.id))!, rootTs };
  await deps.reporter.started(view, { dropped, joined, bulk });
  // An approved fleet wrote its 'requested' entries when it asked.
  for (const t of fleet.approval ? [] : plan.targets) {
    if (dropped.includes(t)) continue;
    await deps.audit(fleetAuditEntry(view, t, 1, 'requested', { message: `fleet ${describe(plan)}` }));
  }
  await deps.fleets.transition(plan.id, ['accepted'], 'running', `begin:${plan.id}`);
  log.info({ targets: plan.targets.length, dropped: dropped.length, joined: joined.length, bulk }, 'fleet started');
}

function describe(plan: StoredFleet['plan']): string {
  return plan.selector.kind === 'tag' ? `tag:${plan.selector.tag}` : plan.selector.kind === 'glob' ? plan.selector.pattern : `${plan.targets.length} listed Droplets`;
}

/** How long a look at the tag's members stays good enough for the bulk POST. */
const TAG_FRESH_MS = 5000;

/** The tag's members are no longer the frozen list (minus the dropped): the bulk POST would reach the wrong Droplets. */
class TagChangedError extends Error {
  override name = 'TagChangedError';
}

/**
 * Just before a late bulk POST: the tag's members must still be the frozen list, and the
 * requester's rights must still cover each of them (their tags now). Otherwise nothing goes to
 * the tag, and each Droplet's own job checks again before its own POST.
 */
async function checkTagUnchanged(deps: RunFleetDeps, fleet: FleetView, tag: string): Promise<void> {
  const members = (await deps.digitalocean.listDroplets({ tag })).filter((d) => (d.tags ?? []).includes(tag));
  const now = new Set(members.map((d) => d.id));
  const expected = fleet.plan.targets.filter((t) => fleet.states.get(t.id)?.phase !== 'dropped');
  const left = expected.filter((t) => !now.has(t.id));
  const joined = [...now].filter((id) => !expected.some((t) => t.id === id));
  if (left.length || joined.length) {
    throw new TagChangedError(
      `tag:${tag} changed since the fleet started (${[left.length ? `${left.length} left` : '', joined.length ? `${joined.length} joined` : ''].filter(Boolean).join(', ')}), so one POST for the tag would not mean the frozen list`,
    );
  }
  const refused = deps.refusals ? (await deps.refusals(fleet.plan.requester, fleet.plan.action, members, fleet.plan.channel)).size : 0;
  if (refused) throw new TagChangedError(`the requester's rights no longer cover ${refused} of its Droplets, so each Droplet is checked on its own before it is sent`);
}

function bulkSettled(data: FleetJobData): boolean {
  return data.bulk?.actions !== undefined || data.bulk?.refused !== undefined;
}

/**
 * The one POST for the whole tag. Marked (with proof of the lock) before it is sent; after an
 * unanswered POST the next run looks for the actions it may have started instead of sending it
 * again, and Droplets with no action found run on their own.
 */
async function bulkPost(job: Job<FleetJobData>, fleet: FleetView, deps: RunFleetDeps, log: Logger, token?: string): Promise<void> {
  const { plan } = fleet;
  if (plan.selector.kind !== 'tag') return;
  let bulk = job.data.bulk ?? {};
  let found = false;
  if (bulk.postStartedAt !== undefined) {
    // Sent before, answer unknown: never sent again. Whatever it started is newer than the baseline.
    const { found: actions, all } = await findBulkActions(deps, fleet, bulk.baseline ?? 0, bulk.postStartedAt);
    bulk = { ...bulk, actions, ambiguous: true };
    await deps.own.started(plan.id, plan.action, [ANY_DROPLET], all);
    found = true;
    log.warn({ found: Object.keys(actions).length }, 'found what an unanswered bulk POST started; the rest are marked errored for a person to check');
  } else {
    // A Stop or Abort that came in during this step wins: nothing is sent.
    if ((await deps.fleets.read(plan.id))?.status !== 'running') return;
    const baseline = (await deps.digitalocean.listActions(1, 1))[0]?.id ?? 0;
    let postStartedAt = Date.now();
    const tag = plan.selector.tag;
    try {
      const actions = await deps.digitalocean.postTagAction(tag, plan.body, async () => {
        // DigitalOcean acts on whoever has the tag when the POST lands: after a wait (the rate
        // budget, a 429, a crash), look at the members again, so a Droplet that joined is never touched.
        if (Date.now() - (bulk.listedAt ?? 0) > TAG_FRESH_MS) await checkTagUnchanged(deps, fleet, tag);
        postStartedAt = Date.now();
        // Marked before anything can leave. DigitalOcean acts on whoever has the tag when the POST
        // lands, so the mark covers any Droplet until the answer names the actions.
        await deps.own.sending(plan.id, plan.action, [ANY_DROPLET], postStartedAt);
        // Stop or Abort while this step waited (for the budget, say): the gate is closed and nothing is sent.
        await deps.fence.hold(job, { ...job.data, bulk: { baseline, postStartedAt } }, token, { key: deps.fleets.key(plan.id), field: 'status', closed: ['paused', 'aborting', 'aborted'] });
      });
      await deps.own.started(plan.id, plan.action, [ANY_DROPLET], actions.map((a) => a.id));
      const wanted = new Set(plan.targets.map((t) => t.id));
      bulk = { baseline, postStartedAt, actions: Object.fromEntries(actions.filter((a) => a.resource_id !== null && wanted.has(a.resource_id)).map((a) => [String(a.resource_id), a.id])) };
      const strays = actions.filter((a) => a.resource_id === null || !wanted.has(a.resource_id));
      if (strays.length) log.warn({ strays: strays.map((a) => a.resource_id) }, 'the bulk POST started actions on Droplets outside the frozen list');
    } catch (err) {
      if (err instanceof LostJobError) throw err;
      if (err instanceof GateClosedError) {
        await deps.own.settled(plan.id, plan.action, [ANY_DROPLET]);
        // Nothing was sent and nothing was marked: a Resume sends it then (reading the tag again first).
        log.info({ status: err.state }, 'the fleet was stopped before its bulk POST; not sent');
        return;
      }
      if (err instanceof TagChangedError) {
        // Nothing was sent: each Droplet of the frozen list runs on its own instead.
        await deps.fence.hold(job, { ...job.data, bulk: { refused: err.message } }, token);
        await deps.reporter.bulkRefused(fleet, err.message, true);
        return;
      }
      if (err instanceof DigitalOceanError && !err.isServerError) {
        if (err.isRateLimited) {
          // Nothing started: clear the mark and try again once the limit allows.
          await deps.fence.hold(job, { ...job.data, bulk: {} }, token);
          // Only once the fence proved this worker still holds the job: a new owner's mark stays.
          await deps.own.settled(plan.id, plan.action, [ANY_DROPLET]);
          throw err;
        }
        // A definite refusal (a Droplet already busy, say): nothing started; each runs on its own.
        await deps.fence.hold(job, { ...job.data, bulk: { refused: err.message } }, token);
        await deps.own.settled(plan.id, plan.action, [ANY_DROPLET]);
        await deps.reporter.bulkRefused(fleet, err.message);
        return;
      }
      const ambiguous = err instanceof DigitalOceanNetworkError ? err.ambiguous : true;
      if (!ambiguous) await deps.fence.hold(job, { ...job.data, bulk: {} }, token);
      log.warn({ err: (err as Error).message, ambiguous }, 'bulk POST failed; the next step looks before anything is sent again');
      throw err;
    }
  }
  // Saved before anything else: from here on no run sends it again.
  await deps.fence.hold(job, { ...job.data, bulk }, token);
  await applyBulk(bulk, fleet, deps);
  const actions = bulk.actions ?? {};
  const missed = plan.targets.filter((t) => actions[String(t.id)] === undefined);
  await deps.reporter.bulkPosted(fleet, plan.targets.length - missed.length, missed, found);
}

/**
 * Writes the bulk POST's answer into the fleet: each Droplet it started is followed. A Droplet it
 * did not start runs on its own when the answer was definite; after a lost answer it is marked
 * errored instead (the search may have missed an action still being made), for a person to check
 * and retry. Idempotent: only Droplets still waiting change. True when anything changed.
 */
async function applyBulk(bulk: NonNullable<FleetJobData['bulk']>, fleet: FleetView, deps: RunFleetDeps): Promise<boolean> {
  const actions = bulk.actions ?? {};
  let changed = false;
  for (const t of fleet.plan.targets) {
    const state = fleet.states.get(t.id);
    if (state?.phase !== 'waiting' || state.attempt !== 1) continue;
    const actionId = actions[String(t.id)];
    if (actionId !== undefined) {
      if (await deps.fleets.setTarget(fleet.plan.id, t.id, ['waiting'], 1, { phase: 'in-progress', attempt: 1, actionId, startedAt: bulk.postStartedAt ?? Date.now(), bulk: true })) {
        changed = true;
        await deps.audit(fleetAuditEntry(fleet, t, 1, 'posted', { actionId, message: 'one POST for the whole tag' }));
      }
    } else if (bulk.ambiguous) {
      const message = 'the answer to the tag-wide POST was lost and no action of it was found for this Droplet, but one may still have started. Check the Droplet, then use Retry failed';
      if (await deps.fleets.setTarget(fleet.plan.id, t.id, ['waiting'], 1, { phase: 'errored', attempt: 1, message, endedAt: Date.now() })) {
        changed = true;
        await deps.audit(fleetAuditEntry(fleet, t, 1, 'errored', { message }));
      }
    }
  }
  return changed;
}

/**
 * What an unanswered bulk POST may have started: per planned Droplet, its action; and every action
 * of that type since the POST, on any Droplet (a Droplet that joined the tag gets one too), which
 * the activity feed must count as the bot's.
 */
async function findBulkActions(deps: RunFleetDeps, fleet: FleetView, baseline: number, since: number): Promise<{ found: Record<string, number>; all: number[] }> {
  const wanted = new Set(fleet.plan.targets.map((t) => t.id));
  const found: Record<string, number> = {};
  const all: number[] = [];
  for (let page = 1; page <= Math.ceil(wanted.size / LIST_PAGE) + 2; page++) {
    const actions = await deps.digitalocean.listActions(LIST_PAGE, page);
    for (const a of actions) {
      if (a.id <= baseline || a.type !== fleet.plan.action || a.resource_id === null) continue;
      if (Date.parse(a.started_at) < since - CLOCK_SKEW_MS) continue;
      all.push(a.id);
      if (wanted.has(a.resource_id)) found[String(a.resource_id)] ??= a.id;
    }
    if (actions.length < LIST_PAGE || Math.min(...actions.map((a) => a.id)) <= baseline) break;
  }
  return { found, all };
}

/**
 * One round for every Droplet the bulk POST started: the account-wide listing, page by page
 * until it reaches the oldest of them, then single reads for any it did not cover.
 */
async function followBulk(fleet: FleetView, deps: RunFleetDeps, log: Logger): Promise<void> {
  const running = fleet.plan.targets.filter((t) => fleet.states.get(t.id)?.bulk && fleet.states.get(t.id)?.phase === 'in-progress');
  const ids = new Map(running.map((t) => [fleet.states.get(t.id)!.actionId!, t]));
  const oldest = Math.min(...ids.keys());
  const seen = new Map<number, Action>();
  for (let page = 1; page <= Math.ceil(ids.size / LIST_PAGE) + 2; page++) {
    const actions = await deps.digitalocean.listActions(LIST_PAGE, page);
    for (const a of actions) if (ids.has(a.id)) seen.set(a.id, a);
    if (actions.length < LIST_PAGE || Math.min(...actions.map((a) => a.id)) <= oldest) break;
  }
  for (const actionId of [...ids.keys()].filter((a) => !seen.has(a)).slice(0, 10)) {
    seen.set(actionId, await deps.digitalocean.getAction(actionId));
  }
  const deadline = Math.max(30 * 60_000, actionEntry(fleet.plan.action).typicalSeconds * 10_000);
  for (const [actionId, target] of ids) {
    const state = fleet.states.get(target.id)!;
    const action = seen.get(actionId);
    const overdue = Date.now() - (state.startedAt ?? Date.now()) > deadline;
    if ((!action || action.status === 'in-progress') && !overdue) continue;
    const status = action?.status === 'completed' ? 'completed' : 'errored';
    const message = status === 'completed' ? undefined : action?.status === 'errored' ? 'DigitalOcean reports the action as errored' : `DigitalOcean still reports action ${actionId} as in-progress; the bot stopped following it. Check the Droplet`;
    const endedAt = Date.parse(action?.completed_at ?? '') || Date.now();
    const startedAt = Date.parse(action?.started_at ?? '') || state.startedAt;
    if (await deps.fleets.setTarget(fleet.plan.id, target.id, ['in-progress'], state.attempt, { ...state, phase: status, endedAt, ...(startedAt ? { startedAt } : {}), ...(message ? { message } : {}) })) {
      await deps.audit(fleetAuditEntry(fleet, target, state.attempt, status, { actionId, status, ...(message ? { message } : {}) }));
    }
  }
  log.debug({ running: ids.size, ended: [...seen.values()].filter((a) => a.status !== 'in-progress').length }, 'followed the bulk actions');
}

/** Marks the batch queued, then adds each Droplet's job (a fixed ID per attempt: adding twice is a no-op). */
async function startBatch(fleet: FleetView, batch: number, ids: number[], deps: RunFleetDeps): Promise<void> {
  await deps.fleets.set(fleet.plan.id, { starting: String(batch), batch: String(batch) });
  for (const dropletId of ids) {
    const state = fleet.states.get(dropletId)!;
    await deps.fleets.setTarget(fleet.plan.id, dropletId, ['waiting'], state.attempt, { phase: 'queued', attempt: state.attempt, batch });
  }
  await ensureQueued((await deps.fleets.read(fleet.plan.id)) as FleetView, deps);
}

/** Every queued Droplet of the batch being started has its job (again, after a crash). */
async function ensureQueued(fleet: FleetView, deps: RunFleetDeps): Promise<void> {
  for (const t of fleet.plan.targets) {
    const state = fleet.states.get(t.id)!;
    if (state.phase !== 'queued' || state.batch !== fleet.starting) continue;
    const requestId = childRequestId(fleet.plan.id, t.id, state.attempt);
    if (await deps.wasQueued(requestId)) continue;
    await deps.enqueue({
      requestId,
      action: fleet.plan.action,
      body: fleet.plan.body,
      droplet: { id: t.id, name: t.name },
      requester: fleet.plan.requester,
      channel: fleet.plan.channel,
      rootTs: fleet.rootTs,
      requestedAt: Date.now(),
      fleet: { id: fleet.plan.id, attempt: state.attempt },
    });
  }
  await deps.fleets.unset(fleet.plan.id, 'starting');
}

/**
 * A Droplet's job that ended without writing its result into the fleet (one this version could
 * not read, or one an older version ran during a deploy) would hold the fleet open for ever: such
 * Droplets are marked errored for a person to check. Only a job that has definitely ended counts,
 * and the change is from the phase seen, for this attempt, so a result written meanwhile wins.
 */
async function reconcile(fleet: FleetView, deps: RunFleetDeps, log: Logger): Promise<boolean> {
  if (!deps.childState) return false;
  const now = Date.now();
  if (now - fleet.reconciledAt < (deps.reconcileEveryMs ?? 30_000)) return false;
  await deps.fleets.set(fleet.plan.id, { reconciledAt: String(now) });
  let changed = false;
  for (const t of fleet.plan.targets) {
    const state = fleet.states.get(t.id)!;
    if ((state.phase !== 'queued' && state.phase !== 'in-progress') || state.bulk || state.batch === fleet.starting) continue;
    const jobState = await deps.childState(childRequestId(fleet.plan.id, t.id, state.attempt));
    if (jobState !== 'completed' && jobState !== 'failed') continue;
    const message = `its job ended (${jobState}) without reporting a result, so it is not known whether the action ran to the end. Check the Droplet, then use Retry failed`;
    if (await deps.fleets.setTarget(fleet.plan.id, t.id, [state.phase], state.attempt, { ...state, phase: 'errored', message, endedAt: now })) {
      changed = true;
      log.warn({ dropletId: t.id, jobState }, 'a Droplet job ended without writing its result into the fleet');
      await deps.audit(fleetAuditEntry(fleet, t, state.attempt, 'errored', { message }));
    }
  }
  return changed;
}

/** Each errored Droplet's words in the thread, once per attempt. */
async function reportFailures(fleet: FleetView, deps: RunFleetDeps): Promise<void> {
  for (const t of fleet.plan.targets) {
    const state = fleet.states.get(t.id)!;
    if (state.phase === 'errored') await deps.reporter.failed(fleet, t, state);
  }
}

async function skipWaiting(fleet: FleetView, deps: RunFleetDeps): Promise<void> {
  for (const t of fleet.plan.targets) {
    const state = fleet.states.get(t.id)!;
    if (state.phase === 'waiting') await deps.fleets.setTarget(fleet.plan.id, t.id, ['waiting'], state.attempt, { ...state, phase: 'skipped', message: 'aborted before it started' });
  }
}

/** Edits the root message when the progress changed, no more often than progressEveryMs. */
async function showProgress(fleet: FleetView, deps: RunFleetDeps): Promise<void> {
  const shown = `${fleet.status}|${[...fleet.states.values()].map((s) => s.phase).join(',')}`;
  if (shown === fleet.shown) return;
  const now = Date.now();
  const statusChanged = fleet.shown?.split('|')[0] !== fleet.status;
  if (!statusChanged && now - fleet.rootAt < (deps.progressEveryMs ?? 3000)) return;
  await deps.reporter.progress(fleet);
  await deps.fleets.set(fleet.plan.id, { shown, rootAt: String(now) });
}

