// DigitalOcean API client on an undici keep-alive pool. Reads are retried on 5xx and network
// errors with backoff, and after a 429 once retry-after has passed; action POSTs are never
// retried here, because a retried POST can run an action twice. Other 4xx fail at once with
// DigitalOcean's own message. With a `budget`, every request first takes a slot from the
// token's shared rate budget (rate-budget.ts) and reports what came back.
import { Pool } from 'undici';
import type { ActionBody } from '../domain/catalogue/index.js';
import { DigitalOceanError, networkError } from './errors.js';
import { BUDGET_SPENT, type BudgetAnswer, type BudgetTicket, type RequestBudget } from './rate-budget.js';
import type { Action, Droplet, RateLimitState } from './types.js';

export interface DigitalOceanClientOptions {
  apiUrl: string;
  token: string;
  /** Per-request time limit in ms (headers and body each). */
  timeoutMs?: number;
  /** Attempts for GET requests on 5xx or network errors. */
  readAttempts?: number;
  /** Times a read is tried again after a 429, each once retry-after has passed. Default 4. */
  rateLimitRetries?: number;
  userAgent?: string;
  /** The token's request budget, shared by every process; without one, requests go at once. */
  budget?: RequestBudget;
  /** Each answer (or `network` for none), with DigitalOcean's ratelimit-remaining when it said: for metrics. */
  onAnswer?: (method: string, path: string, status: number | 'network', remaining?: number) => void;
}

export class DigitalOceanClient {
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly authorization: string;
  private readonly timeoutMs: number;
  private readonly readAttempts: number;
  private readonly userAgent: string;
  private readonly rateLimitRetries: number;
  private readonly budget: RequestBudget | undefined;
  private readonly onAnswer: DigitalOceanClientOptions['onAnswer'];
  /** The most recent rate-limit headers seen, shared by everything using this client. */
  rateLimit: RateLimitState | undefined;

  constructor(opts: DigitalOceanClientOptions) {
    const url = new URL(opts.apiUrl);
    this.pool = new Pool(url.origin, { connections: 16, keepAliveTimeout: 30_000, pipelining: 1 });
    this.basePath = url.pathname.replace(/\/+$/, '');
    // Kept private and only ever placed in the header; never logged.
    this.authorization = `Bearer ${opts.token}`;
    this.timeoutMs = opts.timeoutMs ?? 20_000;
    this.readAttempts = opts.readAttempts ?? 3;
    this.userAgent = opts.userAgent ?? 'droplet-bot';
    this.rateLimitRetries = opts.rateLimitRetries ?? 4;
    this.budget = opts.budget;
    this.onAnswer = opts.onAnswer;
  }

  async getDroplet(id: number): Promise<Droplet> {
    return (await this.get<{ droplet: Droplet }>(`/v2/droplets/${id}`)).droplet;
  }

  /** Droplets whose name is exactly `name` (DigitalOcean allows duplicates). */
  async findDropletsByName(name: string): Promise<Droplet[]> {
    return (await this.get<{ droplets: Droplet[] }>(`/v2/droplets?name=${encodeURIComponent(name)}&per_page=200`)).droplets;
  }

  /** Every Droplet, or every Droplet with `tag`, page by page (200 a page, at most `maxPages`). */
  async listDroplets(filter: { tag?: string } = {}, maxPages = 50): Promise<Droplet[]> {
    const all: Droplet[] = [];
    const tag = filter.tag === undefined ? '' : `&tag_name=${encodeURIComponent(filter.tag)}`;
    for (let page = 1; page <= maxPages; page++) {
      const res = await this.get<{ droplets: Droplet[]; meta?: { total?: number } }>(`/v2/droplets?page=${page}&per_page=200${tag}`);
      all.push(...res.droplets);
      const total = res.meta?.total;
      if (res.droplets.length < 200 || (total !== undefined && all.length >= total)) return all;
    }
    throw new Error(`more than ${maxPages * 200} Droplets match; narrow the selector`);
  }

  /**
   * Starts one action on every Droplet with `tag`, in one request (the types the catalogue marks
   * byTag). `beforeSend` as for postAction. Never retried here.
   */
  async postTagAction(tag: string, body: ActionBody, beforeSend?: () => Promise<void>): Promise<Action[]> {
    return (await this.request<{ actions: Action[] }>('POST', `/v2/droplets/actions?tag_name=${encodeURIComponent(tag)}`, body, beforeSend)).actions;
  }

  /**
   * Starts an action. `beforeSend` runs after any wait for the rate budget and just before the
   * request leaves; if it throws, nothing is sent and its error is thrown.
   */
  async postAction(dropletId: number, body: ActionBody, beforeSend?: () => Promise<void>): Promise<Action> {
    return (await this.request<{ action: Action }>('POST', `/v2/droplets/${dropletId}/actions`, body, beforeSend)).action;
  }

  async getAction(actionId: number): Promise<Action> {
    return (await this.get<{ action: Action }>(`/v2/actions/${actionId}`)).action;
  }

  /** The droplet's actions, newest first. */
  async listDropletActions(dropletId: number, perPage = 20): Promise<Action[]> {
    return (await this.get<{ actions: Action[] }>(`/v2/droplets/${dropletId}/actions?page=1&per_page=${perPage}`)).actions;
  }

  /** The account's actions, newest first: one call covers up to 200. */
  async listActions(perPage = 200, page = 1): Promise<Action[]> {
    return (await this.get<{ actions: Action[] }>(`/v2/actions?page=${page}&per_page=${perPage}`)).actions;
  }

  async get<T>(path: string): Promise<T> {
    let attempt = 1;
    let limited = 0;
    for (;;) {
      try {
        return await this.request<T>('GET', path);
      } catch (err) {
        if (err instanceof DigitalOceanError && err.isRateLimited && err.id !== BUDGET_SPENT) {
          // Nothing was done, so a read may simply go again once DigitalOcean allows it. With a
          // budget the 429 has paused every process already, and the next acquire waits it out.
          if (++limited > this.rateLimitRetries) throw err;
          if (!this.budget || err.retryAfterMs === undefined) await sleep(err.retryAfterMs ?? 1000);
          continue;
        }
        const retryable = err instanceof DigitalOceanError ? err.isServerError : err instanceof Error && err.name === 'DigitalOceanNetworkError';
        if (!retryable || attempt >= this.readAttempts) throw err;
        await sleep(200 * 2 ** (attempt - 1) * (0.5 + Math.random()));
        attempt++;
      }
    }
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body?: unknown, beforeSend?: () => Promise<void>): Promise<T> {
    const ticket = await this.budget?.acquire();
    if (beforeSend) {
      try {
        await beforeSend();
      } catch (err) {
        // Nothing went out; the slot stays spent, which errs on the safe side of the limit.
        await settle(ticket, {});
        throw err;
      }
    }
    let res;
    try {
      res = await this.pool.request({
        method,
        path: this.basePath + path,
        headers: {
          authorization: this.authorization,
          accept: 'application/json',
          'user-agent': this.userAgent,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch (err) {
      // No answer: the request may still have been counted, so its slot stays spent.
      this.tell(method, path, 'network');
      await settle(ticket, {});
      throw networkError(err);
    }
    const rateLimit = readRateLimit(res.headers);
    if (rateLimit) this.rateLimit = rateLimit;
    this.tell(method, path, res.statusCode, rateLimit?.remaining);
    const retryAfterMs = res.statusCode === 429 ? retryAfter(res.headers, rateLimit) : undefined;
    // Recorded while the body downloads; done before returning, so a 429's pause is in place
    // before anyone (a retry of this read included) asks for the next slot.
    const settled = settle(ticket, { status: res.statusCode, rateLimit, retryAfterMs });
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      await settled;
      throw networkError(err);
    }
    await settled;
    if (res.statusCode >= 200 && res.statusCode < 300) {
      return (text ? JSON.parse(text) : {}) as T;
    }
    let parsed: { id?: string; message?: string; request_id?: string } = {};
    try {
      parsed = JSON.parse(text);
    } catch {
      // Proxies and load balancers sometimes answer with HTML.
    }
    throw new DigitalOceanError(
      res.statusCode,
      parsed.id ?? `http_${res.statusCode}`,
      parsed.message ?? `DigitalOcean answered HTTP ${res.statusCode}`,
      parsed.request_id ?? header(res.headers, 'x-request-id'),
      retryAfterMs,
    );
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** Tells `onAnswer`, which can never turn an answer (a POST's, say) into an error. */
  private tell(method: string, path: string, status: number | 'network', remaining?: number): void {
    try {
      this.onAnswer?.(method, path, status, remaining);
    } catch {
      // Only the metric is lost.
    }
  }
}

function readRateLimit(headers: Record<string, string | string[] | undefined>): RateLimitState | undefined {
  const limit = Number(header(headers, 'ratelimit-limit'));
  const remaining = Number(header(headers, 'ratelimit-remaining'));
  const reset = Number(header(headers, 'ratelimit-reset'));
  if (!Number.isFinite(limit) || !Number.isFinite(remaining)) return undefined;
  return { limit, remaining, reset: Number.isFinite(reset) ? reset : 0 };
}

/** How long a 429 asks us to wait: retry-after (the burst limit), else until the hourly reset. */
function retryAfter(headers: Record<string, string | string[] | undefined>, rateLimit: RateLimitState | undefined): number | undefined {
  const raw = header(headers, 'retry-after');
  const seconds = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  if (rateLimit && rateLimit.remaining <= 0 && rateLimit.reset > 0) return Math.max(1000, rateLimit.reset * 1000 - Date.now());
  return undefined;
}

/** A budget that cannot be updated must not turn an answered request into a failure. */
async function settle(ticket: BudgetTicket | undefined, answer: BudgetAnswer): Promise<void> {
  await ticket?.settle(answer).catch(() => {});
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
