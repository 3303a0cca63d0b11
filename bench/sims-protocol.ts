// Messages between the benchmark and its simulator process (sims.ts).

export interface SimsConfig {
  slackToken: string;
  doToken: string;
  /** Per-type action durations in ms (unscaled). */
  durations?: Record<string, number>;
  rateLimit?: { perMinute: number; perHour: number };
  droplets: { prefix: string; count: number; tags?: string[] };
  /** Holds the answer to each Droplet action POST this long (the action starts at once), so a worker can die mid-POST. */
  slowPostsMs?: number;
}

/** One DigitalOcean request as the proxy saw it: arrival time and the status of the answer. */
export interface DoCall {
  method: string;
  path: string;
  status: number;
  at: number;
}

export interface SlackCall {
  method: string;
  at: number;
  threadTs?: string;
  text?: string;
  /** views.publish: whose Home tab. */
  user?: string;
}

export interface ActionView {
  id: number;
  dropletId: number;
  status: string;
  completedAt: string | null;
}

export type SimsRequest = { type: 'snapshot'; id: number } | { type: 'progress'; id: number } | { type: 'stop' };

export interface Progress {
  completed: number;
  roots: number;
  /** Action POSTs that reached DigitalOcean, answered or not. */
  postArrivals: number;
  doCalls: number;
  slackCalls: number;
  lastActivity: number;
  now: number;
}

export type SimsReply =
  | { type: 'ready'; slackUrl: string; doUrl: string; droplets: Array<{ id: number; name: string }> }
  | { type: 'snapshot'; id: number; doCalls: DoCall[]; slackCalls: SlackCall[]; actions: ActionView[] }
  | ({ type: 'progress'; id: number } & Progress);
