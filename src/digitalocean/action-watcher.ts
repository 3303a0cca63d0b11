// Follows DigitalOcean actions until they end, for every job in this worker process at once.
// Each action is checked on a schedule paced by how long its type usually takes. While two or
// more are in flight, one GET /v2/actions listing (the account's 200 newest actions) refreshes
// all of them, and every action it covered is rescheduled from that moment: the schedules line
// up, so the next check of everyone is again one call, however many actions are in flight.
// Only actions the listing does not cover are read one by one.
import type { DigitalOceanClient } from './client.js';
import type { Action } from './types.js';

export interface WatcherOptions {
  /** Shortest wait between two checks of one action, ms. */
  minIntervalMs?: number;
  /** Longest wait between two checks of an action, ms: bounds how late its end is noticed. */
  maxIntervalMs?: number;
  /**
   * Actions that usually take minutes may go a tenth of their usual time between checks, up to
   * this many ms. Default 20 s with the default maxIntervalMs; when maxIntervalMs is given, that
   * bound holds for every action unless this is given too.
   */
  maxLongIntervalMs?: number;
  /** When at least this many listable actions are in flight, use the account-wide listing. */
  batchThreshold?: number;
  /** Called with every status read, for counting calls in benchmarks and for logs. */
  onRead?: (kind: 'list' | 'single', count: number) => void;
  /** Give up on an action still in progress after this long (default: 10x its usual time, at least 30 min). */
  deadlineMs?: number;
}

/** The listing's page size: DigitalOcean's maximum. */
const LIST_PAGE = 200;

interface Watch {
  id: number;
  startedAt: number;
  typicalMs: number;
  dueAt: number;
  checks: number;
  /** Older than a full listing reaches: only a single read can see it now. */
  unlisted: boolean;
  onUpdate?: (action: Action) => void;
  resolve: (action: Action) => void;
  reject: (err: unknown) => void;
}

export class ActionWatcher {
  private readonly watches = new Map<number, Watch>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly minInterval: number;
  private readonly maxInterval: number;
  private readonly maxLongInterval: number;
  private readonly batchThreshold: number;

  constructor(
    private readonly client: Pick<DigitalOceanClient, 'getAction' | 'listActions'>,
    private readonly opts: WatcherOptions = {},
  ) {
    this.minInterval = opts.minIntervalMs ?? 1000;
    this.maxInterval = opts.maxIntervalMs ?? 4000;
    this.maxLongInterval = Math.max(this.maxInterval, opts.maxLongIntervalMs ?? (opts.maxIntervalMs === undefined ? 20_000 : this.maxInterval));
    this.batchThreshold = opts.batchThreshold ?? 2;
  }

  /** Resolves with the action once it is completed or errored. */
  follow(actionId: number, typicalSeconds: number, onUpdate?: (action: Action) => void, startedAt = Date.now()): Promise<Action> {
    const existing = this.watches.get(actionId);
    if (existing) {
      // Two followers of one action (a job rerun in the same process) share the reads.
      return new Promise((resolve, reject) => {
        const prev = { resolve: existing.resolve, reject: existing.reject };
        existing.resolve = (a) => (prev.resolve(a), resolve(a));
        existing.reject = (e) => (prev.reject(e), reject(e));
      });
    }
    return new Promise((resolve, reject) => {
      const typicalMs = typicalSeconds * 1000;
      const watch: Watch = { id: actionId, startedAt, typicalMs, dueAt: 0, checks: 0, unlisted: false, onUpdate, resolve, reject };
      // Never before now: a rerun may follow an action that started long ago.
      watch.dueAt = Math.max(Date.now(), startedAt + this.firstDelay(typicalMs));
      this.watches.set(actionId, watch);
      this.schedule();
    });
  }

  get size(): number {
    return this.watches.size;
  }

  /** The longest an action of this usual length may go unchecked. */
  private longest(typicalMs: number): number {
    return clamp(typicalMs / 10, this.maxInterval, this.maxLongInterval);
  }

  /** Nothing ends at once: the first look comes a third of the usual time in. */
  private firstDelay(typicalMs: number): number {
    return clamp(typicalMs / 3, this.minInterval, this.longest(typicalMs));
  }

  private nextDelay(w: Watch, now: number): number {
    // Before the usual end, look every tenth of the usual time (bounded); once past it the end
    // is overdue, so look twice as often, never more often than minInterval.
    const overdue = now - w.startedAt >= w.typicalMs;
    return overdue ? clamp(w.typicalMs / 20, this.minInterval, this.maxInterval) : clamp(w.typicalMs / 10, this.minInterval, this.longest(w.typicalMs));
  }

  private schedule(): void {
    if (this.running || this.watches.size === 0) return;
    let next = Infinity;
    for (const w of this.watches.values()) next = Math.min(next, w.dueAt);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), Math.max(0, next - Date.now()));
  }

  private async tick(): Promise<void> {
    this.running = true;
    try {
      const now = Date.now();
      const due = [...this.watches.values()].filter((w) => w.dueAt <= now);
      const listable = [...this.watches.values()].filter((w) => !w.unlisted);
      const fresh = new Map<number, Action>();
      let rateLimited = false;
      // A listing costs the same one call as a single read and covers every action in flight.
      if (due.some((w) => !w.unlisted) && listable.length >= this.batchThreshold) {
        try {
          const actions = await this.client.listActions(LIST_PAGE);
          this.opts.onRead?.('list', 1);
          for (const a of actions) fresh.set(a.id, a);
          // IDs grow with time: on a full page, a watched ID below the oldest listed one has
          // dropped off the listing for good.
          if (actions.length >= LIST_PAGE) {
            const oldest = Math.min(...actions.map((a) => a.id));
            for (const w of listable) if (!fresh.has(w.id) && w.id < oldest) w.unlisted = true;
          }
        } catch (err) {
          // Single reads would meet the same limit; otherwise fall through to them.
          rateLimited = (err as { isRateLimited?: boolean }).isRateLimited === true;
        }
      }
      if (!rateLimited) {
        await Promise.all(
          due
            .filter((w) => !fresh.has(w.id))
            .map(async (w) => {
              try {
                fresh.set(w.id, await this.client.getAction(w.id));
                this.opts.onRead?.('single', 1);
              } catch (err) {
                // 5xx, network trouble and 429 are retried at the next interval; any other 4xx
                // (a missing action, a token without actions:read) will not get better.
                const status = (err as { status?: number }).status;
                if (status !== undefined && status >= 400 && status < 500 && status !== 429) this.finish(w, undefined, err);
              }
            }),
        );
      }
      const after = Date.now();
      for (const w of [...this.watches.values()]) {
        const action = fresh.get(w.id);
        if ((!action || action.status === 'in-progress') && after - w.startedAt > this.deadlineMs(w)) {
          this.finish(w, undefined, new FollowDeadlineError(w.id, after - w.startedAt));
          continue;
        }
        if (action) {
          w.checks++;
          w.onUpdate?.(action);
          if (action.status !== 'in-progress') {
            this.finish(w, action);
            continue;
          }
        }
        // Everything this tick looked at starts its next wait now, so schedules line up.
        if (action || w.dueAt <= now) w.dueAt = after + this.nextDelay(w, after);
      }
    } finally {
      this.running = false;
      this.schedule();
    }
  }

  /** Stop following an action that runs far longer than its type ever should. */
  private deadlineMs(w: Watch): number {
    return this.opts.deadlineMs ?? Math.max(30 * 60_000, w.typicalMs * 10);
  }

  private finish(w: Watch, action: Action | undefined, err?: unknown): void {
    this.watches.delete(w.id);
    if (action) w.resolve(action);
    else w.reject(err);
  }

  /** Stops following everything; pending follows reject so their jobs can be handed back. */
  stop(): void {
    clearTimeout(this.timer);
    for (const w of this.watches.values()) w.reject(new WatcherStoppedError());
    this.watches.clear();
  }
}

/** The process is shutting down: the job should go back to the queue, not count as failed. */
export class WatcherStoppedError extends Error {
  override name = 'WatcherStoppedError';
  constructor() {
    super('watcher stopped');
  }
}

/** DigitalOcean still reports the action in progress long after it should have ended. */
export class FollowDeadlineError extends Error {
  override name = 'FollowDeadlineError';
  constructor(
    readonly actionId: number,
    readonly elapsedMs: number,
  ) {
    super(`DigitalOcean still reports action ${actionId} as in-progress after ${Math.round(elapsedMs / 60_000)} min; the bot stopped following it. Check the Droplet`);
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
