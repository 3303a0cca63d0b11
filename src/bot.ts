// Builds the bot's two halves from settings: the web side (Slack receiver, producer) and the
// worker side (BullMQ worker, DigitalOcean follower). They share nothing but Redis.
import { webApi } from '@slack/bolt';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import { ActionWatcher, type WatcherOptions } from './digitalocean/action-watcher.js';
import { DigitalOceanClient } from './digitalocean/client.js';
import type { RoleMap } from './domain/policy.js';
import { boltLogger, type Logger } from './log.js';
import { ActionProducer } from './queue/producer.js';
import { createActionWorker } from './queue/worker.js';
import { AccessResolver } from './roles/access.js';
import { createSlackApp, type SlackApp } from './slack/app.js';
import { registerDropletCommand } from './slack/listeners/droplet-command.js';
import { SlackReporter } from './slack/reporter.js';
import { AuditLog, auditSink } from './store/audit-log.js';
import { connect, whenReady } from './store/redis.js';
import { RequestClaims } from './store/request-claims.js';

export interface BotOptions {
  config: Config;
  logger: Logger;
  /** Required for the web side. */
  roleMap?: RoleMap;
  web: boolean;
  worker: boolean;
  watcher?: WatcherOptions;
  pendingEventDelayMs?: number;
  /** How long SIGTERM waits for running jobs before handing them back. */
  shutdownGraceMs?: number;
}

export interface RunningBot {
  /** The HTTP port of the web side, when it runs. */
  port?: number;
  stop(): Promise<void>;
}

export async function startBot(opts: BotOptions): Promise<RunningBot> {
  const { config, logger } = opts;
  const stops: Array<() => Promise<void>> = [];
  const slackClient = () =>
    new webApi.WebClient(config.slack.botToken, {
      slackApiUrl: config.slack.apiUrl,
      retryConfig: { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 5000 },
      logger: boltLogger(logger),
    });

  let worker: Worker | undefined;
  let watcher: ActionWatcher | undefined;
  if (opts.worker) {
    const redis = connect(config.redis.url, 'worker');
    const digitalocean = new DigitalOceanClient({ apiUrl: config.digitalocean.apiUrl, token: config.digitalocean.token });
    watcher = new ActionWatcher(digitalocean, opts.watcher);
    worker = createActionWorker({
      connection: redis,
      prefix: config.redis.prefix,
      concurrency: config.workerConcurrency,
      deps: {
        digitalocean,
        watcher,
        reporter: new SlackReporter(slackClient(), logger),
        audit: auditSink(new AuditLog(redis, config.redis.prefix), logger),
        logger: logger.child({ component: 'worker' }),
        pendingEventDelayMs: opts.pendingEventDelayMs,
      },
    });
    const w = worker;
    const watch = watcher;
    stops.push(async () => {
      await closeWorker(w, watch, opts.shutdownGraceMs ?? 20_000, logger);
      await digitalocean.close();
      redis.disconnect();
    });
  }

  let port: number | undefined;
  let slack: SlackApp | undefined;
  if (opts.web) {
    if (!opts.roleMap) throw new Error('the web side needs a role map');
    const redis: Redis = connect(config.redis.url, 'producer');
    redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error (web)'));
    await whenReady(redis, () => logger.info({ redis: redactUrl(config.redis.url) }, 'waiting for Redis'));
    const producer = new ActionProducer(redis, config.redis.prefix);
    const digitalocean = new DigitalOceanClient({ apiUrl: config.digitalocean.apiUrl, token: config.digitalocean.token });
    const auditLog = new AuditLog(redis, config.redis.prefix);
    slack = createSlackApp({
      botToken: config.slack.botToken,
      signingSecret: config.slack.signingSecret,
      appToken: config.slack.appToken,
      apiUrl: config.slack.apiUrl,
      port: config.port,
      logger,
      health: () => ({ ok: redis.status === 'ready', details: { redis: redis.status === 'ready' ? 'up' : redis.status } }),
    });
    const client = slack.app.client;
    const access = new AccessResolver(opts.roleMap, {
      members: async (group) => ((await client.usergroups.users.list({ usergroup: group })).users ?? []) as string[],
    });
    registerDropletCommand(slack.app, {
      access,
      audit: auditLog,
      logger: logger.child({ component: 'web' }),
      submit: {
        access,
        digitalocean,
        claims: new RequestClaims(redis, config.redis.prefix),
        enqueue: (job) => producer.enqueue(job),
        postRoot: async (channel, message) => {
          const res = await client.chat.postMessage({ channel, text: message.text, blocks: message.blocks, unfurl_links: false });
          return res.ts as string;
        },
        updateRoot: async (channel, ts, message) => {
          await client.chat.update({ channel, ts, text: message.text, blocks: message.blocks });
        },
        reporter: new SlackReporter(client, logger),
        audit: auditSink(auditLog, logger),
        logger: logger.child({ component: 'web' }),
      },
    });
    const started = await slack.start();
    port = started.port;
    const s = slack;
    stops.unshift(async () => {
      await s.stop();
      await producer.close();
      await digitalocean.close();
      redis.disconnect();
    });
  }

  return {
    port,
    async stop() {
      for (const stop of stops) await stop();
    },
  };
}

/** worker.close() waits for running jobs with no limit of its own: bound it, then hand jobs back. */
async function closeWorker(worker: Worker, watcher: ActionWatcher, graceMs: number, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  const closing = worker.close();
  const result = await Promise.race([closing.then(() => 'closed' as const), timedOut]);
  clearTimeout(timer);
  if (result === 'timeout') {
    logger.warn({ graceMs }, 'jobs still running at shutdown; handing them back to the queue');
    // Jobs whose follow is cut short rerun elsewhere from their saved action ID.
    watcher.stop();
    await worker.close(true);
  }
}

/** redis://user:password@host -> redis://host, for logs. */
function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}
