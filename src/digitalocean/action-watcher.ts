// Follows DigitalOcean actions until they end, for every job in this worker process at once.
// Each action is checked on a schedule paced by how long its type usually takes; when several
// are due together, one GET /v2/actions listing (up to 200 newest actions) refreshes them all,
// and only the ones it does not cover are read one by one.
import type { DigitalOceanClient } from './client.js';
import type { Action } from './types.js';

export interface WatcherOptions {
  /** Shortest wait between two checks of one action, ms. */
  minIntervalMs?: number;
  /** Longest wait between two checks of one action, ms: bounds how late an end is noticed. */
  maxIntervalMs?: number;
  /** When at least this many actions are due, use the account-wide listing. */
  batchThreshold?: number;
  /** Called with every status read, for counting calls in benchmarks and for logs. */
  onRead?: (kind: 'list' | 'single', count: number) => void;
}

interface Watch {
  id: number;
  startedAt: number;
  typicalMs: number;
  dueAt: number;
  checks: number;
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
  private readonly batchThreshold: number;

  constructor(
    private readonly client: Pick<DigitalOceanClient, 'getAction' | 'listActions'>,
    private readonly opts: WatcherOptions = {},
  ) {
    this.minInterval = opts.minIntervalMs ?? 1000;
    this.maxInterval = opts.maxIntervalMs ?? 4000;
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
      const watch: Watch = { id: actionId, startedAt, typicalMs, dueAt: 0, checks: 0, onUpdate, resolve, reject };
      watch.dueAt = startedAt + this.firstDelay(typicalMs);
      this.watches.set(actionId, watch);
      this.schedule();
    });
  }

  get size(): number {
    return this.watches.size;
  }

  /** First look at half the usual duration, never later than the longest interval. */
  private firstDelay(typicalMs: number): number {
    return clamp(typicalMs / 2, this.minInterval, this.maxInterval);
  }

  private nextDelay(w: Watch, now: number): number {
    // Once past the usual duration the end is close: look more often, but never busy-poll.
    const elapsed = now - w.startedAt;
    const factor = elapsed < w.typicalMs ? 0.5 : 0.25;
    return clamp(w.typicalMs * factor, this.minInterval, this.maxInterval);
  }

  private schedule(): void {
    if (this.running || this.watches.size === 0) return;
    const next = Math.min(...[...this.watches.values()].map((w) => w.dueAt));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), Math.max(0, next - Date.now()));
  }

  private async tick(): Promise<void> {
    this.running = true;
    try {
      const now = Date.now();
      const due = [...this.watches.values()].filter((w) => w.dueAt <= now);
      const fresh = new Map<number, Action>();
      if (due.length >= this.batchThreshold) {
        try {
          const listed = await this.client.listActions(200);
          this.opts.onRead?.('list', 1);
          for (const a of listed) fresh.set(a.id, a);
        } catch {
          // Fall through to single reads for everything due.
        }
      }
      await Promise.all(
        due
          .filter((w) => !fresh.has(w.id))
          .map(async (w) => {
            try {
              fresh.set(w.id, await this.client.getAction(w.id));
              this.opts.onRead?.('single', 1);
            } catch (err) {
              // A failed read is retried at the next interval; only a missing action is final.
              if ((err as { isNotFound?: boolean }).isNotFound) this.finish(w, undefined, err);
            }
          }),
      );
      const after = Date.now();
      // A listing also covers actions that were not due yet: finishing those early costs nothing.
      const covered = [...this.watches.values()].filter((w) => fresh.has(w.id) || w.dueAt <= now);
      for (const w of covered) {
        const action = fresh.get(w.id);
        if (action) {
          w.checks++;
          w.onUpdate?.(action);
          if (action.status !== 'in-progress') {
            this.finish(w, action);
            continue;
          }
        }
        if (w.dueAt <= now) w.dueAt = after + this.nextDelay(w, after);
      }
    } finally {
      this.running = false;
      this.schedule();
    }
  }

  private finish(w: Watch, action: Action | undefined, err?: unknown): void {
    this.watches.delete(w.id);
    if (action) w.resolve(action);
    else w.reject(err);
  }

  /** Stops following everything; pending follows reject so their jobs can be handed back. */
  stop(): void {
    clearTimeout(this.timer);
    for (const w of this.watches.values()) w.reject(new Error('watcher stopped'));
    this.watches.clear();
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
