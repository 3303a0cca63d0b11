// DigitalOcean API client on an undici keep-alive pool. Reads are retried on 5xx and network
// errors; action POSTs are never retried here, because a retried POST can run an action twice.
import { Pool } from 'undici';
import type { ActionBody } from '../domain/actions.js';
import { DigitalOceanError, networkError } from './errors.js';
import type { Action, Droplet, RateLimitState } from './types.js';

export interface DigitalOceanClientOptions {
  apiUrl: string;
  token: string;
  /** Per-request time limit in ms (headers and body each). */
  timeoutMs?: number;
  /** Attempts for GET requests on 5xx or network errors. */
  readAttempts?: number;
  userAgent?: string;
}

export class DigitalOceanClient {
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly authorization: string;
  private readonly timeoutMs: number;
  private readonly readAttempts: number;
  private readonly userAgent: string;
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
  }

  async getDroplet(id: number): Promise<Droplet> {
    return (await this.get<{ droplet: Droplet }>(`/v2/droplets/${id}`)).droplet;
  }

  /** Droplets whose name is exactly `name` (DigitalOcean allows duplicates). */
  async findDropletsByName(name: string): Promise<Droplet[]> {
    return (await this.get<{ droplets: Droplet[] }>(`/v2/droplets?name=${encodeURIComponent(name)}&per_page=200`)).droplets;
  }

  async postAction(dropletId: number, body: ActionBody): Promise<Action> {
    return (await this.request<{ action: Action }>('POST', `/v2/droplets/${dropletId}/actions`, body)).action;
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
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.readAttempts; attempt++) {
      try {
        return await this.request<T>('GET', path);
      } catch (err) {
        lastError = err;
        const retryable = err instanceof DigitalOceanError ? err.isServerError : err instanceof Error && err.name === 'DigitalOceanNetworkError';
        if (!retryable || attempt === this.readAttempts) throw err;
        await new Promise((r) => setTimeout(r, 200 * 2 ** (attempt - 1) * (0.5 + Math.random())));
      }
    }
    throw lastError;
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
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
      throw networkError(err);
    }
    this.noteRateLimit(res.headers);
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      throw networkError(err);
    }
    if (res.statusCode >= 200 && res.statusCode < 300) {
      return (text ? JSON.parse(text) : {}) as T;
    }
    let parsed: { id?: string; message?: string; request_id?: string } = {};
    try {
      parsed = JSON.parse(text);
    } catch {
      // Proxies and load balancers sometimes answer with HTML.
    }
    const retryAfter = Number(header(res.headers, 'retry-after'));
    throw new DigitalOceanError(
      res.statusCode,
      parsed.id ?? `http_${res.statusCode}`,
      parsed.message ?? `DigitalOcean answered HTTP ${res.statusCode}`,
      parsed.request_id ?? header(res.headers, 'x-request-id'),
      Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : undefined,
    );
  }

  private noteRateLimit(headers: Record<string, string | string[] | undefined>): void {
    const limit = Number(header(headers, 'ratelimit-limit'));
    const remaining = Number(header(headers, 'ratelimit-remaining'));
    const reset = Number(header(headers, 'ratelimit-reset'));
    if (Number.isFinite(limit) && Number.isFinite(remaining)) this.rateLimit = { limit, remaining, reset: Number.isFinite(reset) ? reset : 0 };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
