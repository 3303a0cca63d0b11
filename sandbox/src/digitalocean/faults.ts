// One-shot fault injection for failNext(): a queue of (matcher, reply) pairs, consumed by the
// first request that matches, oldest fault first.

export interface FaultMatch {
  method?: string;
  /** Exact pathname (no query string), or a RegExp tested against the pathname. */
  path?: string | RegExp;
}

export interface FaultReply {
  /** Status of the canned reply. Omit it (with delayMs) to only delay the real reply. */
  status?: number;
  /** JSON body; defaults to DigitalOcean's error body for the status. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before replying (or before dropping the connection). */
  delayMs?: number;
  /** Destroy the socket instead of replying. */
  dropConnection?: boolean;
  /**
   * Perform the real request first (state changes, e.g. the action IS created), then reply with
   * the fault: models a response lost after the request reached DigitalOcean.
   */
  afterEffect?: boolean;
}

interface QueuedFault {
  match: FaultMatch;
  reply: FaultReply;
}

export class FaultQueue {
  private readonly queue: QueuedFault[] = [];

  add(match: FaultMatch, reply: FaultReply): void {
    this.queue.push({ match, reply });
  }

  /** Remove and return the first fault matching this request, if any. */
  take(method: string, path: string): FaultReply | undefined {
    const index = this.queue.findIndex(({ match }) => matches(match, method, path));
    if (index < 0) return undefined;
    const [fault] = this.queue.splice(index, 1);
    return fault?.reply;
  }
}

function matches(match: FaultMatch, method: string, path: string): boolean {
  if (match.method && match.method.toUpperCase() !== method.toUpperCase()) return false;
  if (match.path === undefined) return true;
  if (typeof match.path === 'string') return match.path === path;
  match.path.lastIndex = 0; // a /g or /y RegExp keeps state between test() calls
  return match.path.test(path);
}
