// A receiver's sign of life: a key that expires unless renewed. The intake sweep takes over the
// records of a receiver whose key has expired (it crashed, was killed, or lost Redis for good).
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

export class Heartbeat {
  readonly id = `r-${randomBytes(6).toString('hex')}`;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly key: (id: string) => string,
    /** The key lives this long; it is renewed three times as often. */
    private readonly ttlMs = 15_000,
    private readonly onError: (err: Error) => void = () => {},
  ) {}

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat().catch(this.onError), Math.max(100, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    await this.redis.set(this.key(this.id), '1', 'PX', this.ttlMs);
  }

  /** Stops beating; `forget` removes the key at once (nothing of ours is left in the intake). */
  async stop(forget: boolean): Promise<void> {
    clearInterval(this.timer);
    if (forget) await this.redis.del(this.key(this.id)).catch(this.onError);
  }
}
