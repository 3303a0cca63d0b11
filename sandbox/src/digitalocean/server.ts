// The HTTP transport around the routes: request recording, fault injection, bearer auth, rate
// limiting and the headers every DigitalOcean response carries (ratelimit-*, x-request-id).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ActionEngine } from './actions.js';
import type { FaultQueue, FaultReply } from './faults.js';
import type { RateLimiter } from './rate-limit.js';
import { errorBody, errorReply, type Reply } from './reply.js';
import { route } from './routes.js';
import type { SimulatorState } from './types.js';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Parsed JSON, the raw text when it was not JSON, or undefined when there was no body. */
  body: unknown;
  at: number;
  /** The User-Agent header, to tell apart the processes that called. */
  userAgent?: string;
}

export interface ServerDeps {
  state: SimulatorState;
  engine: ActionEngine;
  faults: FaultQueue;
  limiter: RateLimiter;
  requests: RecordedRequest[];
  token: string | undefined;
  /** Known only once listening; used to build pagination links. */
  baseUrl: () => string;
  /** Aborted by close(), so delayed replies stop waiting. */
  closing: AbortSignal;
}

const MAX_BODY_BYTES = 1024 * 1024;

export function createSimulatorServer(deps: ServerDeps): Server {
  return createServer((req, res) => {
    handle(deps, req, res).catch(() => {
      // Only reachable on an aborted delay (close()) or a client that vanished: just hang up.
      res.destroy();
    });
  });
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  const method = (req.method ?? 'GET').toUpperCase();
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const query = Object.fromEntries(url.searchParams);
  const { body, bodyInvalid } = parseBody(await readBody(req));
  const userAgent = typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined;
  deps.requests.push({ method, path: url.pathname, query, body, at: Date.now(), ...(userAgent ? { userAgent } : {}) });

  const token = bearerToken(req);
  const fault = deps.faults.take(method, url.pathname);
  // A fault either pre-empts the request or (afterEffect) replaces its response afterwards.
  if (fault && !fault.afterEffect && (await deliverFault(deps, fault, token, requestId, res))) return;

  const reply = processRequest(deps, { method, path: url.pathname, query, body, bodyInvalid, requestId }, token);

  if (fault?.afterEffect && (await deliverFault(deps, fault, token, requestId, res))) return;
  send(res, reply, requestId);
}

interface Incoming {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  bodyInvalid: boolean;
  requestId: string;
}

/** What DigitalOcean does with a request that reached it: auth, rate limit, then the endpoint. */
function processRequest(deps: ServerDeps, incoming: Incoming, token: string | undefined): Reply {
  // Actions due by now complete first, so a poll never sees a stale `in-progress`.
  deps.engine.settleDue();
  const key = token ?? 'anonymous';
  if (deps.token !== undefined && token !== deps.token) {
    return { ...errorReply(401, incoming.requestId), headers: deps.limiter.peek(key) };
  }
  const rate = deps.limiter.take(key);
  if (!rate.allowed) return { ...errorReply(429, incoming.requestId), headers: rate.headers };

  let reply: Reply;
  try {
    reply = route({ ...incoming, state: deps.state, engine: deps.engine, baseUrl: deps.baseUrl() });
  } catch {
    reply = errorReply(500, incoming.requestId);
  }
  return { ...reply, headers: { ...rate.headers, ...reply.headers } };
}

/**
 * Apply an injected fault's delay, then drop the connection or send its canned reply.
 * Returns false when the fault was only a delay and the real reply should follow.
 */
async function deliverFault(
  deps: ServerDeps,
  fault: FaultReply,
  token: string | undefined,
  requestId: string,
  res: ServerResponse,
): Promise<boolean> {
  if (fault.delayMs && fault.delayMs > 0) await sleep(fault.delayMs, undefined, { signal: deps.closing });
  if (fault.dropConnection) {
    res.socket?.destroy();
    return true;
  }
  if (fault.status === undefined) return false;
  const body = fault.body !== undefined ? fault.body : fault.status >= 400 ? errorBody(fault.status, requestId) : undefined;
  const headers = { ...deps.limiter.peek(token ?? 'anonymous'), ...fault.headers };
  send(res, { status: fault.status, body, headers }, requestId);
  return true;
}

function send(res: ServerResponse, reply: Reply, requestId: string): void {
  if (res.destroyed || res.headersSent) return;
  const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'x-request-id': requestId,
    ...reply.headers,
    'content-length': String(Buffer.byteLength(payload)),
  });
  res.end(payload);
}

function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1]?.trim();
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Keep draining so the client is not left blocked, but stop storing an absurd body.
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(raw: string): { body: unknown; bodyInvalid: boolean } {
  if (raw.trim() === '') return { body: undefined, bodyInvalid: false };
  try {
    return { body: JSON.parse(raw) as unknown, bodyInvalid: false };
  } catch {
    return { body: raw, bodyInvalid: true };
  }
}
