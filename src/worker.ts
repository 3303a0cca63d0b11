// The worker half, wired from its adapters: the action worker (line, fence, POST once, follow,
// report), the Slack outbox, approval expiry and the intake sweep. It shares nothing with the
// web half but Redis, so any number of these can run in any number of processes.
import { PendingApprovals } from './store/pending-approvals.js';
import { randomBytes } from 'node:crypto';
import { webApi } from '@slack/bolt';
import type { Redis } from 'ioredis';
import { StatusPoller } from './digitalocean/status-poller.js';
import { DigitalOceanClient } from './digitalocean/client.js';
import { budgetId, tokenBudget } from './digitalocean/rate-budget.js';
import { boltLogger, type Logger } from './log.js';
import { ActionProducer } from './queue/producer.js';
import { SlackOutbox, createOutboxWorker } from './queue/slack-outbox.js';
import { createActionWorker, type ActionWorker } from './queue/worker.js';
import { Job, Queue } from 'bullmq';
import { ACTION_QUEUE } from './queue/action-job.js';
import type { ActionJob } from './domain/job.js';
import { JobFence } from './queue/job-fence.js';
import { bannerFetch } from './slack/banner.js';
import { SlackOutboxDelivery } from './slack/outbox-delivery.js';
import { OutboxReporter } from './slack/reporter.js';
import { AuditLog, auditSink } from './store/audit-log.js';
import { chatOps } from './slack/chat-ops.js';
import { slackRenderer } from './slack/renderers/index.js';
import { expireApproval } from './requests/approval-decisions.js';
import { ApprovalStore } from './store/approvals.js';
import { createApprovalExpiryWorker } from './queue/approval-expiry.js';
import { DropletLine } from './store/droplet-line.js';
import { OwnActions } from './store/own-actions.js';
import { ActivityFeed } from './worker/activity-feed.js';
import { activityFailed, activityStarted } from './slack/renderers/activity-messages.js';
import { Intake } from './store/intake.js';
import { sweepIntake, type SweepDeps } from './requests/sweep-intake.js';
import { connect } from './store/redis.js';
import { FleetStore } from './store/fleets.js';
import { FleetScheduler, createFleetWorker } from './queue/fleet-queue.js';
import { OutboxFleetReporter } from './slack/fleet-reporter.js';
import { fleetAwareReporter } from './requests/fleet-tracker.js';
import { runFleetStep } from './worker/run-fleet.js';
import { recheckRights, refusalsOn } from './worker/recheck-rights.js';
import { isLive } from './domain/fleet/run.js';
import { expireFleetApproval } from './requests/fleet-approval.js';
import { roleMapSource } from './roles/role-map-source.js';
import { noticeInvalidRoleMap } from './slack/role-map-notice.js';
import { slackAccess } from './slack/user-groups.js';

import { createHomeRefreshWorker, homeUpkeep } from './queue/home-refresh.js';
import { DROPLET_LIST_TTL_MS } from './slack/home-model.js';
import { publishHome } from './slack/home-publish.js';
import { DigitalOceanCatalog } from './digitalocean/catalog.js';
import { cachedList } from './slack/cached-list.js';

import type { BotOptions, Ops } from './bot-options.js';

/** Starts the worker half; `stops` gets what closes it. */
export async function startWorker(opts: BotOptions & { ops: Ops }, stops: Array<() => Promise<void>>): Promise<void> {
  const { config, logger } = opts;
  const metrics = opts.ops.metrics;
  const onAnswer = metrics.digitalOceanAnswer.bind(metrics);
  const fetch = config.messageBanner ? bannerFetch(config.messageBanner) : undefined;
  const redis = connect(config.redis.url, 'worker');
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error (worker)'));
  const budget = tokenBudget(redis, config.redis.prefix, config.digitalocean, (waitMs) => logger.debug({ waitMs }, 'waiting for the DigitalOcean rate budget'));
  // Each worker process names itself to DigitalOcean, so a request in DigitalOcean's logs (or the
  // simulator's) says which process made it.
  const instance = randomBytes(4).toString('hex');
  const digitalocean = new DigitalOceanClient({ apiUrl: config.digitalocean.apiUrl, token: config.digitalocean.token, budget, userAgent: `droplet-bot worker/${instance}`, onAnswer });
  const outboxQueue = SlackOutbox.createQueue(redis, config.redis.prefix);
  const outbox = new SlackOutbox(redis, config.redis.prefix, outboxQueue);
  const own = new OwnActions(redis, config.redis.prefix);
  const tokenId = budgetId(config.digitalocean.token);
  // Actions on the account the bot did not start: read from the poller's listings.
  const activityChannel = config.activity.channel;
  const feed = activityChannel
    ? new ActivityFeed({
        redis,
        prefix: config.redis.prefix,
        tokenId,
        own,
        everyMs: opts.activity?.everyMs ?? config.activity.everyMs,
        render: { started: activityStarted, failed: activityFailed },
        publish: (stream, lines) => outbox.publish({ requestId: stream, channel: activityChannel, rootTs: '' }, lines.map((l) => ({ kind: 'post', channel: activityChannel, key: l.key, text: l.text }))),
      })
    : undefined;
  // One poller per token for the whole cluster: the process holding its lease lists for everyone.
  // Status reads draw from the same budget but only from its first four fifths: POSTs keep their place.
  const statusClient = new DigitalOceanClient({ apiUrl: config.digitalocean.apiUrl, token: config.digitalocean.token, budget: budget.statusReads(), userAgent: `droplet-bot worker/${instance}`, onAnswer });
  const watcher = new StatusPoller({
    redis,
    prefix: config.redis.prefix,
    tokenId,
    client: statusClient,
    ...(feed ? { feed } : {}),
    pollMs: opts.watcher?.pollMs ?? config.statusPollMs,
    ...(opts.watcher?.leaseMs !== undefined ? { leaseMs: opts.watcher.leaseMs } : {}),
    onError: (err) => logger.warn({ err: err.message }, 'status poller: Redis or DigitalOcean trouble; trying again'),
    onRound: (r) => r.calls > 0 && metrics.pollerRoundTook(r.ms / 1000),
    // Jobs parked while their actions run start again the moment the poller sees the end.
    wake: async (jobIds) => {
      for (const id of jobIds) {
        // Due in a moment rather than at once, so the run that parked it has surely let go.
        await Job.fromId<ActionJob>(parkedQueue, id)
          .then(async (job) => (job && (await job.isDelayed()) ? job.changeDelay(250) : undefined))
          .catch((err) => logger.debug({ jobId: id, err: (err as Error).message }, 'a parked job was not there to wake (it came back on its own)'));
      }
    },
  });
  const parkedQueue = new Queue<ActionJob>(ACTION_QUEUE, { connection: redis, prefix: config.redis.prefix });
  await watcher.start();
  logger.info({ instance, statusPoller: watcher.instance }, 'worker started');
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
    onDelivered: (lagMs) => metrics.outboxDelivered(lagMs / 1000),
  });
  const workerLine = new DropletLine(redis, config.redis.prefix);
  const { recent, viewers, refresh: homeRefresh, trail: homeAudit } = homeUpkeep(redis, config.redis.prefix, opts.home?.refreshWindowMs, logger);
  const workerAudit = auditSink(new AuditLog(redis, config.redis.prefix), logger, (action, outcome) => metrics.request(action, outcome), homeAudit);
  const reporter = new OutboxReporter(outbox, config.notifyChannel);
  // The sweep's and the expiry's own Slack calls. Bounded retries: a call that cannot reach Slack
  // must not hold up a shutdown for long.
  const slackClient = new webApi.WebClient(config.slack.botToken, {
    slackApiUrl: config.slack.apiUrl,
    fetch,
    timeout: 5000,
    retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 2000 },
    logger: boltLogger(logger),
  });
  const chat = chatOps(slackClient);
  // The same rules as the receivers: each action is checked again just before its POST.
  if (!opts.roleMap) throw new Error('the worker side needs a role map');
  const roles = roleMapSource(opts.roleMap);
  const access = slackAccess(() => roles.current, slackClient, logger);
  noticeInvalidRoleMap(roles, { redis, prefix: config.redis.prefix, chat, channel: config.notifyChannel, logger });

  const recheck = recheckRights({ access, roles: () => roles.current, digitalocean });
  const fleets = new FleetStore(redis, config.redis.prefix);
  const fleetScheduler = new FleetScheduler(redis, config.redis.prefix);
  // One Droplet's part of a fleet reports to the fleet; everything else to its own thread.
  const actionReporter = fleetAwareReporter(reporter, { fleets, wake: (id) => fleetScheduler.wake(id) });
  const worker = createActionWorker({
    connection: redis,
    prefix: config.redis.prefix,
    concurrency: config.workerConcurrency,
    lockMs: config.workerLockMs,
    deps: {
      digitalocean,
      fence: new JobFence(redis),
      recheck,
      // A fleet's Droplet is not sent once its fleet is being aborted, checked in the fence's own step.
      gateOf: (job) => (job.fleet ? { key: fleets.key(job.fleet.id), field: 'status', closed: ['aborting', 'aborted'] } : undefined),
      watcher,
      reporter: actionReporter,
      audit: workerAudit,
      line: workerLine,
      own,
      logger: logger.child({ component: 'worker' }),
      pendingEventDelayMs: opts.pendingEventDelayMs,
      lineCheckMs: opts.lineCheckMs,
      procedurePollMs: opts.procedure?.pollMs,
      now: opts.procedure?.now,
      ...(opts.watcher?.parkCheckMs !== undefined ? { parkCheckMs: opts.watcher.parkCheckMs } : {}),
      ...(opts.watcher?.deadlineMs !== undefined ? { followDeadlineMs: opts.watcher.deadlineMs } : {}),
      metrics,
    },
  });
  // Requests whose receiver died (or froze) before queueing them are finished or withdrawn from here.
  const sweeper = new ActionProducer(redis, config.redis.prefix, workerLine, (job) => metrics.request(job.action, 'queued'));
  const fleetLogger = logger.child({ component: 'fleets' });
  const fleetReporter = new OutboxFleetReporter(outbox, chat, config.notifyChannel);
  const fleetWorker = createFleetWorker({
    connection: redis,
    prefix: config.redis.prefix,
    lockMs: config.workerLockMs,
    logger: fleetLogger,
    step: (job, token) =>
      runFleetStep(
        job,
        {
          fleets,
          digitalocean,
          fence: new JobFence(redis),
          enqueue: (j) => sweeper.enqueue(j),
          wasQueued: (id) => sweeper.wasQueued(id),
          childState: (id) => sweeper.stateOf(id),
          refusals: refusalsOn({ access, roles: () => roles.current }),
          line: workerLine,
          own,
          reporter: fleetReporter,
          audit: workerAudit,
          logger: fleetLogger,
          ...opts.fleet,
        },
        token,
      ),
  });
  const sweepIntakeStore = new Intake(redis, config.redis.prefix);
  // The sweeper beats too, so no other worker takes a record back while this one works on it.
  const sweeperBeat = sweepIntakeStore.heartbeat((err) => logger.warn({ err: err.message }, 'could not renew the sweeper heartbeat'));
  await sweeperBeat.start();
  const sweepDeps: SweepDeps = {
    intake: sweepIntakeStore,
    holder: sweeperBeat.id,
    render: slackRenderer,
    chat,
    reporter,
    enqueue: (job) => sweeper.enqueue(job),
    wasQueued: (requestId) => sweeper.wasQueued(requestId),
    audit: workerAudit,
    logger: logger.child({ component: 'intake-sweep' }),
  };
  let sweeping: Promise<unknown> | undefined;
  const sweep = setInterval(() => {
    // One sweep at a time: a slow Slack must not let the next tick act on the same records.
    if (sweeping) return;
    sweeping = Promise.all([sweepIntake(sweepDeps), startLiveFleets(fleets, fleetScheduler, opts.fleet?.sweepAfterMs ?? 10_000)]).then(([r]) => r).then(
      (r) => (r.queued || r.withdrawn || r.unreadable) && logger.warn(r, 'finished requests their receivers left in the intake'),
      (err) => logger.warn({ err: (err as Error).message }, 'intake sweep failed; will try again'),
    ).finally(() => {
      sweeping = undefined;
    });
  }, opts.intakeSweepMs ?? 5000);
  sweep.unref();
  // Approval requests expire here, in the workers, whether or not anyone clicks.
  const expiryDeps = {
    render: slackRenderer,
    store: new ApprovalStore(redis, config.redis.prefix),
    chat,
    audit: workerAudit,
    logger: logger.child({ component: 'approval-expiry' }),
  };
  const expiryWorker = createApprovalExpiryWorker({
    connection: redis,
    prefix: config.redis.prefix,
    logger: logger.child({ component: 'approval-expiry' }),
    expire: async ({ approvalId, fleet }) => {
      if (fleet) await expireFleetApproval({ fleets, chat: fleetReporter, coordinator: fleetScheduler, audit: workerAudit, logger: expiryDeps.logger }, approvalId);
      else await expireApproval(expiryDeps, approvalId);
    },
  });
  // Each person's Home tab, published again when something of theirs ends. Through the outbox's
  // Slack client: a rate-limited publish fails at once (BullMQ tries again later) rather than
  // pausing the calls the actions need; and the Droplet list is read from the status reads' share
  // of the budget.
  const homeDroplets = cachedList(() => new DigitalOceanCatalog(statusClient).droplets(), DROPLET_LIST_TTL_MS);
  const homeWorker = createHomeRefreshWorker({
    connection: redis,
    prefix: config.redis.prefix,
    refresh: homeRefresh,
    logger: logger.child({ component: 'home' }),
    publish: async (user) => {
      const place = await viewers.placeOf(user);
      if (!place) return;
      const state = { page: place.page, ...(place.filter ? { filter: place.filter } : {}) };
      await publishHome(outboxClient, { access, droplets: homeDroplets, approvals: expiryDeps.store, fleets, recent }, viewers, user, state, false);
    },
  });
  const workers = [worker.worker, fleetWorker, outboxWorker, expiryWorker, homeWorker];
  opts.ops.health.add(() => {
    const redisUp = redis.status === 'ready';
    const running = workers.every((w) => w.isRunning());
    return { ok: redisUp && running, details: { redis: redisUp ? 'up' : redis.status, workers: running ? 'running' : 'stopped' } };
  });
  metrics.readCluster({
    jobs: async () => {
      const c = await parkedQueue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return { waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0 };
    },
    outboxDepth: async () => {
      const c = await outboxQueue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(c).reduce((a, b) => a + b, 0);
    },
    approvalsPending: () => new PendingApprovals(redis, config.redis.prefix).count(),
  });
  stops.push(async () => {
    clearInterval(sweep);
    await sweeping;
    await sweeperBeat.stop(true);
    await sweeper.close();
    await Promise.all([expiryWorker.close(), fleetWorker.close(), homeWorker.close(), closeWorker(worker, opts.shutdownGraceMs ?? config.shutdownGraceMs, logger)]);
    await fleetScheduler.close();
    await homeRefresh.close();
    // Status messages still waiting are delivered by whichever worker runs next.
    await watcher.stop();
    await parkedQueue.close();
    await outboxWorker.close();
    await outboxQueue.close();
    await digitalocean.close();
    await statusClient.close();
    redis.disconnect();
  });
}

/**
 * Every live fleet (accepted, running, paused, aborting) has a coordinator: one whose receiver
 * stopped after Run or Approve, or whose coordinator ended just as Retry failed was clicked, gets
 * one here. A fleet whose record is gone, or that is no longer live, leaves the set.
 */
async function startLiveFleets(fleets: FleetStore, scheduler: FleetScheduler, afterMs: number): Promise<void> {
  for (const id of await fleets.liveBefore(afterMs)) {
    const status = await fleets.statusOf(id);
    if (isLive(status)) await scheduler.ensure(id);
    else await fleets.forgetLive(id);
  }
}

/**
 * worker.close() waits for running jobs with no limit of its own. Bound it. Jobs waiting for their
 * actions are parked and hold nothing; a job still running after the grace period (inside a POST,
 * say) is left to BullMQ, whose lock runs out so another worker takes it over, and that worker
 * checks for the action before any new POST.
 */
async function closeWorker(worker: ActionWorker, graceMs: number, logger: Logger): Promise<void> {
  const closing = worker.close().then(() => 'closed' as const);
  const wait = (ms: number) => new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
  if ((await Promise.race([closing, wait(graceMs)])) === 'closed') return;
  logger.warn({ graceMs }, 'jobs still running at shutdown; giving them a few seconds more');
  if ((await Promise.race([closing, wait(5000)])) === 'timeout') {
    logger.warn('exiting with a job still inside a DigitalOcean call; another worker takes it over when its lock runs out');
  }
}

