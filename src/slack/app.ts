// The Bolt app: HTTP receiver (POST /slack/events, GET /healthz) or Socket Mode, with our
// listeners registered and Bolt's logs going through our redacting logger.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { App, HTTPReceiver, SocketModeReceiver, type Receiver } from '@slack/bolt';
import { boltLogger, type Logger } from '../log.js';
import type { Ops } from '../bot-options.js';
import { answerOps } from '../ops/ops-server.js';
import { workspaceGuard, type Installation } from './workspace-guard.js';

export interface SlackAppOptions {
  botToken: string;
  signingSecret?: string;
  appToken?: string;
  apiUrl: string;
  port: number;
  logger: Logger;
  /** Used for every Web API call and response_url post (e.g. to add the message banner). */
  fetch?: typeof globalThis.fetch;
  /** GET /healthz (200 when everything the process needs is up, 503 with the reason otherwise) and GET /metrics. */
  ops: Ops;
  /** HTTP mode: limits that keep a slow or huge request from tying the receiver up. */
  limits?: Partial<HttpLimits>;
}

export interface HttpLimits {
  /** Largest request body accepted; Slack's biggest payloads (a submitted form) are far smaller. */
  bodyBytes: number;
  /** Time to receive a request's headers. */
  headersTimeoutMs: number;
  /** Time to receive a whole request. */
  requestTimeoutMs: number;
  /** How often those timeouts are checked. */
  checkIntervalMs: number;
}

export const HTTP_LIMITS: HttpLimits = { bodyBytes: 1024 * 1024, headersTimeoutMs: 10_000, requestTimeoutMs: 15_000, checkIntervalMs: 1000 };

export interface SlackApp {
  app: App;
  start(): Promise<{ port: number }>;
  stop(): Promise<void>;
}

export function createSlackApp(opts: SlackAppOptions): SlackApp {
  const logger = boltLogger(opts.logger);
  const limits = { ...HTTP_LIMITS, ...opts.limits };
  // GET /healthz and GET /metrics, answered as a worker process answers them.
  const opsRoute = (path: string) => ({ path, method: ['GET'], handler: (req: IncomingMessage, res: ServerResponse) => void answerOps(req, res, opts.ops.health, opts.ops.metrics) });
  const customRoutes = [opsRoute('/healthz'), opsRoute('/metrics')];
  const receiver: Receiver = opts.appToken
    ? new SocketModeReceiver({
        appToken: opts.appToken,
        logger,
        customRoutes,
        // apps.connections.open goes to SLACK_API_URL like every other Web API call.
        installerOptions: { port: opts.port, clientOptions: { slackApiUrl: opts.apiUrl, fetch: opts.fetch } },
      })
    : new HTTPReceiver({ signingSecret: opts.signingSecret ?? '', logger, customRoutes, endpoints: '/slack/events', bodyLimit: limits.bodyBytes });
  const app = new App({
    token: opts.botToken,
    receiver,
    logger,
    convoStore: false,
    deferInitialization: true,
    clientOptions: { slackApiUrl: opts.apiUrl, fetch: opts.fetch, retryConfig: { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 5000 } },
  });
  let installed: Installation | undefined;
  app.use(workspaceGuard(() => installed, opts.logger));
  return {
    app,
    async start() {
      await app.init();
      // Who we are installed for: requests from any other workspace or app are refused.
      const me = await app.client.auth.test();
      installed = {
        teamId: String(me.team_id ?? ''),
        ...(me.enterprise_id ? { enterpriseId: String(me.enterprise_id) } : {}),
        ...(me.app_id ? { appId: String(me.app_id) } : {}),
        enterpriseInstall: me.is_enterprise_install === true,
      };
      const server = (opts.appToken
        ? await app.start(opts.port)
        : await app.start(opts.port, {
            headersTimeout: limits.headersTimeoutMs,
            requestTimeout: limits.requestTimeoutMs,
            connectionsCheckingInterval: limits.checkIntervalMs,
          })) as unknown;
      const address = (server as { address?: () => unknown })?.address?.();
      return { port: typeof address === 'object' && address && 'port' in address ? Number(address.port) : opts.port };
    },
    async stop() {
      await app.stop();
    },
  };
}
