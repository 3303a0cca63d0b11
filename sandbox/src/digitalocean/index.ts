// A stateful DigitalOcean API v2 simulator on loopback, for integration tests and sandbox mode.
// See startDigitalOceanSimulator() below; the pieces live in the sibling files:
//   catalog.ts / seed.ts / droplets.ts / state.ts  the data
//   validate-action.ts / actions.ts / effects.ts    the droplet action lifecycle
//   routes.ts / reply.ts                            the endpoints and response shapes
//   server.ts / rate-limit.ts / faults.ts           the HTTP transport and injected failures
import { listenOnLoopback } from '../net.js';
import { ActionEngine, type ErrorMatch } from './actions.js';
import { insertDroplet } from './droplets.js';
import { FaultQueue, type FaultMatch, type FaultReply } from './faults.js';
import { RateLimiter, type RateLimits } from './rate-limit.js';
import { createSimulatorServer, type RecordedRequest } from './server.js';
import { createState } from './state.js';
import type { Droplet, SimulatorState } from './types.js';

export { DEFAULT_DURATIONS_MS } from './actions.js';
export type { ErrorMatch } from './actions.js';
export type { FaultMatch, FaultReply } from './faults.js';
export type { RateLimits } from './rate-limit.js';
export type { RecordedRequest } from './server.js';
export { DROPLET_ACTION_TYPES, TAG_ACTION_TYPES } from './types.js';
export type {
  Action,
  ActionStatus,
  BackupPolicy,
  BackupWindow,
  DiskInfo,
  Droplet,
  DropletActionType,
  Image,
  ImageType,
  Kernel,
  NetworkV4,
  NetworkV6,
  Region,
  SimulatorState,
  Size,
} from './types.js';

export interface SimulatorOptions {
  /** When set, requests must carry `Authorization: Bearer <token>`, else 401. */
  token?: string;
  /** Default 0 (a random free port); always bound to 127.0.0.1. */
  port?: number;
  /** Multiplies the realistic action durations (default 1; tests ~0.01, sandbox ~0.1). */
  timeScale?: number;
  /** Per-action-type duration in ms, used as-is (not multiplied by timeScale). */
  durations?: Partial<Record<string, number>>;
  /** Default 250 per minute / 5000 per hour, per token, like DigitalOcean. */
  rateLimit?: RateLimits;
  /** Default true: seed droplets, snapshots and backups. The catalogue (sizes, regions, public images) is always there. */
  seed?: boolean;
}

export interface DigitalOceanSimulator {
  /** e.g. http://127.0.0.1:PORT, no trailing slash; API paths start with /v2. */
  url: string;
  /** Live state: read it, or mutate it to set up a scenario. */
  state: SimulatorState;
  /** Every request received, in order, including faulted and rejected ones. */
  requests: RecordedRequest[];
  /** Queue a one-shot fault for the next request matching `match` (see FaultReply). */
  failNext(match: FaultMatch, reply: FaultReply): void;
  /** The next action created that matches ends `errored` instead of `completed`, changing nothing. */
  errorNextAction(match: ErrorMatch): void;
  /**
   * The next action created that matches ends `completed` but changes nothing: a `shutdown` that
   * DigitalOcean reports as completed while the Droplet is still running (api-v2#79).
   */
  completeWithoutEffect(match: ErrorMatch): void;
  /** Add a droplet built from sensible defaults (nyc3, s-1vcpu-1gb, Ubuntu 24.04, active). */
  addDroplet(partial: Partial<Droplet> & { name: string }): Droplet;
  /** Stop listening, drop open connections and clear every timer. */
  close(): Promise<void>;
}

export async function startDigitalOceanSimulator(opts: SimulatorOptions = {}): Promise<DigitalOceanSimulator> {
  const state = createState({ seed: opts.seed !== false });
  const engine = new ActionEngine(state, { timeScale: opts.timeScale ?? 1, durations: opts.durations ?? {} });
  const faults = new FaultQueue();
  const limiter = new RateLimiter(opts.rateLimit ?? { perMinute: 250, perHour: 5000 });
  const requests: RecordedRequest[] = [];
  const closing = new AbortController();
  let url = '';

  const server = createSimulatorServer({
    state,
    engine,
    faults,
    limiter,
    requests,
    token: opts.token,
    baseUrl: () => url,
    closing: closing.signal,
  });
  url = await listenOnLoopback(server, opts.port);

  let closed: Promise<void> | undefined;
  return {
    url,
    state,
    requests,
    failNext: (match, reply) => faults.add(match, reply),
    errorNextAction: (match) => engine.errorNext(match),
    completeWithoutEffect: (match) => engine.noEffectNext(match),
    addDroplet: (partial) => insertDroplet(state, partial),
    close: () => {
      closed ??= new Promise<void>((resolve, reject) => {
        engine.close();
        closing.abort();
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive and deliberately delayed connections would otherwise hold close() open.
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
