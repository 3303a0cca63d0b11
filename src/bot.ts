// Builds the bot's two halves from settings: the web side (Slack receiver, producer) and the
// worker side (action worker, DigitalOcean follower, Slack outbox). They share nothing but Redis.
import { webApi } from '@slack/bolt';
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import { ActionWatcher, type WatcherOptions } from './digitalocean/action-watcher.js';
import { DigitalOceanClient } from './digitalocean/client.js';
import { tokenBudget } from './digitalocean/rate-budget.js';
import type { RoleMap } from './domain/policy.js';
import { boltLogger, type Logger } from './log.js';
import { ActionProducer } from './queue/producer.js';
import { SlackOutbox, createOutboxWorker } from './queue/slack-outbox.js';
import { createActionWorker, type ActionWorker } from './queue/worker.js';
import { JobFence } from './queue/job-fence.js';
import { AccessResolver } from './roles/access.js';
import { createSlackApp } from './slack/app.js';
import { bannerFetch } from './slack/banner.js';
import { registerDropletCommand } from './slack/listeners/droplet-command.js';
import { SlackOutboxDelivery } from './slack/outbox-delivery.js';
import { OutboxReporter } from './slack/reporter.js';
import { AuditLog, auditSink } from './store/audit-log.js';
import { chatOps } from './approvals/chat-ops.js';
import { expireApproval } from './approvals/decisions.js';
import { ApprovalStore } from './approvals/store.js';
import { ApprovalExpiryScheduler, createApprovalExpiryWorker } from './queue/approval-expiry.js';
import { registerApprovalActions } from './slack/listeners/approval-actions.js';
import { DigitalOceanCatalog } from './digitalocean/catalog.js';
import { DropletLine } from './store/droplet-line.js';
import { Intake, sweepIntake } from './store/intake.js';
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
  /** How often a request waiting for its Droplet checks the line again. */
  lineCheckMs?: number;
  /** How long SIGTERM waits for running jobs before handing them back. */
  shutdownGraceMs?: number;
}

export interface RunningBot {
  /** The HTTP port of the web side, when it runs. */
  port?: number;
  stop(): Promise<void>;
}

export async function startBot(opts: BotOptions): Promise<RunningBot> {
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0)) await stop();
  };
  try {
    return { ...(await startParts(opts, stops)), stop: stopAll };
  } catch (err) {
    // A half-started bot must not leave connections, workers or servers behind.
    await stopAll().catch(() => {});
    throw err;
  }
}

async function startParts(opts: BotOptions, stops: Array<() => Promise<void>>): Promise<{ port?: number }> {
  const { config, logger } = opts;
  const fetch = config.messageBanner ? bannerFetch(config.messageBanner) : undefined;

  if (opts.worker) {
    const redis = connect(config.redis.url, 'worker');
    redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error (worker)'));
    const budget = tokenBudget(redis, config.redis.prefix, config.digitalocean, (waitMs) => logger.debug({ waitMs }, 'waiting for the DigitalOcean rate budget'));
    const digitalocean = new DigitalOceanClient({ apiUrl: config.digitalocean.apiUrl, token: config.digitalocean.token, budget });
    const watcher = new ActionWatcher(digitalocean, opts.watcher);
    const outboxQueue = SlackOutbox.createQueue(redis, config.redis.prefix);
    const outbox = new SlackOutbox(redis, config.redis.prefix, outboxQueue);
    // The outbox retries and waits on rate limits itself, for as long as Slack needs.
    const outboxClient = new webApi.WebClient(config.slack.botToken, {
      slackApiUrl: config.slack.apiUrl,
      fetch,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      // Bounded, so one slow call cannot outlive the thread's delivery lock.
      timeout: 5000,
      logger: boltLogger(logger),
    });
    const outboxWorker = createOutboxWorker({
      connection: redis,
      prefix: config.redis.prefix,
      delivery: new SlackOutboxDelivery(outboxClient),
      logger,
      lockMs: config.workerLockMs,
    });
    const workerLine = new DropletLine(redis, config.redis.prefix);
    const workerAudit = auditSink(new AuditLog(redis, config.redis.prefix), logger);
    const worker = createActionWorker({
      connection: redis,
      prefix: config.redis.prefix,
      concurrency: config.workerConcurrency,
      lockMs: config.workerLockMs,
      deps: {
        digitalocean,
        fence: new JobFence(redis),
        watcher,
        reporter: new OutboxReporter(outbox, config.notifyChannel),
        audit: workerAudit,
        line: workerLine,
        logger: logger.child({ component: 'worker' }),
        pendingEventDelayMs: opts.pendingEventDelayMs,
        lineCheckMs: opts.lineCheckMs,
      },
    });
    // Requests whose receiver died between announcing and queueing them are queued from here.
    const intake = new Intake(redis, config.redis.prefix);
    const sweeper = new ActionProducer(redis, config.redis.prefix, workerLine);
    const sweep = setInterval(() => {
      sweepIntake(intake, (job) => sweeper.enqueue(job)).then(
        (n) => n && logger.warn({ requests: n }, 'queued requests a receiver announced but never queued'),
        (err) => logger.warn({ err: (err as Error).message }, 'intake sweep failed; will try again'),
      );
    }, 30_000);
    sweep.unref();
    // Approval requests expire here, in the workers, whether or not anyone clicks.
    const expiryDeps = {
      store: new ApprovalStore(redis, config.redis.prefix),
      // Bounded retries: an expiry that cannot reach Slack must not hold up a shutdown for long.
      chat: chatOps(
        new webApi.WebClient(config.slack.botToken, {
          slackApiUrl: config.slack.apiUrl,
          fetch,
          timeout: 5000,
          retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 2000 },
          logger: boltLogger(logger),
        }),
      ),
      audit: workerAudit,
      logger: logger.child({ component: 'approval-expiry' }),
    };
    const expiryWorker = createApprovalExpiryWorker({
      connection: redis,
      prefix: config.redis.prefix,
      logger: logger.child({ component: 'approval-expiry' }),
      expire: async (approvalId) => {
        await expireApproval(expiryDeps, approvalId);
      },
    });
    stops.push(async () => {
      clearInterval(sweep);
      await sweeper.close();
      await Promise.all([expiryWorker.close(), closeWorker(worker, watcher, opts.shutdownGraceMs ?? config.shutdownGraceMs, logger)]);
      // Status messages still waiting are delivered by whichever worker runs next.
      await outboxWorker.close();
      await outboxQueue.close();
      await digitalocean.close();
      redis.disconnect();
    });
  }

  let port: number | undefined;
  if (opts.web) {
    if (!opts.roleMap) throw new Error('the web side needs a role map');
    const redis: Redis = connect(config.redis.url, 'producer');
    redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error (web)'));
    await whenReady(redis, () => logger.info({ redis: redactUrl(config.redis.url) }, 'waiting for Redis'));
    const line = new DropletLine(redis, config.redis.prefix);
    const producer = new ActionProducer(redis, config.redis.prefix, line);
    const outboxQueue = SlackOutbox.createQueue(redis, config.redis.prefix);
    const outbox = new SlackOutbox(redis, config.redis.prefix, outboxQueue);
    const digitalocean = new DigitalOceanClient({ apiUrl: config.digitalocean.apiUrl, token: config.digitalocean.token, budget: tokenBudget(redis, config.redis.prefix, config.digitalocean) });
    const auditLog = new AuditLog(redis, config.redis.prefix);
    const audit = auditSink(auditLog, logger);
    const reporter = new OutboxReporter(outbox, config.notifyChannel);
    const redisUp = () => redis.status === 'ready';
    const slack = createSlackApp({
      botToken: config.slack.botToken,
      signingSecret: config.slack.signingSecret,
      appToken: config.slack.appToken,
      apiUrl: config.slack.apiUrl,
      port: config.port,
      fetch,
      logger,
      health: () => ({ ok: redisUp(), details: { redis: redisUp() ? 'up' : redis.status } }),
    });
    const client = slack.app.client;
    const access = new AccessResolver(
      opts.roleMap,
      { members: async (group) => ((await client.usergroups.users.list({ usergroup: group })).users ?? []) as string[] },
      60_000,
      (group, err) => logger.warn({ group, err: err.message }, 'could not read a user group from Slack; its members get only their direct rights for now'),
    );
    const approvalStore = new ApprovalStore(redis, config.redis.prefix);
    const approvalExpiry = new ApprovalExpiryScheduler(redis, config.redis.prefix, logger);
    const approvalDeps = {
      store: approvalStore,
      chat: chatOps(client),
      audit,
      logger: logger.child({ component: 'approvals' }),
      settings: opts.roleMap.approvals,
    };
    registerApprovalActions(slack.app, {
      logger: logger.child({ component: 'approvals' }),
      decide: {
        ...approvalDeps,
        access,
        digitalocean,
        enqueue: (job) => producer.enqueue(job),
        reporter,
      },
    });
    registerDropletCommand(slack.app, {
      access,
      audit: auditLog,
      logger: logger.child({ component: 'web' }),
      redisUp,
      banner: config.messageBanner,
      modal: {
        access,
        digitalocean,
        catalog: new DigitalOceanCatalog(digitalocean),
        approvalActions: opts.roleMap.approvals?.actions ?? [],
        logger: logger.child({ component: 'modal' }),
      },
      submit: {
        access,
        digitalocean,
        claims: new RequestClaims(redis, config.redis.prefix),
        enqueue: (job) => producer.enqueue(job),
        intake: new Intake(redis, config.redis.prefix),
        postRoot: async (channel, message) => {
          const res = await client.chat.postMessage({ channel, text: message.text, blocks: message.blocks, unfurl_links: false });
          return res.ts as string;
        },
        updateRoot: async (channel, ts, message) => {
          await client.chat.update({ channel, ts, text: message.text, blocks: message.blocks });
        },
        reporter,
        audit,
        logger: logger.child({ component: 'web' }),
        approvals: { ...approvalDeps, expiry: approvalExpiry },
      },
    });
    const started = await slack.start();
    port = started.port;
    stops.unshift(async () => {
      await slack.stop();
      await producer.close();
      await approvalExpiry.close();
      await outboxQueue.close();
      await digitalocean.close();
      redis.disconnect();
    });
  }

  return { port };
}

/**
 * worker.close() waits for running jobs with no limit of its own. Bound it: after the grace
 * period, jobs that are following an action go back to the queue (they resume elsewhere from
 * their saved action ID); a job still inside a POST is left to BullMQ, whose lock runs out so
 * another worker takes it over, and that worker checks for the action before any new POST.
 */
async function closeWorker(worker: ActionWorker, watcher: ActionWatcher, graceMs: number, logger: Logger): Promise<void> {
  const closing = worker.close().then(() => 'closed' as const);
  const wait = (ms: number) => new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
  if ((await Promise.race([closing, wait(graceMs)])) === 'closed') return;
  logger.warn({ graceMs }, 'jobs still running at shutdown; handing them back to the queue');
  watcher.stop();
  if ((await Promise.race([closing, wait(5000)])) === 'timeout') {
    logger.warn('exiting with a job still inside a DigitalOcean call; another worker takes it over when its lock runs out');
  }
}

/** redis://user:password@host -> redis://host, for logs. */
function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}
