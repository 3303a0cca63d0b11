// Prometheus metrics for one process (prom-client). Every label takes its values from a fixed
// set (action types, outcomes, endpoint templates, HTTP statuses): no user ID or free text, so
// the number of series is bounded. Counters and histograms count what this process did; the
// gauges read from Redis are the cluster's, the same from whichever process is scraped.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ACTION_TYPES } from '../domain/catalogue/index.js';

export const REQUEST_OUTCOMES = ['queued', 'refused', 'approved', 'denied', 'expired', 'completed', 'errored'] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];

const KNOWN_ACTIONS = new Set<string>(ACTION_TYPES);
/** An action label from the catalogue's types; anything else is `other`. */
const actionLabel = (action: string) => (KNOWN_ACTIONS.has(action) ? action : 'other');

/** `/v2/droplets/123/actions?page=2` → `/v2/droplets/{id}/actions`: one series per endpoint. */
export function endpointTemplate(method: string, path: string): string {
  const bare = path.split('?')[0]!.replace(/\/\d+(?=\/|$)/g, '/{id}');
  return `${method} ${bare}`;
}

/** Reads that run at scrape time: cluster figures kept in Redis. */
export interface ClusterGauges {
  jobs?: () => Promise<{ waiting: number; active: number; delayed: number }>;
  outboxDepth?: () => Promise<number>;
  approvalsPending?: () => Promise<number>;
}

function quietly(count: () => void): void {
  try {
    count();
  } catch {
    // A metric that cannot be counted is lost; nothing else is.
  }
}

export class BotMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'action' | 'outcome'>;
  private readonly actionSeconds: Histogram<'action'>;
  private readonly doRequests: Counter<'endpoint' | 'status'>;
  private readonly doRateLimited: Counter;
  private readonly budgetRemaining: Gauge;
  private readonly outboxLag: Histogram;
  private readonly pollerRound: Histogram;
  private readonly gauges: ClusterGauges = {};

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'droplet_bot_' });
    const registers = [this.registry];
    this.requests = new Counter({ name: 'droplet_bot_requests_total', help: 'Requests by action and outcome, as this process saw them.', labelNames: ['action', 'outcome'], registers });
    this.actionSeconds = new Histogram({
      name: 'droplet_bot_action_duration_seconds',
      help: 'How long DigitalOcean took for each action that ended, by type.',
      labelNames: ['action'],
      buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800],
      registers,
    });
    this.doRequests = new Counter({ name: 'droplet_bot_digitalocean_requests_total', help: 'DigitalOcean API requests by endpoint and HTTP status (network: no answer).', labelNames: ['endpoint', 'status'], registers });
    this.doRateLimited = new Counter({ name: 'droplet_bot_digitalocean_rate_limited_total', help: 'DigitalOcean answers of 429 Too Many Requests.', registers });
    this.budgetRemaining = new Gauge({ name: 'droplet_bot_digitalocean_rate_budget_remaining', help: "Requests left in the token's rate limit, as DigitalOcean last said (ratelimit-remaining).", registers });
    this.outboxLag = new Histogram({
      name: 'droplet_bot_slack_outbox_delivery_lag_seconds',
      help: 'From a Slack message entering the outbox to Slack accepting it.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    });
    this.pollerRound = new Histogram({
      name: 'droplet_bot_status_poller_round_seconds',
      help: "How long each of the status poller's listing rounds took (this process, while it leads).",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers,
    });
    const gauges = this.gauges;
    new Gauge({
      name: 'droplet_bot_jobs',
      help: 'Action jobs in the queue by state (the cluster, read from Redis).',
      labelNames: ['state'],
      registers,
      async collect() {
        if (!gauges.jobs) return;
        const counts = await gauges.jobs();
        for (const state of ['waiting', 'active', 'delayed'] as const) this.set({ state }, counts[state]);
      },
    });
    const clusterGauge = (name: string, help: string, read: keyof Omit<ClusterGauges, 'jobs'>) =>
      new Gauge({
        name,
        help: `${help} (the cluster, read from Redis).`,
        registers,
        async collect() {
          const value = gauges[read];
          if (value) this.set(await value());
        },
      });
    clusterGauge('droplet_bot_slack_outbox_depth', 'Slack messages waiting in the outbox', 'outboxDepth');
    clusterGauge('droplet_bot_approvals_pending', 'Requests and fleets waiting for an approval', 'approvalsPending');
    // Every outcome starts at zero, so a rate can be taken before the first one happens.
    for (const action of ACTION_TYPES) for (const outcome of REQUEST_OUTCOMES) this.requests.inc({ action, outcome }, 0);
  }

  /** Adds readers of cluster figures (each half adds the ones it has the clients for). */
  readCluster(gauges: ClusterGauges): void {
    Object.assign(this.gauges, gauges);
  }

  // Counting never throws: it is called on paths (right after a POST's answer, right after a job
  // was added) where an exception would misreport what happened.
  request(action: string, outcome: RequestOutcome): void {
    quietly(() => this.requests.inc({ action: actionLabel(action), outcome }));
  }

  actionEnded(action: string, seconds: number): void {
    quietly(() => this.actionSeconds.observe({ action: actionLabel(action) }, seconds));
  }

  digitalOceanAnswer(method: string, path: string, status: number | 'network', remaining?: number): void {
    quietly(() => {
      this.doRequests.inc({ endpoint: endpointTemplate(method, path), status: String(status) });
      if (status === 429) this.doRateLimited.inc();
      if (remaining !== undefined && Number.isFinite(remaining)) this.budgetRemaining.set(remaining);
    });
  }

  outboxDelivered(lagSeconds: number): void {
    quietly(() => this.outboxLag.observe(Math.max(0, lagSeconds)));
  }

  pollerRoundTook(seconds: number): void {
    quietly(() => this.pollerRound.observe(seconds));
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
