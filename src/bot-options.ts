// What starting the bot takes and gives back, shared by bot.ts and the two halves it starts.
import type { Config } from './config.js';
import type { RoleMap } from './domain/policy.js';
import type { RoleMapSource } from './roles/role-map-source.js';
import type { Logger } from './log.js';
import type { HttpLimits } from './slack/app.js';
import type { Health } from './ops/health.js';
import type { BotMetrics } from './ops/metrics.js';

/** What the process tells its operators: /healthz, which every half adds to, and /metrics. */
export interface Ops {
  health: Health;
  metrics: BotMetrics;
}

export interface BotOptions {
  config: Config;
  logger: Logger;
  /** Required for both halves: plain rules, or a source that reloads its file. */
  roleMap?: RoleMap | RoleMapSource;
  web: boolean;
  worker: boolean;
  /** Health checks and metrics for the process; bot.ts makes them, one set for both halves. */
  ops?: Ops;
  /** Status pacing (tests make it faster): the poller's rounds and lease, how long a job waits for its action, how often a parked job looks on its own. */
  watcher?: { pollMs?: number; leaseMs?: number; deadlineMs?: number; parkCheckMs?: number };
  /** The activity feed's idle cadence in ms, instead of ACTIVITY_POLL_S (tests make it faster). */
  activity?: { everyMs?: number };
  /** How long the workers fold ends into one Home tab publish per person, in ms (tests make it shorter). */
  home?: { refreshWindowMs?: number };
  pendingEventDelayMs?: number;
  /** How often a request waiting for its Droplet checks the line again. */
  lineCheckMs?: number;
  /** Procedure pacing: how often a step looks at its Droplet's state, and the clock its timeouts read (tests move it). */
  procedure?: { pollMs?: number; now?: () => number };
  /** How long SIGTERM waits for running jobs (and the receiver for work started after acks). */
  shutdownGraceMs?: number;
  /** How often a worker looks for requests whose receiver stopped before queueing them. */
  intakeSweepMs?: number;
  /** Fleet coordinator pacing (tests make it faster). */
  fleet?: { stepMs?: number; idleMs?: number; progressEveryMs?: number; reconcileEveryMs?: number; sweepAfterMs?: number };
  /** The receiver's HTTP limits (body size, header and request timeouts); defaults in slack/app.ts. */
  httpLimits?: Partial<HttpLimits>;
}

export interface RunningBot {
  /** The HTTP port: the receiver's, or a worker process's /healthz and /metrics. */
  port?: number;
  ops: Ops;
  stop(): Promise<void>;
}
