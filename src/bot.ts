// Builds the bot's two halves from settings: the web side (Slack receiver, producer) and the
// worker side (action worker, DigitalOcean follower, Slack outbox). They share nothing but Redis.
import { webApi } from '@slack/bolt';
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import { ActionWatcher, type WatcherOptions } from './digitalocean/action-watcher.js';
import { DigitalOceanClient } from './digitalocean/client.js';
import { tokenBudget } from './digitalocean/rate-budget.js';
import type { RoleMap } from './domain/policy.js';
import { boltLogger, redactUrl, type Logger } from './log.js';
import { ActionProducer } from './queue/producer.js';
import { SlackOutbox, createOutboxWorker } from './queue/slack-outbox.js';
import { createActionWorker, type ActionWorker } from './queue/worker.js';
import { JobFence } from './queue/job-fence.js';
import { AccessResolver } from './roles/access.js';
import { createSlackApp, type HttpLimits } from './slack/app.js';
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
import { Intake } from './store/intake.js';
import { Heartbeat } from './store/heartbeat.js';
import { sweepIntake, type SweepDeps } from './requests/sweep-intake.js';
import { afterAckQueue } from './slack/after-ack.js';
import { randomBytes } from 'node:crypto';
import { connect, whenReady } from './store/redis.js';

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
  /** How long SIGTERM waits for running jobs (and the receiver for work started after acks). */
  shutdownGraceMs?: number;
  /** How often a worker looks for requests whose receiver stopped before queueing them. */
  intakeSweepMs?: number;
  /** The receiver's HTTP limits (body size, header and request timeouts); defaults in slack/app.ts. */
  httpLimits?: Partial<HttpLimits>;
}

export interface RunningBot {
  /** The HTTP port of the web side, when it runs. */
  port?: number;
  stop(): Promise<void>;
}

export async function startBot(opts: BotOptions): Promise<RunningBot> {
  const stops: Array<() => Promise<void>> = [];
  // The halves share nothing but Redis, so they stop side by side: a shutdown takes one grace
  // period, not one per half.
  const stopAll = async () => {
    const results = await Promise.allSettled(stops.splice(0).map((stop) => stop()));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
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
    // Requests whose receiver died (or froze) before queueing them are finished or withdrawn from here.
    const sweeper = new ActionProducer(redis, config.redis.prefix, workerLine);
    const sweepSlack = new webApi.WebClient(config.slack.botToken, {
      slackApiUrl: config.slack.apiUrl,
      fetch,
      timeout: 5000,
      retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 2000 },
      logger: boltLogger(logger),
    });
    const sweepIntakeStore = new Intake(redis, config.redis.prefix);
    // The sweeper beats too, so no other worker takes a record back while this one works on it.
    const sweeperBeat = new Heartbeat(redis, (id) => sweepIntakeStore.heartbeatKey(id), 15_000, (err) => logger.warn({ err: err.message }, 'could not renew the sweeper heartbeat'));
    await sweeperBeat.start();
    const sweepDeps: SweepDeps = {
      intake: sweepIntakeStore,
      holder: sweeperBeat.id,
      chat: {
        ...chatOps(sweepSlack),
        async tell(channel, user, text) {
          try {
            await sweepSlack.chat.postEphemeral({ channel, user, text });
          } catch {
            await sweepSlack.chat.postMessage({ channel: user, text });
          }
        },
      },
      reporter: new OutboxReporter(outbox, config.notifyChannel),
      enqueue: (job) => sweeper.enqueue(job),
      wasQueued: (requestId) => sweeper.wasQueued(requestId),
      audit: workerAudit,
      logger: logger.child({ component: 'intake-sweep' }),
    };
    let sweeping: Promise<unknown> | undefined;
    const sweep = setInterval(() => {
      // One sweep at a time: a slow Slack must not let the next tick act on the same records.
      if (sweeping) return;
      sweeping = sweepIntake(sweepDeps).then(
        (r) => (r.queued || r.withdrawn || r.unreadable) && logger.warn(r, 'finished requests their receivers left in the intake'),
        (err) => logger.warn({ err: (err as Error).message }, 'intake sweep failed; will try again'),
      ).finally(() => {
        sweeping = undefined;
      });
    }, opts.intakeSweepMs ?? 5000);
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
      await sweeping;
      await sweeperBeat.stop(true);
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
      ...(opts.httpLimits ? { limits: opts.httpLimits } : {}),
    });
    const client = slack.app.client;
    const access = new AccessResolver(
      opts.roleMap,
      { members: async (group) => ((await client.usergroups.users.list({ usergroup: group })).users ?? []) as string[] },
      60_000,
      (group, err) => logger.warn({ group, err: err.message }, 'could not read a user group from Slack; its members get only their direct rights for now'),
    );
    const intake = new Intake(redis, config.redis.prefix);
    // The workers' sweep takes over this receiver's unfinished requests once this stops beating.
    const heartbeat = new Heartbeat(redis, (id) => intake.heartbeatKey(id), 15_000, (err) => logger.warn({ err: err.message }, 'could not renew the receiver heartbeat'));
    await heartbeat.start();
    const afterAck = afterAckQueue();
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
      afterAck,
      decide: {
        ...approvalDeps,
        access,
        digitalocean,
        intake,
        holder: heartbeat.id,
        enqueue: (job) => producer.enqueue(job),
        reporter,
      },
    });
    registerDropletCommand(slack.app, {
      intake,
      afterAck,
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
        enqueue: (job) => producer.enqueue(job),
        intake,
        holder: heartbeat.id,
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
      // Work started after acks finishes (bounded) before Redis closes; whatever is left over
      // stays in the intake, and a worker takes it over once this heartbeat has expired.
      const drained = await afterAck.drain(opts.shutdownGraceMs ?? config.shutdownGraceMs);
      if (!drained) logger.warn({ pending: afterAck.pending }, 'requests still in progress at shutdown; a worker finishes them from the intake');
      await heartbeat.stop(drained);
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
