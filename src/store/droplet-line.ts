// One action at a time per Droplet: requests join a line per Droplet in the order they were made,
// and only the request at the head of the line may talk to DigitalOcean. BullMQ's open-source
// edition has no per-group concurrency, so the line lives in a Redis list beside the queue.
import type { Redis } from 'ioredis';

// Join only once: a request that is re-added after a crash keeps its place.
const JOIN = `
if redis.call('LPOS', KEYS[1], ARGV[1]) == false then
  redis.call('RPUSH', KEYS[1], ARGV[1])
end
return redis.call('LINDEX', KEYS[1], 0)`;

// Remember the newest action ID the bot started on a Droplet; IDs only grow.
const NOTE = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'EX', 2592000) end
return 1`;

export class DropletLine {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(dropletId: number): string {
    return `${this.prefix}:line:${dropletId}`;
  }

  /** Puts a request at the back of the Droplet's line (once); returns who is at the head. */
  async join(dropletId: number, requestId: string): Promise<string | null> {
    return (await this.redis.eval(JOIN, 1, this.key(dropletId), requestId)) as string | null;
  }

  async head(dropletId: number): Promise<string | null> {
    return this.redis.lindex(this.key(dropletId), 0);
  }

  /** The newest DigitalOcean action ID the bot started on this Droplet (0 when none). */
  async lastAction(dropletId: number): Promise<number> {
    return Number((await this.redis.get(`${this.key(dropletId)}:last-action`)) ?? 0);
  }

  async noteAction(dropletId: number, actionId: number): Promise<void> {
    await this.redis.eval(NOTE, 1, `${this.key(dropletId)}:last-action`, String(actionId));
  }

  /** Removes a request wherever it stands; returns the new head. */
  async leave(dropletId: number, requestId: string): Promise<string | null> {
    const [, head] = (await this.redis.multi().lrem(this.key(dropletId), 0, requestId).lindex(this.key(dropletId), 0).exec()) ?? [];
    return (head?.[1] as string | null) ?? null;
  }
}
