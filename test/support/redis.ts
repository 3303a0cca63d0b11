// Per-test Redis access: a unique key prefix, and cleanup that deletes only keys under it.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

export function redisUrl(): string {
  return inject('redisUrl');
}

/** A prefix no other test uses; braces keep a Redis Cluster slot, like the bot's default. */
export function uniquePrefix(name = 'test'): string {
  return `{dbt-${name}-${randomBytes(4).toString('hex')}}`;
}

export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/([*?[\]])/g, '\\$1')}*`, 'COUNT', 500);
      cursor = next;
      if (found.length) await redis.del(...found);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
