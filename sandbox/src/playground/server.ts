// The playground's one HTTP server on 127.0.0.1. It is Slack twice over: the page a person uses
// (/, /assets/*, /play/*: state, live events, and what they do), and the Web API the bot calls
// (/api/*, /response-url/*: the Slack simulator's handler, so SLACK_API_URL points here).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenOnLoopback } from '../net.js';
import type { DigitalOceanSimulator } from '../digitalocean/index.js';
import { SlackApiError } from '../slack/errors.js';
import { FaultInjector } from '../slack/fault-injection.js';
import { createSlackRequestHandler, type ApiCall } from '../slack/web-api-server.js';
import type { Workspace } from '../slack/workspace.js';
import { Interactions, requestSchemas, type Outcome } from './interactions.js';
import type { PlaygroundApp } from './manifest.js';
import type { PlaygroundPerson } from './people.js';
import { publicFile } from './static-files.js';

export interface PlaygroundOptions {
  workspace: Workspace;
  /** The token the bot must present on Web API calls. */
  botToken: string;
  signingSecret: string;
  people: PlaygroundPerson[];
  /** The channel the page opens on. */
  channel: string;
  /** Shown in the page header. */
  banner: string;
  digitalocean?: Pick<DigitalOceanSimulator, 'state'>;
  /** What the app's manifest declares (shortcuts, Home tab); default: neither. */
  app?: PlaygroundApp;
  /** Default 0: any free port. */
  port?: number;
}

export interface Playground {
  /** `http://127.0.0.1:PORT`: the page, and `${url}/api/` for the bot's SLACK_API_URL. */
  url: string;
  server: Server;
  /** Where slash commands and interactions go, once the bot listens. */
  setEventsUrl(url: string): void;
  close(): Promise<void>;
}

const MAX_BODY = 256 * 1024;
const LOOPBACK_HOSTS = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/;

export async function startPlayground(opts: PlaygroundOptions): Promise<Playground> {
  const ws = opts.workspace;
  const app: PlaygroundApp = opts.app ?? { shortcuts: [], homeTab: false };
  let url = '';
  let eventsUrl: string | undefined;
  const streams = new Set<ServerResponse>();
  const broadcast = (event: string, data: unknown) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of streams) res.write(frame);
  };
  const onChange = (change: unknown) => broadcast('change', change);
  ws.on('change', onChange);

  const slackApi = createSlackRequestHandler({
    workspace: ws,
    botToken: opts.botToken,
    faults: new FaultInjector(),
    // The page shows each call the bot makes: a live view of what the bot asks of Slack.
    onCall: (call: ApiCall) => broadcast('api_call', { method: call.method, ok: call.ok, error: call.error, at: call.at }),
  });
  const interactions = new Interactions({
    workspace: ws,
    signingSecret: opts.signingSecret,
    eventsUrl: () => eventsUrl,
    baseUrl: () => url,
    app,
  });

  const snapshot = () => ({
    ...ws.snapshot(),
    people: opts.people,
    channel: opts.channel,
    banner: opts.banner,
    botReady: eventsUrl !== undefined,
    app,
    // Each person's Home tab as the app last published it; later ones come as home_published changes.
    homes: opts.people.flatMap((p) => {
      const home = ws.views.homeFor(p.id);
      return home ? [{ user_id: p.id, view: home.view }] : [];
    }),
  });

  const droplets = () =>
    (opts.digitalocean?.state.droplets ?? []).map((d) => ({
      id: d.id,
      name: d.name,
      status: d.status,
      size: d.size_slug,
      region: d.region.slug,
      image: d.image.slug ?? d.image.name,
      busy: opts.digitalocean!.state.actions.some((a) => a.resource_id === d.id && a.status === 'in-progress'),
    }));

  async function play(name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    // JSON only: a cross-site form cannot send it without a CORS preflight, which is never granted.
    if (req.method !== 'POST' || !(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return json(res, 415, { ok: false, error: 'json_required', message: 'POST application/json' });
    }
    // Own keys only: a path like /play/constructor must not reach Object.prototype.
    if (!Object.hasOwn(requestSchemas, name)) return json(res, 404, { ok: false, error: 'not_found' });
    const schema = requestSchemas[name as keyof typeof requestSchemas];
    let input: unknown;
    try {
      input = JSON.parse(await readBody(req));
    } catch {
      return json(res, 400, { ok: false, error: 'invalid_json', message: 'The request was not JSON.' });
    }
    const parsed = schema.safeParse(input);
    if (!parsed.success) return json(res, 400, { ok: false, error: 'invalid_request', message: parsed.error.message });
    let outcome: Outcome;
    try {
      outcome = await (interactions[name as keyof typeof requestSchemas] as (r: unknown) => Promise<Outcome> | Outcome)(parsed.data);
    } catch (err) {
      if (!(err instanceof SlackApiError)) throw err;
      outcome = { ok: false, error: err.code, message: `Slack refused this: ${err.code}` };
    }
    json(res, 200, outcome);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://playground.invalid').pathname;
    if (path.startsWith('/api/') || path.startsWith('/response-url/')) return slackApi(req, res);
    // Only loopback names: another site cannot reach the page through DNS rebinding.
    if (!LOOPBACK_HOSTS.test(req.headers.host ?? '')) return json(res, 403, { ok: false, error: 'forbidden_host' });
    if (path === '/' || path === '/index.html') return file(res, 'index.html');
    if (path.startsWith('/assets/')) return file(res, path.slice('/assets/'.length));
    if (path === '/play/events') return openStream(req, res);
    if (path === '/play/state') return json(res, 200, snapshot());
    if (path === '/play/droplets') return json(res, 200, { droplets: droplets() });
    if (path.startsWith('/play/')) return play(path.slice('/play/'.length), req, res);
    json(res, 404, { ok: false, error: 'not_found' });
  }

  function openStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    // The snapshot goes first on this same stream, so no change can fall between the two.
    res.write(`retry: 1000\nevent: snapshot\ndata: ${JSON.stringify(snapshot())}\n\n`);
    streams.add(res);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(heartbeat);
      streams.delete(res);
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { ok: false, error: 'playground_error', message: String(err) });
      else res.destroy();
    });
  });
  url = await listenOnLoopback(server, opts.port);

  return {
    url,
    server,
    setEventsUrl(next) {
      eventsUrl = next;
      broadcast('bot_ready', { ready: true });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        ws.off('change', onChange);
        for (const res of streams) res.end();
        streams.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function file(res: ServerResponse, name: string): Promise<void> {
  const found = await publicFile(name);
  if (!found) return json(res, 404, { ok: false, error: 'not_found' });
  res.writeHead(200, {
    'content-type': found.type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // Defence in depth: even a rendering bug cannot run script that came in a message.
    'content-security-policy': "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
  });
  res.end(found.body);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
