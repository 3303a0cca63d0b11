// Scripted failures for the next calls of a method: Slack errors (`not_in_channel`), rate limits
// (HTTP 429 + Retry-After) and HTTP errors, so tests can check how the bot copes with each.

export interface FailureReply {
  /** Slack error code; defaults to `ratelimited` for 429 and `fatal_error` otherwise. */
  error?: string;
  /** HTTP status; defaults to 429 when retryAfter is set, else 200 (Slack's usual for errors). */
  status?: number;
  /** Seconds for the Retry-After header of a 429; defaults to 1. */
  retryAfter?: number;
  /** How many consecutive calls fail this way; defaults to 1. */
  times?: number;
  /** Let this many calls through first; defaults to 0. */
  skip?: number;
  /** Do what the call asks (post the message, say), then answer with the failure: an answer lost on the way back. */
  afterEffect?: boolean;
}

export interface Failure {
  status: number;
  error: string;
  retryAfter?: number;
  afterEffect?: boolean;
}

/** Method name that matches every method. */
export const ANY_METHOD = '*';

export class FaultInjector {
  private readonly queues = new Map<string, Array<{ failure: Failure; remaining: number; skip: number }>>();
  private readonly delays = new Map<string, number>();

  /** Every later call of `method` ('*' for any) answers `ms` late; 0 makes it prompt again. */
  slowDown(method: string, ms: number): void {
    if (ms > 0) this.delays.set(method, ms);
    else this.delays.delete(method);
  }

  /** How late this call of `method` should answer. */
  delayFor(method: string): number {
    return this.delays.get(method) ?? this.delays.get(ANY_METHOD) ?? 0;
  }

  failNext(method: string, reply: FailureReply): void {
    const status = reply.status ?? (reply.retryAfter !== undefined ? 429 : 200);
    const failure: Failure = {
      ...(status === 429 ? { status, error: reply.error ?? 'ratelimited', retryAfter: reply.retryAfter ?? 1 } : { status, error: reply.error ?? 'fatal_error' }),
      ...(reply.afterEffect ? { afterEffect: true } : {}),
    };
    const queue = this.queues.get(method) ?? [];
    queue.push({ failure, remaining: Math.max(1, reply.times ?? 1), skip: Math.max(0, reply.skip ?? 0) });
    this.queues.set(method, queue);
  }

  /** The failure scripted for this call of `method`, if any; consumes one use. */
  take(method: string): Failure | undefined {
    for (const key of [method, ANY_METHOD]) {
      const queue = this.queues.get(key);
      const head = queue?.[0];
      if (!queue || !head) continue;
      if (head.skip > 0) {
        head.skip--;
        continue;
      }
      if (--head.remaining === 0) queue.shift();
      return head.failure;
    }
    return undefined;
  }

  clear(): void {
    this.queues.clear();
    this.delays.clear();
  }
}
