// The HTTP face of the simulator: `/api/<method>` answers like https://slack.com/api/, and
// `/response-url/<id>` accepts response_url posts. Read top to bottom, a call goes:
// route → parse → authenticate → scripted failure → scope check → method → reply.
// Exposed as a request listener so a playground server can mount it next to its own routes.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SlackApiError } from './errors.js';
import type { FaultInjector } from './fault-injection.js';
import { parseApiRequest } from './request-body.js';
import type { SocketModeServer } from './socket-mode.js';
import { WEB_API_METHODS } from './web-api-methods.js';
import type { Workspace } from './workspace.js';
import type { JsonObject } from './workspace-types.js';

export interface ApiCall {
  method: string;
  /** Parsed arguments (JSON-string fields decoded), without the token. */
  args: Record<string, unknown>;
  at: number;
  ok: boolean;
  error?: string;
}

export interface SlackRequestHandlerOptions {
  workspace: Workspace;
  /** When set, calls must present exactly this token. */
  botToken?: string;
  faults: FaultInjector;
  onCall: (call: ApiCall) => void;
  /** Socket Mode: answers apps.connections.open (app-level token) with URLs on this server. */
  socketMode?: SocketModeServer;
}

export const RESPONSE_URL_PATH = '/response-url/';
const MAX_BODY_BYTES = 5 * 1024 * 1024;

type Reply = { status: number; body: JsonObject; headers?: Record<string, string> };

export function createSlackRequestHandler(opts: SlackRequestHandlerOptions) {
  const { workspace: ws } = opts;

  async function api(method: string, req: IncomingMessage, query: URLSearchParams, raw: string): Promise<Reply> {
    const parsed = parseApiRequest({
      contentType: req.headers['content-type'],
      authorization: req.headers.authorization,
      body: raw,
      query,
    });
    const args = parsed.ok ? parsed.args : {};
    const record = (reply: Reply): Reply => {
      const ok = reply.body.ok === true;
      opts.onCall({ method, args, at: ws.now(), ok, ...(ok ? {} : { error: String(reply.body.error) }) });
      return reply;
    };

    const delayMs = opts.faults.delayFor(method);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const spec = WEB_API_METHODS[method];
    if (!spec) return record(fail('unknown_method', { req_method: method }));
    if (!parsed.ok) return record(fail(parsed.error));
    if (parsed.token === undefined || parsed.token === '') return record(fail('not_authed'));
    if (spec.token === 'app') {
      // App-level token methods: the socket-mode server knows which tokens it accepts.
      const error = opts.socketMode?.authError(req.headers.authorization);
      if (error) return record(fail(error));
    } else if (opts.botToken !== undefined && parsed.token !== opts.botToken) return record(fail('invalid_auth'));

    // An app-level token carries connections:write (the scope Socket Mode needs), not the bot's scopes.
    const granted = spec.token === 'app' ? ['connections:write'] : ws.botScopes;
    const scopeHeaders: Record<string, string> = { 'x-oauth-scopes': granted.join(',') };
    if (spec.scopes.length) scopeHeaders['x-accepted-oauth-scopes'] = spec.scopes.join(',');
    const scripted = opts.faults.take(method);
    if (scripted?.afterEffect) {
      try {
        spec.handle(args, ws, { host: req.headers.host ?? '' });
      } catch {
        // The failure is the answer either way.
      }
    }
    if (scripted) {
      const headers: Record<string, string> = { ...scopeHeaders };
      if (scripted.retryAfter !== undefined) headers['retry-after'] = String(scripted.retryAfter);
      return record({ status: scripted.status, body: { ok: false, error: scripted.error }, headers });
    }
    if (spec.scopes.length && !spec.scopes.some((s) => granted.includes(s))) {
      return record({
        ...fail('missing_scope', { needed: spec.scopes[0], provided: granted.join(',') }),
        headers: scopeHeaders,
      });
    }
    try {
      const host = req.headers.host ?? `${req.socket.localAddress}:${req.socket.localPort}`;
      const ctx = { host, ...(opts.socketMode ? { socketMode: opts.socketMode } : {}) };
      return record({ status: 200, body: { ok: true, ...spec.handle(args, ws, ctx) }, headers: scopeHeaders });
    } catch (err) {
      if (err instanceof SlackApiError) return record({ ...fail(err.code, err.extra), headers: scopeHeaders });
      throw err;
    }
  }

  function responseUrl(id: string, raw: string, contentType: string | undefined): Reply {
    const body = parseResponseUrlBody(raw, contentType);
    if (!body) return { status: 400, body: { ok: false, error: 'invalid_payload' } };
    return ws.responseUrls.post(id, body);
  }

  return async function handleSlackRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://simulator.invalid');
      const raw = await readBody(req);
      let reply: Reply;
      if (url.pathname.startsWith('/api/')) {
        reply = await api(decodeURIComponent(url.pathname.slice('/api/'.length)), req, url.searchParams, raw);
      } else if (url.pathname.startsWith(RESPONSE_URL_PATH) && req.method === 'POST') {
        reply = responseUrl(decodeURIComponent(url.pathname.slice(RESPONSE_URL_PATH.length)), raw, req.headers['content-type']);
      } else {
        reply = { status: 404, body: { ok: false, error: 'not_found' } };
      }
      send(res, reply);
    } catch (err) {
      // A bug in the simulator should fail the test loudly, not look like a Slack answer.
      send(res, { status: 500, body: { ok: false, error: 'simulator_error', detail: String(err) } });
    }
  };
}

function fail(error: string, extra: JsonObject = {}): Reply {
  return { status: 200, body: { ok: false, error, ...extra } };
}

function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'x-slack-req-id': randomBytes(16).toString('hex'),
    ...reply.headers,
  });
  res.end(JSON.stringify(reply.body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Bolt's respond() posts JSON; older clients post `payload=<json>` forms. */
function parseResponseUrlBody(raw: string, contentType: string | undefined): JsonObject | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const text = type === 'application/x-www-form-urlencoded' ? (new URLSearchParams(raw).get('payload') ?? '') : raw;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}
