// An in-process bot wired to a real Redis, the Slack Web API simulator and the DigitalOcean
// simulator, reached over loopback HTTP with correctly signed requests.
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { parse } from 'yaml';
import { startBot, type BotOptions, type RunningBot } from '../../src/bot.js';
import { loadConfig, type Config } from '../../src/config.js';
import { roleMapSchema, type RoleMap } from '../../src/domain/policy.js';
import type { RoleMapSource } from '../../src/roles/role-map-source.js';
import { createLogger, type Logger } from '../../src/log.js';
import { startDigitalOceanSimulator, type DigitalOceanSimulator, type SimulatorOptions } from 'droplet-bot-sandbox';
import { sendToBot, slashCommandBody, startSlackSimulator, type SlackSimulator, type SlashCommandFields } from 'droplet-bot-sandbox';
import { freePort } from 'droplet-bot-sandbox';
import { deleteKeys, redisUrl, uniquePrefix } from './redis.js';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { AuditLog } from '../../src/store/audit-log.js';
import { ACTION_QUEUE } from '../../src/queue/action-job.js';
import { type ActionJob } from '../../src/domain/job.js';
import { displayName, type ActionType } from '../../src/domain/catalogue/index.js';

export const SECRETS = {
  botToken: 'xoxb-1111-2222-testbottokenvalue',
  signingSecret: 'test-signing-secret-8f2a1c',
  doToken: 'dop_v1_0123456789abcdef0123456789abcdef',
  /** Only used with `socketMode: true`. */
  appToken: 'xapp-1-A0DROPBOT-4242-0123456789abcdef',
};

export const USERS = {
  admin: 'U0ADMIN01',
  operator: 'U0OPERATOR',
  groupie: 'U0GROUPIE',
  nobody: 'U0NOBODY1',
};
export const CHANNEL = 'C0OPS0001';

export const ROLE_MAP: RoleMap = roleMapSchema.parse({
  roles: {
    operator: ['droplet:update'],
    admin: ['droplet:update', 'droplet:create', 'droplet:admin', 'image:create'],
  },
  members: { [USERS.admin]: ['admin'], [USERS.operator]: ['operator'], S0ADMINS1: ['admin'] },
});

/** The settings a bot needs against the simulators and a Redis, as environment variables. */
export function botEnv(where: { slackUrl: string; digitaloceanUrl: string; redisUrl: string; prefix?: string; roleMap?: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    // Every process serves /healthz and /metrics: a free port unless the test names one.
    PORT: '0',
    SLACK_BOT_TOKEN: SECRETS.botToken,
    SLACK_SIGNING_SECRET: SECRETS.signingSecret,
    SLACK_API_URL: `${where.slackUrl}/api/`,
    DIGITALOCEAN_TOKEN: SECRETS.doToken,
    DIGITALOCEAN_API_URL: where.digitaloceanUrl,
    REDIS_URL: where.redisUrl,
    ...(where.prefix ? { REDIS_PREFIX: where.prefix } : {}),
    ...(where.roleMap ? { ROLE_MAP: where.roleMap } : {}),
    ...extra,
  };
}

/** An action job as a receiver would queue it; `overrides` for what a test cares about. */
export function sampleJob(overrides: Partial<ActionJob> = {}): ActionJob {
  return {
    requestId: `job-${Math.random().toString(36).slice(2)}`,
    action: 'reboot',
    body: { type: 'reboot' },
    droplet: { id: 777, name: 'web-1' },
    requester: USERS.admin,
    channel: CHANNEL,
    rootTs: '1700000000.000100',
    requestedAt: Date.now(),
    ...overrides,
  };
}

export interface Harness {
  slack: SlackSimulator;
  digitalocean: DigitalOceanSimulator;
  bot: RunningBot;
  config: Config;
  eventsUrl: string;
  logs: string[];
  prefix: string;
  /** Sends `/droplet <text>` as `user`, signed; returns the HTTP answer. */
  command(text: string, user?: string, extra?: { triggerId?: string; headers?: Record<string, string>; channel?: string }): Promise<{ status: number; text: string; json?: unknown; ms: number; responseUrl: string }>;
  /** Ephemeral replies posted to one command's response_url. */
  responses(responseUrl: string): Array<{ text?: string }>;
  /** Thread replies under a root message. */
  thread(rootTs: string): Array<{ text?: string; ts: string }>;
  /** Root messages the bot posted in CHANNEL. */
  roots(): Array<{ text?: string; ts: string; blocks?: unknown[] }>;
  /**
   * The states of every action job the bot holds for a Droplet, and whether any request is
   * still in the intake: the definite signal that nothing more will run, instead of a sleep.
   */
  pending(dropletId: number): Promise<{ jobs: string[]; intake: number }>;
  /** The newest root message for `<action> on <name>`. */
  rootFor(action: ActionType | 'stop', name: string): { text?: string; ts: string; blocks?: unknown[] } | undefined;
  /** Resolves with that root message once it says completed or errored. */
  waitForFinal(action: ActionType | 'stop', name: string, timeoutMs?: number): Promise<{ text?: string; ts: string; blocks?: unknown[] }>;
  /** The action POSTs DigitalOcean received, for one Droplet or all. */
  posts(dropletId?: number): DigitalOceanSimulator['requests'];
  stop(): Promise<void>;
}

export interface HarnessOptions {
  digitalocean?: SimulatorOptions;
  /** Plain rules, or a source that reloads its file (as main.ts gives the bot). */
  roleMap?: RoleMap | RoleMapSource;
  bot?: Partial<Pick<BotOptions, 'watcher' | 'pendingEventDelayMs' | 'web' | 'worker' | 'shutdownGraceMs' | 'intakeSweepMs' | 'httpLimits' | 'fleet' | 'procedure' | 'activity' | 'home'>>;
  env?: Record<string, string>;
  /**
   * Socket Mode instead of HTTP: the bot gets SLACK_APP_TOKEN and no signing secret, connects to
   * the Slack simulator's WebSocket, and `command()` travels as a `slash_commands` envelope whose
   * ack comes back as the result (`json` = the ack's payload). PORT is a free port picked here,
   * since the Socket Mode receiver does not report the port its /healthz server got.
   */
  socketMode?: boolean;
}

let triggerCounter = 0;

function manifestBotScopes(): string[] {
  const manifest = parse(readFileSync(new URL('../../manifest.yml', import.meta.url), 'utf8'));
  return manifest.oauth_config.scopes.bot;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const slack = await startSlackSimulator({ botToken: SECRETS.botToken, ...(opts.socketMode ? { appToken: SECRETS.appToken } : {}) });
  slack.workspace.setUsergroupMembers('S0ADMINS1', [USERS.groupie]);
  // The bot gets exactly the scopes manifest.yml asks for: a call needing more fails as in Slack.
  slack.workspace.botScopes = manifestBotScopes();
  const digitalocean = await startDigitalOceanSimulator({ token: SECRETS.doToken, timeScale: 0.01, ...opts.digitalocean });
  const prefix = uniquePrefix('it');
  const config = loadConfig({
    ...botEnv({ slackUrl: slack.url, digitaloceanUrl: digitalocean.url, redisUrl: redisUrl(), prefix }),
    PORT: '0',
    LOG_LEVEL: 'debug',
    ...(opts.socketMode ? { SLACK_APP_TOKEN: SECRETS.appToken, SLACK_SIGNING_SECRET: '', PORT: String(await freePort()) } : {}),
    ...opts.env,
  });
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const logger: Logger = createLogger({
    level: 'debug',
    destination,
    secrets: [SECRETS.botToken, SECRETS.signingSecret, SECRETS.doToken, SECRETS.appToken],
  });
  const bot = await startBot({
    config,
    logger,
    roleMap: opts.roleMap ?? ROLE_MAP,
    web: true,
    worker: true,
    watcher: { pollMs: 100, parkCheckMs: 1000 },
    pendingEventDelayMs: 100,
    shutdownGraceMs: 2000,
    intakeSweepMs: 200,
    fleet: { stepMs: 50, idleMs: 300, progressEveryMs: 100, reconcileEveryMs: 200, sweepAfterMs: 500 },
    procedure: { pollMs: 200 },
    ...opts.bot,
  });
  const eventsUrl = `http://127.0.0.1:${bot.port}/slack/events`;

  const workspace = slack.workspace;
  const rootFor = (action: ActionType | 'stop', name: string) =>
    workspace.channelMessages(CHANNEL).filter((m) => m.text?.startsWith(`${action === 'stop' ? 'stop' : displayName(action)} on ${name}:`)).at(-1);
  return {
    slack,
    digitalocean,
    bot,
    config,
    eventsUrl,
    logs,
    prefix,
    async command(text, user = USERS.admin, extra = {}) {
      const channel = extra.channel ?? CHANNEL;
      const responseUrl = slack.responseUrl(undefined, { channel_id: channel, user_id: user });
      const fields: SlashCommandFields = {
        text,
        user_id: user,
        channel_id: channel,
        response_url: responseUrl,
        trigger_id: extra.triggerId ?? `${Date.now()}.${++triggerCounter}.abcdef`,
      };
      if (opts.socketMode) {
        // HTTP headers (x-slack-retry-num, signatures) mean nothing on a socket.
        if (extra.headers) throw new Error('command(): extra.headers has no meaning in Socket Mode');
        const ack = await slack.socketMode.sendSlashCommand(fields);
        // Bolt acks a bare ack() with an empty payload, as HTTP mode answers it with an empty body.
        const payload = ack.payload && Object.keys(ack.payload).length ? ack.payload : undefined;
        return { status: 200, text: payload ? JSON.stringify(payload) : '', ...(payload ? { json: payload } : {}), ms: ack.ms, responseUrl };
      }
      const res = await sendToBot(eventsUrl, SECRETS.signingSecret, slashCommandBody(fields), extra.headers);
      return { ...res, responseUrl };
    },
    responses(responseUrl) {
      return workspace.responsesFor(responseUrl);
    },
    thread(rootTs) {
      return workspace.replies(CHANNEL, rootTs);
    },
    roots() {
      return workspace.channelMessages(CHANNEL);
    },
    rootFor,
    waitForFinal(action, name, timeoutMs = 20_000) {
      return slack.waitFor(() => {
        const root = rootFor(action, name);
        return root && /: (completed|errored)$/.test(root.text ?? '') ? root : undefined;
      }, timeoutMs);
    },
    posts(dropletId) {
      return digitalocean.requests.filter((r) => r.method === 'POST' && (dropletId === undefined ? /^\/v2\/droplets\/\d+\/actions$/.test(r.path) : r.path === `/v2/droplets/${dropletId}/actions`));
    },
    async pending(dropletId) {
      const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
      const queue = new Queue<ActionJob>(ACTION_QUEUE, { connection: redis, prefix });
      try {
        const all = await queue.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed']);
        const jobs = await Promise.all(all.filter((j) => j?.data?.droplet?.id === dropletId).map((j) => j.getState()));
        return { jobs: jobs.sort(), intake: await redis.hlen(`${prefix}:intake`) };
      } finally {
        await queue.close();
        redis.disconnect();
      }
    },
    async stop() {
      await bot.stop();
      await Promise.all([slack.close(), digitalocean.close()]);
      await deleteKeys(prefix);
    },
  };
}

export { freePort };

/** A Droplet's audit trail, oldest first, as `event:user`. */
export async function auditEvents(h: Pick<Harness, 'prefix'>, dropletId: number): Promise<string[]> {
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  try {
    return (await new AuditLog(redis, h.prefix).forDroplet(dropletId, 20)).map((e) => `${e.event}:${e.user}`).reverse();
  } finally {
    redis.disconnect();
  }
}

