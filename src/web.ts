// The web half, wired from its adapters: the Slack receiver and its listeners, the intake every
// request is recorded in before its ack, the producer that queues jobs, and approvals.
import type { Redis } from 'ioredis';
import { DigitalOceanClient } from './digitalocean/client.js';
import { tokenBudget } from './digitalocean/rate-budget.js';
import { redactUrl } from './log.js';
import { ActionProducer } from './queue/producer.js';
import { SlackOutbox } from './queue/slack-outbox.js';
import { createSlackApp } from './slack/app.js';
import { bannerFetch } from './slack/banner.js';
import { registerDropletCommand } from './slack/listeners/commands/droplet.js';
import { OutboxReporter } from './slack/reporter.js';
import { AuditLog, auditSink } from './store/audit-log.js';
import { chatOps } from './slack/chat-ops.js';
import { slackRenderer } from './slack/renderers/index.js';
import { ApprovalStore } from './store/approvals.js';
import { ApprovalExpiryScheduler } from './queue/approval-expiry.js';
import { registerApprovalActions } from './slack/listeners/buttons/approval.js';
import { DigitalOceanCatalog } from './digitalocean/catalog.js';
import { DropletLine } from './store/droplet-line.js';
import { Intake } from './store/intake.js';
import { afterAckQueue } from './slack/after-ack.js';
import { connect, whenReady } from './store/redis.js';
import { FleetStore } from './store/fleets.js';
import { FleetScheduler } from './queue/fleet-queue.js';
import { OutboxFleetReporter } from './slack/fleet-reporter.js';
import { registerFleetButtons } from './slack/listeners/buttons/fleet.js';
import { registerHome, type HomeTab } from './slack/listeners/home.js';
import { homeUpkeep } from './queue/home-refresh.js';

import type { BotOptions, Ops } from './bot-options.js';
import type { ActionJob } from './domain/job.js';
import { roleMapSource } from './roles/role-map-source.js';
import { noticeInvalidRoleMap } from './slack/role-map-notice.js';
import { slackAccess } from './slack/user-groups.js';

/** Starts the web half and returns its HTTP port; `stops` gets what closes it. */
export async function startWeb(opts: BotOptions & { ops: Ops }, stops: Array<() => Promise<void>>): Promise<number> {
  const { config, logger } = opts;
  const fetch = config.messageBanner ? bannerFetch(config.messageBanner) : undefined;
  if (!opts.roleMap) throw new Error('the web side needs a role map');
  // Read at each use: the role map reloads while the bot runs.
  const roles = roleMapSource(opts.roleMap);
  const approvals = () => roles.current.approvals;
  const redis: Redis = connect(config.redis.url, 'producer');
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error (web)'));
  await whenReady(redis, () => logger.info({ redis: redactUrl(config.redis.url) }, 'waiting for Redis'));
  const line = new DropletLine(redis, config.redis.prefix);
  const metrics = opts.ops.metrics;
  const producer = new ActionProducer(redis, config.redis.prefix, line, (job) => metrics.request(job.action, 'queued'));
  const outboxQueue = SlackOutbox.createQueue(redis, config.redis.prefix);
  const outbox = new SlackOutbox(redis, config.redis.prefix, outboxQueue);
  const digitalocean = new DigitalOceanClient({ apiUrl: config.digitalocean.apiUrl, token: config.digitalocean.token, budget: tokenBudget(redis, config.redis.prefix, config.digitalocean), onAnswer: metrics.digitalOceanAnswer.bind(metrics) });
  const auditLog = new AuditLog(redis, config.redis.prefix);
  const { recent, viewers, refresh: homeRefresh, trail: homeAudit } = homeUpkeep(redis, config.redis.prefix, opts.home?.refreshWindowMs, logger);
  const audit = auditSink(auditLog, logger, (action, outcome) => metrics.request(action, outcome), homeAudit);
  const reporter = new OutboxReporter(outbox, config.notifyChannel);
  const redisUp = () => redis.status === 'ready';
  opts.ops.health.add(() => ({ ok: redisUp(), details: { redis: redisUp() ? 'up' : redis.status } }));
  const slack = createSlackApp({
    botToken: config.slack.botToken,
    signingSecret: config.slack.signingSecret,
    appToken: config.slack.appToken,
    apiUrl: config.slack.apiUrl,
    port: config.port,
    fetch,
    logger,
    ops: opts.ops,
    ...(opts.httpLimits ? { limits: opts.httpLimits } : {}),
  });
  const client = slack.app.client;
  const access = slackAccess(() => roles.current, client, logger);
  noticeInvalidRoleMap(roles, { redis, prefix: config.redis.prefix, chat: chatOps(client), channel: config.notifyChannel, logger });

  const intake = new Intake(redis, config.redis.prefix);
  // The workers' sweep takes over this receiver's unfinished requests once this stops beating.
  const heartbeat = intake.heartbeat((err) => logger.warn({ err: err.message }, 'could not renew the receiver heartbeat'));
  await heartbeat.start();
  const afterAck = afterAckQueue();
  const approvalStore = new ApprovalStore(redis, config.redis.prefix);
  const approvalExpiry = new ApprovalExpiryScheduler(redis, config.redis.prefix, logger);
  const chat = chatOps(client);
  const approvalLogger = logger.child({ component: 'approvals' });
  // What every approval step needs; `settings` is a getter (read at each use), so this is
  // extended with Object.assign, never copied with a spread (which would freeze it).
  const approvalDeps = <T extends object>(extra: T) =>
    Object.assign(
      {
        store: approvalStore,
        chat,
        render: slackRenderer,
        audit,
        logger: approvalLogger,
        get settings() {
          return approvals();
        },
      },
      extra,
    );
  // Set once the Home tab is registered below: a decision made from it publishes it again.
  let homeTab: HomeTab | undefined;
  registerApprovalActions(slack.app, {
    logger: approvalLogger,
    afterAck,
    afterHomeClick: async (client, user, refused) => homeTab?.republish(client, user, refused ? `:no_entry: ${refused}` : undefined),
    decide: approvalDeps({
      access,
      digitalocean,
      intake,
      holder: heartbeat.id,
      enqueue: (job: ActionJob) => producer.enqueue(job),
      reporter,
    }),
  });
  const fleets = new FleetStore(redis, config.redis.prefix);
  const fleetScheduler = new FleetScheduler(redis, config.redis.prefix);
  const fleetReporter = new OutboxFleetReporter(outbox, chat, config.notifyChannel);
  registerFleetButtons(slack.app, {
    logger: logger.child({ component: 'fleets' }),
    afterAck,
    afterHomeClick: async (client, user, said) => homeTab?.republish(client, user, said),
    control: {
      fleets,
      access,
      coordinator: fleetScheduler,
      reporter: fleetReporter,
      chat: fleetReporter,
      digitalocean,
      expiry: approvalExpiry,
      audit,
      get approvals() {
        return approvals();
      },
      logger: logger.child({ component: 'fleets' }),
    },
  });
  const catalog = new DigitalOceanCatalog(digitalocean);
  const modalDeps = {
    access,
    digitalocean,
    catalog,
    approvalActions: () => approvals()?.actions ?? [],
    logger: logger.child({ component: 'modal' }),
  };
  homeTab = registerHome(slack.app, {
    access,
    catalog,
    approvals: approvalStore,
    fleets,
    recent,
    viewers,
    modal: modalDeps,
    logger: logger.child({ component: 'home' }),
  });
  registerDropletCommand(slack.app, {
    plan: {
      access,
      digitalocean,
      fleets,
      get approvals() {
        return approvals();
      },
    },
    intake,
    afterAck,
    access,
    audit: auditLog,
    logger: logger.child({ component: 'web' }),
    redisUp,
    banner: config.messageBanner,
    modal: modalDeps,
    submit: {
      access,
      digitalocean,
      enqueue: (job) => producer.enqueue(job),
      intake,
      holder: heartbeat.id,
      postRoot: (channel, message, threadTs) => chat.post(channel, message, threadTs),
      updateRoot: (channel, ts, message) => chat.update(channel, ts, message),
      reporter,
      render: slackRenderer,
      audit,
      logger: logger.child({ component: 'web' }),
      approvals: approvalDeps({ expiry: approvalExpiry }),
    },
  });
  const started = await slack.start();
  stops.unshift(async () => {
    await slack.stop();
    // Work started after acks finishes (bounded) before Redis closes; whatever is left over
    // stays in the intake, and a worker takes it over once this heartbeat has expired.
    const drained = await afterAck.drain(opts.shutdownGraceMs ?? config.shutdownGraceMs);
    if (!drained) logger.warn({ pending: afterAck.pending }, 'requests still in progress at shutdown; a worker finishes them from the intake');
    await heartbeat.stop(drained);
    await producer.close();
    await fleetScheduler.close();
    await approvalExpiry.close();
    await homeRefresh.close();
    await outboxQueue.close();
    await digitalocean.close();
    redis.disconnect();
  });
  return started.port;
}
