// Errors from the DigitalOcean API, with stable codes so callers branch on meaning, not text.

/** DigitalOcean answered with an error body: {id, message, request_id}. */
export class DigitalOceanError extends Error {
  override name = 'DigitalOceanError';
  constructor(
    readonly status: number,
    /** DigitalOcean's error id, e.g. not_found, unprocessable_entity, too_many_requests. */
    readonly id: string,
    message: string,
    readonly requestId?: string,
    /** From retry-after on a 429, in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  get isPendingEvent(): boolean {
    return this.status === 422 && /pending event/i.test(this.message);
  }
  get isRateLimited(): boolean {
    return this.status === 429;
  }
  get isServerError(): boolean {
    return this.status >= 500;
  }
  get isNotFound(): boolean {
    return this.status === 404;
  }
}

/** The request failed without an answer. When `ambiguous`, it may have reached DigitalOcean. */
export class DigitalOceanNetworkError extends Error {
  override name = 'DigitalOceanNetworkError';
  constructor(
    message: string,
    readonly code: string,
    readonly ambiguous: boolean,
  ) {
    super(message);
  }
}

// These codes mean no byte of the request left this machine.
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

export function networkError(err: unknown): DigitalOceanNetworkError {
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? 'UNKNOWN';
  return new DigitalOceanNetworkError(`DigitalOcean could not be reached (${code})`, code, !NEVER_SENT.has(code));
}
