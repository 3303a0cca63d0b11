// startSlackSimulator: a Workspace behind a real node:http server on 127.0.0.1, for the bot's
// WebClient (`slackApiUrl: sim.url + '/api/'`), with call recording, scripted failures and
// response URLs. One simulator per test keeps tests independent; close() it afterwards.
import { createServer } from 'node:http';
import { listenOnLoopback } from '../net.js';
import { setTimeout as delay } from 'node:timers/promises';
import { FaultInjector, type FailureReply } from './fault-injection.js';
import { SocketModeServer } from './socket-mode.js';
import { RESPONSE_URL_PATH, createSlackRequestHandler, type ApiCall } from './web-api-server.js';
import { Workspace, type WorkspaceOptions } from './workspace.js';
import type { ResponseUrlContext } from './workspace-types.js';

export interface SlackSimulatorOptions {
  /** When set, every Web API call must carry this token, else `invalid_auth`. */
  botToken?: string;
  /** When set, apps.connections.open (Socket Mode) must present exactly this app-level token; else any `xapp-` token. */
  appToken?: string;
  /** Port on 127.0.0.1; default 0 picks a free one. */
  port?: number;
  /** A workspace to serve (e.g. one a playground already shows), or options for a new one. */
  workspace?: Workspace | WorkspaceOptions;
}

export interface SlackSimulator {
  /** `http://127.0.0.1:PORT`; the Web API is at `${url}/api/`. */
  url: string;
  workspace: Workspace;
  /**
   * Socket Mode: apps.connections.open hands out URLs on this server, where an app's WebSocket gets
   * `hello`; sendSlashCommand / sendInteraction deliver envelopes and resolve with the app's ack.
   */
  socketMode: SocketModeServer;
  /** Every Web API call received, oldest first. */
  calls: ApiCall[];
  /**
   * Makes the next call(s) of `method` ('*' for any) fail: `{status: 429, retryAfter: 1}` gives
   * HTTP 429 + Retry-After + `ratelimited`; `{error: 'not_in_channel'}` gives 200 `{ok:false}`.
   */
  failNext(method: string, reply: FailureReply): void;
  /** Every later call of `method` ('*' for any) answers `ms` late, as a slow Slack does; 0 ends it. */
  slowDown(method: string, ms: number): void;
  /**
   * A response_url on this server. `context` says where its posts land (channel, user, and the
   * source message for replace_original / delete_original); the same id returns the same URL.
   */
  responseUrl(id?: string, context?: ResponseUrlContext): string;
  /** Resolves with the predicate's first value other than undefined/false/null; rejects after timeoutMs (default 2000). */
  waitFor<T>(predicate: () => T | undefined | false | null, timeoutMs?: number): Promise<T>;
  /** Calls to `method`, oldest first. */
  callsTo(method: string): ApiCall[];
  /** Listens for each call as it is answered (for a playground's live log); returns an unsubscribe. */
  onCall(listener: (call: ApiCall) => void): () => void;
  close(): Promise<void>;
}

export async function startSlackSimulator(opts: SlackSimulatorOptions = {}): Promise<SlackSimulator> {
  const workspace = opts.workspace instanceof Workspace ? opts.workspace : new Workspace(opts.workspace);
  const faults = new FaultInjector();
  const calls: ApiCall[] = [];
  const listeners = new Set<(call: ApiCall) => void>();
  const socketMode = new SocketModeServer({
    appId: workspace.bot.app_id,
    ...(opts.appToken !== undefined ? { appToken: opts.appToken } : {}),
  });

  const handler = createSlackRequestHandler({
    workspace,
    socketMode,
    ...(opts.botToken !== undefined ? { botToken: opts.botToken } : {}),
    faults,
    onCall(call) {
      calls.push(call);
      for (const listener of listeners) listener(call);
    },
  });
  const server = createServer((req, res) => void handler(req, res));
  // WebSocket upgrades: Socket Mode's URL, nothing else.
  server.on('upgrade', (req, socket, head) => {
    if (!socketMode.handleUpgrade(req, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  const url = await listenOnLoopback(server, opts.port);

  return {
    url,
    workspace,
    socketMode,
    calls,
    failNext: (method, reply) => faults.failNext(method, reply),
    slowDown: (method, ms) => faults.slowDown(method, ms),
    responseUrl(id, context) {
      const record = workspace.responseUrls.register(id, context);
      return `${url}${RESPONSE_URL_PATH}${encodeURIComponent(record.id)}`;
    },
    async waitFor<T>(predicate: () => T | undefined | false | null, timeoutMs = 2000): Promise<T> {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const value = predicate();
        if (value !== undefined && value !== false && value !== null) return value;
        if (performance.now() > deadline) throw new Error(`waitFor: condition not met within ${timeoutMs} ms`);
        await delay(10);
      }
    },
    callsTo: (method) => calls.filter((c) => c.method === method),
    onCall(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      // Upgraded sockets are no longer the HTTP server's to close: end them first.
      await socketMode.close();
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // fetch keeps connections alive; without this, close() waits for them to time out.
        server.closeAllConnections();
      });
    },
  };
}
